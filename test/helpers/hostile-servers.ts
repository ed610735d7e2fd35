// Servers of our own on 127.0.0.1 that misbehave the way broken or hostile
// targets do, each recording its TCP connections (opened, and closed as the
// server sees it), so a test can tell that the client let go of every one.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import { close, listen, selfSignedCert, type AnyServer } from './net.js';

export interface Hostile {
  /** http://127.0.0.1:port (or https:// where the case speaks TLS, or pretends to). */
  origin: string;
  /** Every TCP connection the server accepted: false until the server saw it closed. */
  connections: { closed: boolean }[];
  open(): number;
  /**
   * Lets the server see the closes its misbehaviour would hide: a socket it
   * never read from cannot see the client's FIN behind the unread bytes, so
   * every socket now reads (and drops) what is left.
   */
  observeCloses(): void;
  close(): Promise<void>;
}

/** Tracks every accepted TCP socket of server (for TLS and h2 too: the raw socket under them). */
async function hosted(server: AnyServer, scheme: 'http' | 'https', onClose: () => void = () => undefined): Promise<Hostile> {
  const connections: { closed: boolean }[] = [];
  const sockets = new Set<net.Socket>();
  server.on('connection', (socket: net.Socket) => {
    const record = { closed: false };
    connections.push(record);
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => {
      record.closed = true;
      sockets.delete(socket);
    });
  });
  const port = await listen(server);
  return {
    origin: `${scheme}://127.0.0.1:${port}`,
    connections,
    open: () => connections.filter((c) => !c.closed).length,
    observeCloses: () => {
      for (const s of sockets) s.resume();
    },
    close: async () => {
      onClose();
      for (const s of sockets) s.destroy();
      await close(server);
    },
  };
}

/** A raw TCP server: handle gets each socket once its request head has arrived (or at once, with atAccept). */
async function raw(handle: (socket: net.Socket) => void, opts: { atAccept?: boolean; read?: boolean } = {}): Promise<Hostile> {
  const server = net.createServer((socket) => {
    if (opts.atAccept) return handle(socket);
    if (opts.read === false) {
      socket.pause();
      return;
    }
    let head = '';
    const onData = (d: Buffer): void => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      socket.resume();
      handle(socket);
    };
    socket.on('data', onData);
  });
  return hosted(server, 'http');
}

/** Writes chunks from next() while the socket takes them, until next() returns undefined or the socket is gone. */
function pump(socket: net.Socket, next: () => Buffer | string | undefined): void {
  const more = (): void => {
    while (!socket.destroyed) {
      const chunk = next();
      if (chunk === undefined) return;
      if (!socket.write(chunk)) {
        socket.once('drain', more);
        return;
      }
    }
  };
  more();
}

/** Sends a byte every ms, until the socket is gone. */
function drip(socket: net.Socket, bytes: string, ms: number): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed) return clearInterval(timer);
    socket.write(bytes[i++ % bytes.length]!);
  }, ms);
  socket.once('close', () => clearInterval(timer));
}

const MB = 1024 * 1024;

