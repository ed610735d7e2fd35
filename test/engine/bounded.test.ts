// The response-size bound (TransportOptions.maxResponseBytes) on every
// transport path, against real servers on 127.0.0.1: a body exactly at the
// bound is accepted byte for byte, one byte more fails with the one message,
// whatever the framing, and the connection is closed at once (the server
// sees it go while the client is still alive). Memory use against 2 GiB and
// endless bodies, measured in a child process: bounded-memory.test.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http2 from 'node:http2';
import type { Exchange, HttpRequest, TransportOptions } from '../../src/model/http.js';
import { DEFAULT_MAX_RESPONSE_BYTES, resolveEngine, type EngineName } from '../../src/engine/engines.js';
import { cutExchange, lastByteBurst, sendRaw } from '../../src/engine/h1/index.js';
import { singlePacketBurst } from '../../src/engine/h2/index.js';
import { HttpClient } from '../../src/engine/http/client.js';
import { formatSize, responseLimit, transportOptions } from '../../src/engine/transport/options.js';
import { waitFor } from '../helpers/net.js';
import { h1BodyServer, h2BodyServer, HUGE_LENGTH, patternBody, type BodyServer, type Served } from './body-servers.js';

const MiB = 1024 * 1024;

function get(url: string): HttpRequest {
  return { method: 'GET', url, headers: {} };
}

/**
 * A transport path, the way its callers use it: open() once with the
 * transport options, send() requests, close() at the end. Paths that keep
 * connections between exchanges (the undici client, the naive engine) stay
 * open until close(), so a test can see whether a connection outlives its
 * failed exchange.
 */
interface Path {
  send(req: HttpRequest): Promise<Exchange>;
  close(): Promise<void>;
}
type OpenPath = (opts: TransportOptions) => Promise<Path>;

function stateless(send: (req: HttpRequest, opts: TransportOptions) => Promise<Exchange>): OpenPath {
  return async (opts) => ({ send: (req) => send(req, opts), close: async () => undefined });
}

function viaEngine(name: EngineName, origin: () => string): OpenPath {
  return async (opts) => {
    const engine = await resolveEngine(name, origin(), opts);
    return {
      send: async (req) => (await engine.burst([req], { ...opts, labels: ['bounded'] })).exchanges[0]!,
      close: () => engine.close(),
    };
  };
}

const viaClient: OpenPath = async (opts) => {
  const client = new HttpClient(opts);
  return { send: (req) => client.send(req, 'request'), close: () => client.close() };
};

/** Runs use over a path opened with opts, and closes it after. */
async function over<T>(open: OpenPath, opts: TransportOptions, use: (path: Path) => Promise<T>): Promise<T> {
  const path = await open(opts);
  try {
    return await use(path);
  } finally {
    await path.close();
  }
}

function assertBody(ex: Exchange, n: number): void {
  assert.equal(ex.error, undefined, ex.error);
  assert.equal(ex.response?.status, 200);
  assert.equal(ex.response!.body.length, n);
  assert.ok(ex.response!.body.equals(patternBody(n)), 'body byte for byte');
}

function assertTooLarge(ex: Exchange, message: string): void {
  assert.equal(ex.response, undefined);
  assert.equal(ex.errorKind, 'protocol');
  assert.equal(ex.error, message);
  assert.ok(ex.endedAt !== undefined && ex.endedAt >= ex.startedAt);
}

/** Exactly `limit` bytes pass, with either framing; limit + 1 fails, with either framing, naming the bound as `size`. */
async function exactBound(open: OpenPath, origin: string, limit: number, size: string): Promise<void> {
  await over(open, { timeoutMs: 15_000, maxResponseBytes: limit }, async (path) => {
    assertBody(await path.send(get(`${origin}/length/${limit}`)), limit);
    assertBody(await path.send(get(`${origin}/chunked/${limit}`)), limit);
    assertTooLarge(
      await path.send(get(`${origin}/length/${limit + 1}`)),
      `response body larger than ${size} from ${origin} (Content-Length ${limit + 1})`,
    );
    assertTooLarge(await path.send(get(`${origin}/chunked/${limit + 1}`)), `response body larger than ${size} from ${origin}`);
  });
}

/** The server's record of the one request to path since `from` (an index into served). */
function servedAt(server: BodyServer, path: string, from: number): Served {
  const hits = server.served.slice(from).filter((s) => s.path === path);
  assert.equal(hits.length, 1, `one request to ${path}`);
  return hits[0]!;
}

