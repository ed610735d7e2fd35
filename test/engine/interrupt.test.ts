// TransportOptions.signal on every transport path: an abort fails what is in
// flight at once ('interrupted') and closes its connection, whatever phase
// it is in; an aborted signal sends nothing at all.
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { cutExchange, lastByteBurst, sendRaw } from '../../src/engine/h1/index.js';
import { singlePacketBurst } from '../../src/engine/h2/index.js';
import { HttpClient } from '../../src/engine/http/client.js';
import { naiveEngine, probeAlpn } from '../../src/engine/engines.js';
import type { Exchange, HttpRequest, TransportOptions } from '../../src/model/http.js';
import { close, listen, waitFor } from '../helpers/net.js';

interface SilentSocket {
  /** What it received, as latin1. */
  data: string;
  closed: boolean;
}

/** A TCP server that accepts, reads and never answers; it records what each connection sent and its close. */
async function silent(): Promise<{ port: number; sockets: SilentSocket[]; close(): Promise<void> }> {
  const sockets: SilentSocket[] = [];
  const server = net.createServer((socket) => {
    const record: SilentSocket = { data: '', closed: false };
    sockets.push(record);
    socket.on('error', () => undefined);
    socket.on('data', (d: Buffer) => (record.data += d.toString('latin1')));
    socket.once('close', () => (record.closed = true));
  });
  const port = await listen(server);
  return { port, sockets, close: () => close(server) };
}

/** An h2c server that takes streams and never responds to them. */
async function silentH2(): Promise<{ port: number; sessions: { closed: boolean }[]; ended: () => number; close(): Promise<void> }> {
  const server = http2.createServer();
  const sessions: { closed: boolean; session: http2.ServerHttp2Session }[] = [];
  let ended = 0;
  server.on('session', (session) => {
    const record = { closed: false, session };
    sessions.push(record);
    session.on('error', () => undefined);
    session.once('close', () => (record.closed = true));
  });
  server.on('stream', (stream) => {
    stream.on('error', () => undefined);
    stream.on('end', () => ended++);
    stream.resume();
  });
  const port = await listen(server);
  return {
    port,
    sessions,
    ended: () => ended,
    close: async () => {
      for (const s of sessions) s.session.destroy();
      await close(server);
    },
  };
}

const BODY = '{"ref":"x"}';
const post = (port: number, scheme = 'http'): HttpRequest => ({
  method: 'POST',
  url: `${scheme}://127.0.0.1:${port}/orders`,
  headers: { 'content-type': 'application/json' },
  body: Buffer.from(BODY),
});

/** Aborts once ready() holds (the phase under test reached); the transport's result must come within `within` of the abort. */
async function abortedWhen<T>(ready: () => boolean, run: (opts: TransportOptions) => Promise<T>, within = 1000): Promise<T> {
  const controller = new AbortController();
  const opts: TransportOptions = { timeoutMs: 30_000, signal: controller.signal };
  const pending = run(opts);
  await waitFor(ready, 10_000, 'the phase to abort in');
  const t0 = Date.now();
  controller.abort();
  const out = await pending;
  assert.ok(Date.now() - t0 < within, `ended ${Date.now() - t0} ms after the abort (the timeout is 30 s)`);
  return out;
}

function assertInterrupted(exchanges: Exchange[]): void {
  for (const e of exchanges) {
    assert.equal(e.response, undefined);
    assert.equal(e.errorKind, 'interrupted', `${e.label}: ${e.error}`);
    assert.equal(e.error, 'interrupted');
    assert.ok(e.endedAt !== undefined);
  }
}