export const HOSTILE: Record<string, () => Promise<Hostile>> = {
  /** Not HTTP at all, and the connection stays open. */
  'garbage status line': () => raw((s) => s.write('SMTP READY 220 here we go\r\n\r\n')),
  /** A status line, then 20 MB of header lines. */
  '20 MB of headers': () =>
    raw((s) => {
      let sent = 0;
      const line = `X-Filler: ${'a'.repeat(1000)}\r\n`;
      pump(s, () => {
        if (sent === 0) return (sent = 1), 'HTTP/1.1 200 OK\r\n';
        if (sent > 20 * MB) return undefined;
        sent += line.length;
        return line;
      });
    }),
  /** Accepts, reads the request, never answers. */
  silence: () => raw(() => undefined),
  /** A TCP reset as soon as the connection is accepted. */
  'reset on accept': () => raw((s) => s.resetAndDestroy(), { atAccept: true }),
  /** Headers, one byte every 100 ms, never finished. */
  'slow headers': () => raw((s) => drip(s, 'HTTP/1.1 200 OK\r\nX-Slow: ' + 'z'.repeat(1000), 100)),
  /** A chunk size that is not hex. */
  'bad chunking': () => raw((s) => s.write('HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\n{"id":1}\r\n0\r\n\r\n')),
  /** A chunked body that never ends. */
  'endless body': () =>
    raw((s) => {
      let first = true;
      const chunk = Buffer.from(`10000\r\n${'x'.repeat(0x10000)}\r\n`);
      pump(s, () => (first ? ((first = false), 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n') : chunk));
    }),
  /** Content-Length: 2 GB, and bytes for as long as the client reads. */
  '2 GB Content-Length': () =>
    raw((s) => {
      let first = true;
      const block = Buffer.alloc(0x10000, 0x78);
      pump(s, () => (first ? ((first = false), 'HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 2147483648\r\n\r\n') : block));
    }),
  /** A plain HTTP/1.1 server, attacked over https://. */
  'TLS on a plain port': async () => {
    const h = await raw((s) => s.end('HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n'), { atAccept: true });
    return { ...h, origin: h.origin.replace('http://', 'https://') };
  },
  /** A TLS server, attacked over http://. */
  'plain HTTP on a TLS port': async () => {
    const server = tls.createServer(selfSignedCert(), (s) => s.end('HTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\n{}'));
    server.on('tlsClientError', () => undefined);
    return hosted(server, 'http');
  },
  /** Accepts and never reads a byte (the request body is large enough to fill the buffers). */
  'accepts and never reads': () => raw(() => undefined, { read: false }),
  /** Answers (413, and closes) as soon as the head arrived, before the request body has. */
  'answers before the request body ends': () =>
    raw((s) => {
      s.end('HTTP/1.1 413 Payload Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n');
      s.destroySoon();
    }),
  /** 10,000 response headers. */
  '10,000 headers': () =>
    raw((s) => {
      const headers = Array.from({ length: 10_000 }, (_, i) => `X-H-${i}: v\r\n`).join('');
      s.end(`HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n${headers}Content-Length: 2\r\n\r\n{}`);
    }),
  /** h2c: answers the first stream of a session, then GOAWAY (taking no later stream) and closes. */
  'HTTP/2 GOAWAY mid-burst': () => h2((stream, nth, session) => {
    if (nth === 1) {
      stream.respond({ ':status': 201, 'content-type': 'application/json' });
      stream.end('{"id":"ord_1"}');
      return;
    }
    if (nth === 2) {
      session.goaway(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM, 1);
      session.close();
    }
  }),
  /** h2c: answers the first stream of a session, resets every other with RST_STREAM (INTERNAL_ERROR). */
  'HTTP/2 RST_STREAM mid-burst': () => h2((stream, nth) => {
    if (nth === 1) {
      stream.respond({ ':status': 201, 'content-type': 'application/json' });
      stream.end('{"id":"ord_1"}');
      return;
    }
    stream.close(http2.constants.NGHTTP2_INTERNAL_ERROR);
  }),
};

/** An h2c server calling onStream with each stream of a session, its position in the session counted from 1. */
async function h2(onStream: (stream: http2.ServerHttp2Stream, nth: number, session: http2.Http2Session) => void): Promise<Hostile> {
  const server = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  const counts = new WeakMap<http2.Http2Session, number>();
  server.on('session', (session) => {
    sessions.add(session);
    session.on('error', () => undefined);
    session.once('close', () => sessions.delete(session));
  });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    const session = stream.session!;
    const nth = (counts.get(session) ?? 0) + 1;
    counts.set(session, nth);
    // Once the whole request is in: the burst's last bytes arrive together.
    stream.resume();
    stream.once('end', () => onStream(stream, nth, session));
  });
  return hosted(server, 'http', () => {
    for (const s of sessions) s.destroy();
  });
}