describe('the bound and its helpers', () => {
  test('16 MiB by default; transportOptions() carries maxResponseBytes through', () => {
    assert.equal(DEFAULT_MAX_RESPONSE_BYTES, 16 * 1024 * 1024);
    assert.equal(responseLimit({}), DEFAULT_MAX_RESPONSE_BYTES);
    assert.equal(responseLimit({ maxResponseBytes: 0 }), 0);
    assert.equal(responseLimit({ maxResponseBytes: 5 }), 5);
    const full: TransportOptions & { labels: string[] } = { timeoutMs: 9, insecure: true, ca: 'pem', maxResponseBytes: 123, labels: ['x'] };
    assert.deepEqual(transportOptions(full), { timeoutMs: 9, insecure: true, ca: 'pem', maxResponseBytes: 123 });
    assert.deepEqual(transportOptions(full, 4), { timeoutMs: 4, insecure: true, ca: 'pem', maxResponseBytes: 123 });
    assert.deepEqual(transportOptions({ timeoutMs: 9 }), { timeoutMs: 9 });
  });

  test('sizes are told exactly, in MiB or KiB when whole', () => {
    assert.equal(formatSize(16 * MiB), '16 MiB');
    assert.equal(formatSize(MiB), '1 MiB');
    assert.equal(formatSize(1536 * 1024), '1536 KiB');
    assert.equal(formatSize(300 * 1024), '300 KiB');
    assert.equal(formatSize(1024), '1 KiB');
    assert.equal(formatSize(1000), '1000 bytes');
    assert.equal(formatSize(1), '1 byte');
    assert.equal(formatSize(0), '0 bytes');
  });

  test('an invalid bound is a RangeError from every entry point, before anything is sent', async () => {
    const req = get('http://127.0.0.1:9/');
    for (const bad of [-1, 1.5, Number.NaN, Infinity]) {
      const opts = { timeoutMs: 1000, maxResponseBytes: bad };
      assert.throws(() => responseLimit(opts), RangeError);
      await assert.rejects(sendRaw(req, opts), RangeError);
      await assert.rejects(lastByteBurst([req], opts), RangeError);
      await assert.rejects(singlePacketBurst([req], opts), RangeError);
      await assert.rejects(cutExchange(req, 'after-send', opts), RangeError);
      assert.throws(() => new HttpClient(opts), RangeError);
    }
  });
});

describe('HTTP/1.1 paths: the bound is exact, whatever the framing', () => {
  let server: BodyServer;
  before(async () => {
    server = await h1BodyServer();
  });
  after(() => server.close());
  const h1Paths: Array<[string, OpenPath]> = [
    ['sendRaw', stateless((req, opts) => sendRaw(req, opts))],
    ['lastByteBurst', stateless(async (req, opts) => (await lastByteBurst([req], opts)).exchanges[0]!)],
    ['HttpClient', viaClient],
    ['h1 engine', viaEngine('h1', () => server.origin)],
    ['naive engine', viaEngine('naive', () => server.origin)],
  ];

  const LIMIT = 300 * 1024;
  for (const [name, open] of h1Paths) {
    test(`${name}: a body of exactly the bound is accepted, one byte more is refused`, { timeout: 60_000 }, async () => {
      await exactBound(open, server.origin, LIMIT, '300 KiB');
    });
  }

  test('the default bound: 16 MiB is accepted, 16 MiB + 1 is refused', { timeout: 60_000 }, async () => {
    const { origin } = server;
    const opts = { timeoutMs: 15_000 };
    for (const [, open] of h1Paths.slice(0, 3)) {
      await over(open, opts, async (path) => {
        assertBody(await path.send(get(`${origin}/chunked/${16 * MiB}`)), 16 * MiB);
        assertTooLarge(await path.send(get(`${origin}/chunked/${16 * MiB + 1}`)), `response body larger than 16 MiB from ${origin}`);
      });
    }
  });

  for (const [name, open] of h1Paths) {
    test(`${name}: past the bound the connection is closed at once, not read further`, { timeout: 60_000 }, async () => {
      const { origin } = server;
      // 4 MiB: well past what undici buffers for a body nobody reads, so a
      // client that merely stopped reading would leave the connection open.
      await over(open, { timeoutMs: 30_000, maxResponseBytes: 4 * MiB }, async (client) => {
        for (const [path, message] of [
          ['/endless', `response body larger than 4 MiB from ${origin}`],
          ['/huge', `response body larger than 4 MiB from ${origin} (Content-Length ${HUGE_LENGTH})`],
        ] as const) {
          const from = server.served.length;
          const ex = await client.send(get(`${origin}${path}`));
          assertTooLarge(ex, message);
          assert.ok(ex.endedAt! - ex.startedAt < 10_000, `${path}: ended after ${ex.endedAt! - ex.startedAt} ms`);
          const served = servedAt(server, path, from);
          // The path is still open here (the undici client and the naive
          // engine keep their pools until close()): only a client that
          // destroys the connection lets the server see it close.
          await waitFor(() => served.connectionClosedAt !== undefined, 5_000, `the server seeing the connection of ${path} close`);
          assert.ok(served.written < 64 * MiB, `${path}: the server wrote ${served.written} bytes before the close`);
        }
      });
    });
  }
});