describe('an abort while waiting for the response', () => {
  let server: Awaited<ReturnType<typeof silent>>;
  before(async () => (server = await silent()));
  after(() => server.close());

  const cases: [string, (opts: TransportOptions) => Promise<Exchange[]>][] = [
    ['HttpClient', async (opts) => {
      const client = new HttpClient(opts);
      try {
        return [await client.send(post(server.port), 'original')];
      } finally {
        await client.close();
      }
    }],
    ['sendRaw', async (opts) => [await sendRaw(post(server.port), opts)]],
    ['lastByteBurst', async (opts) => (await lastByteBurst([post(server.port), post(server.port), post(server.port)], opts)).exchanges],
    ['cutExchange mid-response', async (opts) => [await cutExchange(post(server.port), 'mid-response', opts)]],
    ['naive engine', async (opts) => {
      const engine = naiveEngine(opts);
      try {
        return (await engine.burst([post(server.port), post(server.port)], opts)).exchanges;
      } finally {
        await engine.close();
      }
    }],
  ];
  for (const [name, run] of cases) {
    test(`${name}: 'interrupted' at once, and the server sees its connections closed`, { timeout: 30_000 }, async () => {
      const before = server.sockets.length;
      // Every request of it arrived whole: the client now waits for the response.
      const want = name === 'lastByteBurst' ? 3 : name === 'naive engine' ? 2 : 1;
      const exchanges = await abortedWhen(() => server.sockets.slice(before).filter((s) => s.data.endsWith(BODY)).length === want, run);
      assertInterrupted(exchanges);
      const mine = () => server.sockets.slice(before);
      assert.ok(mine().length >= 1, 'it connected');
      await waitFor(() => mine().every((s) => s.closed), 1000, () => `${mine().filter((s) => !s.closed).length} of ${mine().length} connections still open`);
    });
  }

  test('the TLS handshake (a server that never answers the ClientHello) and the ALPN probe', { timeout: 30_000 }, async () => {
    const before = server.sockets.length;
    const helloAt = (n: number) => () => server.sockets.slice(before).filter((s) => s.data.length > 0).length === n;
    const [exchange] = await abortedWhen(helloAt(1), async (opts) => [await sendRaw(post(server.port, 'https'), opts)]);
    assertInterrupted([exchange!]);
    const probe = await abortedWhen(helloAt(2), (opts) => probeAlpn(new URL(`https://127.0.0.1:${server.port}/`), opts.timeoutMs, opts.signal));
    assert.deepEqual(probe, { where: `127.0.0.1:${server.port}`, error: 'interrupted' });
    await waitFor(() => server.sockets.slice(before).every((s) => s.closed), 1000, 'the handshakes closed');
  });

  test('h2: waiting for the peer\'s SETTINGS (a server that speaks no HTTP/2)', { timeout: 30_000 }, async () => {
    const before = server.sockets.length;
    // The client preface arrived; the client now waits for SETTINGS that never come.
    const preface = () => server.sockets.slice(before).some((s) => s.data.startsWith('PRI * HTTP/2.0'));
    const { exchanges } = await abortedWhen(preface, (opts) => singlePacketBurst([post(server.port), post(server.port)], opts));
    assertInterrupted(exchanges);
    await waitFor(() => server.sockets.slice(before).every((s) => s.closed), 1000, 'the connection closed');
  });
});

describe('h2: an abort after the release', () => {
  let server: Awaited<ReturnType<typeof silentH2>>;
  before(async () => (server = await silentH2()));
  after(() => server.close());

  test("every stream 'interrupted' at once, every session closed", { timeout: 30_000 }, async () => {
    const before = server.sessions.length;
    const { exchanges, released } = await abortedWhen(() => server.ended() === 5, (opts) => singlePacketBurst(Array.from({ length: 5 }, () => post(server.port)), opts));
    assert.equal(released, 5, 'the burst was released before the abort');
    assertInterrupted(exchanges);
    await waitFor(() => server.sessions.slice(before).every((s) => s.closed), 1000, 'the sessions closed');
  });
});

describe('an aborted signal', () => {
  let server: Awaited<ReturnType<typeof silent>>;
  before(async () => (server = await silent()));
  after(() => server.close());

  test('sends nothing on any path: no connection is even opened', { timeout: 30_000 }, async () => {
    const controller = new AbortController();
    controller.abort();
    const opts: TransportOptions = { timeoutMs: 30_000, signal: controller.signal };
    const client = new HttpClient(opts);
    const exchanges = [
      await client.send(post(server.port), 'original'),
      await sendRaw(post(server.port), opts),
      ...(await lastByteBurst([post(server.port)], opts)).exchanges,
      ...(await singlePacketBurst([post(server.port)], opts)).exchanges,
      await cutExchange(post(server.port), 'after-send', opts),
    ];
    await client.close();
    assertInterrupted(exchanges);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(server.sockets.length, 0, 'a connection was opened');
  });
});
