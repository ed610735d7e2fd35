// Servers on 127.0.0.1 that answer with bodies of a chosen size, framing and
// protocol, for the response-size bound tests. Paths:
//   /length/N   Content-Length: N, then exactly N bytes
//   /chunked/N  N bytes, chunked (h1) or without Content-Length (h2)
//   /huge       Content-Length: 2 GiB, then bytes until the client goes away
//   /endless    chunked (h1) or without Content-Length (h2), bytes until the client goes away
// Every body byte i is i % 251, so a body can be checked byte for byte.
// Writes honour backpressure, so the server itself stays small; each
// response is recorded with how much it wrote and when it was closed.
import http from 'node:http';
import http2 from 'node:http2';
import { listen } from '../helpers/net.js';

export const HUGE_LENGTH = 2 * 1024 * 1024 * 1024;
const BLOCK_BYTES = 64 * 1024;
/** 251 is prime and does not divide the block, so every block starts at a different phase. */
const PATTERN = Buffer.from(Array.from({ length: 251 + BLOCK_BYTES }, (_, i) => i % 251));

/** Bytes [from, from + n) of the pattern body. */
function block(from: number, n: number): Buffer {
  const phase = from % 251;
  return PATTERN.subarray(phase, phase + n);
}

/** The whole pattern body of n bytes, to compare against. */
export function patternBody(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  for (let at = 0; at < n; at += BLOCK_BYTES) block(at, Math.min(BLOCK_BYTES, n - at)).copy(out, at);
  return out;
}

export interface Served {
  path: string;
  /** Body bytes handed to the response so far. */
  written: number;
  /** Date.now() when the response (h1) or stream (h2) closed. */
  closedAt?: number;
  /** h2: the RST_STREAM code the stream closed with. */
  rstCode?: number;
  /** h1: the TCP connection (and for h2 the session) closed too. */
  connectionClosedAt?: number;
}

export interface BodyServer {
  origin: string;
  served: Served[];
  close(): Promise<void>;
}

interface Sink {
  write(chunk: Buffer): boolean;
  end(): void;
  once(event: 'drain' | 'close', listener: () => void): unknown;
  readonly destroyed: boolean;
}

/** What a path asks for: a total (Infinity for until-gone) and whether to declare a length. */
function wanted(path: string): { total: number; declare?: number } | undefined {
  const m = /^\/(length|chunked)\/(\d+)$/.exec(path);
  if (m) return m[1] === 'length' ? { total: Number(m[2]), declare: Number(m[2]) } : { total: Number(m[2]) };
  if (path === '/huge') return { total: Infinity, declare: HUGE_LENGTH };
  if (path === '/endless') return { total: Infinity };
  return undefined;
}

/** Streams total bytes of the pattern into sink, honouring backpressure, until done or the sink is gone. */
function pump(sink: Sink, total: number, record: Served): void {
  let gone = false;
  sink.once('close', () => (gone = true));
  const more = (): void => {
    while (!gone && !sink.destroyed && record.written < total) {
      const n = Math.min(BLOCK_BYTES, total - record.written);
      const ok = sink.write(block(record.written, n));
      record.written += n;
      if (!ok) {
        sink.once('drain', more);
        return;
      }
    }
    if (!gone && !sink.destroyed && record.written >= total) sink.end();
  };
  more();
}

/** An HTTP/1.1 server serving the paths above. */
export async function h1BodyServer(): Promise<BodyServer> {
  const served: Served[] = [];
  const server = http.createServer((req, res) => {
    const record: Served = { path: req.url ?? '', written: 0 };
    served.push(record);
    res.on('close', () => (record.closedAt ??= Date.now()));
    req.socket.once('close', () => (record.connectionClosedAt ??= Date.now()));
    res.on('error', () => undefined);
    const want = wanted(req.url ?? '');
    if (!want) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, want.declare === undefined ? {} : { 'content-length': String(want.declare) });
    pump(res, want.total, record);
  });
  const port = await listen(server);
  return {
    origin: `http://127.0.0.1:${port}`,
    served,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An h2c (prior knowledge) server serving the paths above. */
export async function h2BodyServer(): Promise<BodyServer & { sessions: number }> {
  const served: Served[] = [];
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const out = { origin: '', served, sessions: 0, close: async (): Promise<void> => undefined };
  server.on('session', (session) => {
    out.sessions += 1;
    sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream, headers) => {
    const path = String(headers[':path'] ?? '');
    const record: Served = { path, written: 0 };
    served.push(record);
    stream.on('error', () => undefined);
    stream.once('close', () => {
      record.closedAt ??= Date.now();
      record.rstCode = stream.rstCode;
    });
    stream.session?.once('close', () => (record.connectionClosedAt ??= Date.now()));
    const want = wanted(path);
    if (!want) {
      stream.respond({ ':status': 404 }, { endStream: true });
      return;
    }
    stream.respond({ ':status': 200, ...(want.declare === undefined ? {} : { 'content-length': String(want.declare) }) });
    pump(stream, want.total, record);
  });
  const port = await listen(server);
  out.origin = `http://127.0.0.1:${port}`;
  out.close = () =>
    new Promise<void>((resolve) => {
      for (const session of sessions) session.destroy();
      server.close(() => resolve());
    });
  return out;
}