describe('HTTP/2 paths (h2c): the bound is exact, and only the offending stream is reset', () => {
  let server: BodyServer & { sessions: number };
  before(async () => {
    server = await h2BodyServer();
  });
  after(() => server.close());
  const h2Paths: Array<[string, OpenPath]> = [
    ['singlePacketBurst', stateless(async (req, opts) => (await singlePacketBurst([req], opts)).exchanges[0]!)],
    ['h2 engine', viaEngine('h2', () => server.origin)],
  ];

  const LIMIT = 300 * 1024;
  for (const [name, open] of h2Paths) {
    test(`${name}: a body of exactly the bound is accepted, one byte more is refused`, { timeout: 60_000 }, async () => {
      await exactBound(open, server.origin, LIMIT, '300 KiB');
    });
  }

  test('the default bound: 16 MiB is accepted, 16 MiB + 1 is refused', { timeout: 60_000 }, async () => {
    const { origin } = server;
    await over(h2Paths[0]![1], { timeoutMs: 15_000 }, async (path) => {
      assertBody(await path.send(get(`${origin}/chunked/${16 * MiB}`)), 16 * MiB);
      assertTooLarge(await path.send(get(`${origin}/chunked/${16 * MiB + 1}`)), `response body larger than 16 MiB from ${origin}`);
    });
  });

  test('past the bound the stream is cancelled and its connection closed at once', { timeout: 60_000 }, async () => {
    const { origin } = server;
    for (const [path, message] of [
      ['/endless', `response body larger than 64 KiB from ${origin}`],
      ['/huge', `response body larger than 64 KiB from ${origin} (Content-Length ${HUGE_LENGTH})`],
    ] as const) {
      const from = server.served.length;
      const result = await singlePacketBurst([get(`${origin}${path}`)], { timeoutMs: 30_000, maxResponseBytes: 64 * 1024 });
      const ex = result.exchanges[0]!;
      assertTooLarge(ex, message);
      const served = servedAt(server, path, from);
      await waitFor(() => served.closedAt !== undefined, 5_000, `the server seeing the stream of ${path} close`);
      assert.equal(served.rstCode, http2.constants.NGHTTP2_CANCEL, `${path}: the client cancelled the stream`);
      assert.ok(served.written < 64 * MiB, `${path}: the server wrote ${served.written} bytes before the close`);
      await waitFor(() => served.connectionClosedAt !== undefined, 5_000, `the session of ${path} closing`);
    }
  });

  test('a sibling stream on the same connection still gets its whole response', { timeout: 60_000 }, async () => {
    const { origin } = server;
    const from = server.served.length;
    const sessionsBefore = server.sessions;
    const result = await singlePacketBurst([get(`${origin}/endless`), get(`${origin}/length/1000`), get(`${origin}/chunked/5000`)], {
      timeoutMs: 30_000,
      maxResponseBytes: 64 * 1024,
    });
    assert.equal(result.connections, 1);
    assert.equal(server.sessions - sessionsBefore, 1, 'all three streams on one connection');
    assertTooLarge(result.exchanges[0]!, `response body larger than 64 KiB from ${origin}`);
    assertBody(result.exchanges[1]!, 1000);
    assertBody(result.exchanges[2]!, 5000);
    const endless = servedAt(server, '/endless', from);
    await waitFor(() => endless.closedAt !== undefined, 5_000, 'the server seeing the endless stream close');
    assert.equal(endless.rstCode, http2.constants.NGHTTP2_CANCEL);
  });
});
