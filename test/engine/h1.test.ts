// Tests for the raw HTTP/1.1 engine against real servers on 127.0.0.1 (the
// parser and serializer alone: h1-wire.test.ts).
// Timing assertions are deliberately loose: this must pass on a busy 2-core box.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { now, type Exchange, type HttpRequest } from '../../src/model/http.js';
import {
  cutExchange,
  lastByteBurst,
  openConnection,
  sendRaw,
  serializeRequest,
  TransportError,
  type CutPoint,
} from '../../src/engine/h1/index.js';
import { close, closedPort, listen, selfSignedCert, waitFor } from '../helpers/net.js';

// ---------------------------------------------------------------- helpers

function assertTimeline(ex: Exchange): void {
  assert.ok(ex.endedAt !== undefined, 'endedAt set');
  assert.ok(ex.startedAt <= ex.endedAt);
  if (ex.sentAt !== undefined) assert.ok(ex.startedAt <= ex.sentAt && ex.sentAt <= ex.endedAt);
  if (ex.firstByteAt !== undefined) assert.ok(ex.startedAt <= ex.firstByteAt && ex.firstByteAt <= ex.endedAt);
}

/** A TCP server that answers each request (once its head is in) with whatever respond() writes. */
function rawServer(respond: (socket: net.Socket, head: string) => void): net.Server {
  return net.createServer((socket) => {
    let seen = '';
    let answered = false;
    socket.on('error', () => undefined);
    socket.on('data', (chunk) => {
      seen += chunk.toString('latin1');
      if (!answered && seen.includes('\r\n\r\n')) {
        answered = true;
        respond(socket, seen);
      }
    });
  });
}

// ---------------------------------------------------------------- sendRaw over http

describe('sendRaw (http)', () => {
  let server: http.Server;
  let base: string;
  const seen: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const parts: Buffer[] = [];
      req.on('data', (d: Buffer) => parts.push(d));
      req.on('end', () => {
        const body = Buffer.concat(parts).toString();
        seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
        if (req.url === '/chunked') {
          res.setHeader('Set-Cookie', ['a=1', 'b=2']);
          res.write('part one, ');
          setTimeout(() => res.end('part two'), 20);
          return;
        }
        if (req.url === '/hang') return;
        res.writeHead(201, { 'Content-Type': 'application/json', 'X-Echo': req.headers['idempotency-key'] ?? '' });
        res.end(JSON.stringify({ method: req.method, body }));
      });
    });
    base = `http://127.0.0.1:${await listen(server)}`;
  });
  after(() => close(server));

  test('POST with body: status, headers, body, timestamps', async () => {
    const ex = await sendRaw(
      { method: 'POST', url: `${base}/orders?x=1`, headers: { 'Idempotency-Key': 'abc' }, body: Buffer.from('{"n":1}') },
      { timeoutMs: 10_000 },
      'original',
    );
    assert.equal(ex.error, undefined);
    assert.equal(ex.label, 'original');
    assert.equal(ex.response?.status, 201);
    assert.equal(ex.response?.headers['x-echo'], 'abc');
    assert.deepEqual(JSON.parse(ex.response!.body.toString()), { method: 'POST', body: '{"n":1}' });
    assert.ok(ex.sentAt !== undefined && ex.firstByteAt !== undefined);
    assertTimeline(ex);
    const last = seen[seen.length - 1]!;
    assert.equal(last.url, '/orders?x=1');
    assert.equal(last.headers['user-agent'], 'idemchaos');
    assert.equal(last.headers['connection'], 'close');
  });

  test('chunked response with set-cookie', async () => {
    const ex = await sendRaw({ method: 'GET', url: `${base}/chunked`, headers: {} }, { timeoutMs: 10_000 });
    assert.equal(ex.error, undefined);
    assert.equal(ex.response?.headers['transfer-encoding'], 'chunked');
    assert.equal(ex.response?.headers['set-cookie'], 'a=1\nb=2');
    assert.equal(ex.response?.body.toString(), 'part one, part two');
  });

  test('HEAD', async () => {
    const ex = await sendRaw({ method: 'HEAD', url: `${base}/`, headers: {} }, { timeoutMs: 10_000 });
    assert.equal(ex.error, undefined);
    assert.equal(ex.response?.status, 201);
    assert.equal(ex.response?.body.length, 0);
  });

  test('no response within the bound is a timeout', async () => {
    const t0 = Date.now();
    const ex = await sendRaw({ method: 'GET', url: `${base}/hang`, headers: {} }, { timeoutMs: 500 });
    assert.equal(ex.errorKind, 'timeout');
    assert.match(ex.error ?? '', /no complete response .* within 500 ms/);
    assert.ok(Date.now() - t0 < 5_000);
    assertTimeline(ex);
  });

  test('refused port is a connect error', async () => {
    const port = await closedPort();
    const ex = await sendRaw({ method: 'GET', url: `http://127.0.0.1:${port}/`, headers: {} }, { timeoutMs: 5_000 });
    assert.equal(ex.errorKind, 'connect');
    assert.match(ex.error ?? '', new RegExp(`cannot connect to 127\\.0\\.0\\.1:${port}: ECONNREFUSED`));
    assert.equal(ex.sentAt, undefined);
    assertTimeline(ex);
  });

  test('openConnection throws a TransportError', async () => {
    const port = await closedPort();
    await assert.rejects(openConnection(new URL(`http://127.0.0.1:${port}/`), { timeoutMs: 5_000 }), (err: unknown) => {
      return err instanceof TransportError && err.kind === 'connect' && err.code === 'ECONNREFUSED';
    });
    await assert.rejects(openConnection(new URL('ftp://127.0.0.1/'), { timeoutMs: 5_000 }), /unsupported URL scheme/);
  });

  test('unsendable request becomes a protocol error, not a throw', async () => {
    const ex = await sendRaw({ method: 'GET', url: `${base}/`, headers: { 'X-Bad': 'a\nb' } }, { timeoutMs: 5_000 });
    assert.equal(ex.errorKind, 'protocol');
    assert.match(ex.error ?? '', /cannot send request/);
  });
});

describe('sendRaw (odd responses over raw TCP)', () => {
  test('100 Continue then 201, close-delimited, trailers, malformed, early close', async () => {
    const cases: Array<{ path: string; wire: string; check: (ex: Exchange) => void }> = [
      {
        path: '/continue',
        wire: 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone',
        check: (ex) => {
          assert.equal(ex.response?.status, 201);
          assert.equal(ex.response?.body.toString(), 'done');
        },
      },
      {
        path: '/close-delimited',
        wire: 'HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end',
        check: (ex) => assert.equal(ex.response?.body.toString(), 'until the end'),
      },
      {
        path: '/trailers',
        wire: 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n4;x=y\r\nbody\r\n0\r\nX-T: 1\r\n\r\n',
        check: (ex) => assert.equal(ex.response?.body.toString(), 'body'),
      },
      {
        path: '/malformed',
        wire: 'HTTX/1.1 200 OK\r\n\r\n',
        check: (ex) => {
          assert.equal(ex.errorKind, 'protocol');
          assert.match(ex.error ?? '', /malformed status line/);
        },
      },
      {
        path: '/short',
        wire: 'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this',
        check: (ex) => {
          assert.equal(ex.errorKind, 'reset');
          assert.match(ex.error ?? '', /after 9 of 100 body bytes/);
        },
      },
      {
        path: '/nothing',
        wire: '',
        check: (ex) => {
          assert.equal(ex.errorKind, 'reset');
          assert.match(ex.error ?? '', /before any response byte/);
        },
      },
    ];
    const server = rawServer((socket, head) => {
      const path = head.split(' ')[1];
      const wire = cases.find((c) => c.path === path)?.wire ?? '';
      // Dribble the response out in small pieces, then close.
      const bytes = Buffer.from(wire, 'latin1');
      let i = 0;
      const step = (): void => {
        if (i >= bytes.length) {
          socket.end();
          return;
        }
        socket.write(bytes.subarray(i, i + 7));
        i += 7;
        setImmediate(step);
      };
      step();
    });
    const port = await listen(server);
    try {
      for (const c of cases) {
        const ex = await sendRaw({ method: 'POST', url: `http://127.0.0.1:${port}${c.path}`, headers: {} }, { timeoutMs: 10_000 });
        c.check(ex);
        assertTimeline(ex);
      }
    } finally {
      await close(server);
    }
  });
});

// ---------------------------------------------------------------- TLS

describe('TLS', () => {
  let key: Buffer;
  let cert: Buffer;

  before(() => {
    ({ key, cert } = selfSignedCert());
  });

  async function withHttps<T>(
    handler: http.RequestListener,
    run: (base: string, server: https.Server) => Promise<T>,
  ): Promise<T> {
    const server = https.createServer({ key, cert }, handler);
    server.on('tlsClientError', () => undefined);
    const port = await listen(server);
    try {
      return await run(`https://127.0.0.1:${port}`, server);
    } finally {
      await close(server);
    }
  }

  const echo: http.RequestListener = (req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => res.end(`tls:${Buffer.concat(parts).toString()}`));
  };

  test('sendRaw with --insecure, with --ca, and without either', async () => {
    await withHttps(echo, async (base) => {
      const req: HttpRequest = { method: 'POST', url: `${base}/x`, headers: {}, body: Buffer.from('hi') };
      const insecure = await sendRaw(req, { timeoutMs: 10_000, insecure: true });
      assert.equal(insecure.error, undefined);
      assert.equal(insecure.response?.body.toString(), 'tls:hi');
      assertTimeline(insecure);

      const withCa = await sendRaw(req, { timeoutMs: 10_000, ca: cert });
      assert.equal(withCa.error, undefined);
      assert.equal(withCa.response?.status, 200);

      const byName = await sendRaw({ ...req, url: req.url.replace('127.0.0.1', 'localhost') }, { timeoutMs: 10_000, ca: cert.toString() });
      assert.equal(byName.error, undefined, 'SNI/host name verification against DNS:localhost');

      const strict = await sendRaw(req, { timeoutMs: 10_000 });
      assert.equal(strict.errorKind, 'tls');
      assert.match(strict.error ?? '', /^TLS: self-signed certificate.*\(use --insecure or --ca\)$/);
      assertTimeline(strict);
    });
  });

  test('openConnection negotiates http/1.1 by ALPN', async () => {
    await withHttps(echo, async (base) => {
      const conn = await openConnection(new URL(base), { timeoutMs: 10_000, insecure: true });
      try {
        assert.equal(conn.alpn, 'http/1.1');
        assert.notEqual(conn.raw, conn.stream);
        assert.equal(conn.raw.destroyed, false);
      } finally {
        conn.stream.destroy();
        conn.raw.destroy();
      }
    });
  });

  test('burst over TLS', { timeout: 60_000 }, async () => {
    await withHttps(echo, async (base) => {
      const reqs: HttpRequest[] = Array.from({ length: 10 }, (_, i) => ({
        method: 'POST',
        url: `${base}/b`,
        headers: {},
        body: Buffer.from(`n=${i}`),
      }));
      const result = await lastByteBurst(reqs, { timeoutMs: 20_000, ca: cert });
      assert.equal(result.released, 10);
      result.exchanges.forEach((ex, i) => assert.equal(ex.response?.body.toString(), `tls:n=${i}`, ex.error));
      assert.ok(result.releaseSkewMs < 50);
    });
  });

  test('a TLS handshake that never completes is bounded (sendRaw and burst connect phase)', { timeout: 60_000 }, async () => {
    let opened = 0;
    let closed = 0;
    const silent = net.createServer((socket) => {
      opened += 1;
      socket.resume(); // read (and drop) the ClientHello, so the close is noticed
      socket.on('error', () => undefined);
      socket.on('close', () => (closed += 1));
    });
    const port = await listen(silent);
    try {
      const url = `https://127.0.0.1:${port}/`;
      const one = await sendRaw({ method: 'GET', url, headers: {} }, { timeoutMs: 500, insecure: true });
      assert.equal(one.errorKind, 'timeout');
      assert.match(one.error ?? '', /timed out after \d+ ms TLS handshake with 127\.0\.0\.1:/);
      const t0 = performance.now();
      const burst = await lastByteBurst(
        Array.from({ length: 5 }, () => ({ method: 'GET', url, headers: {} })),
        { timeoutMs: 700, insecure: true },
      );
      assert.ok(performance.now() - t0 < 5_000);
      assert.equal(burst.released, 0);
      for (const ex of burst.exchanges) assert.equal(ex.errorKind, 'timeout', ex.error);
      await waitFor(() => opened === 6 && closed === 6, 10_000, `server to see 6 closes (opened ${opened}, closed ${closed})`);
    } finally {
      await close(silent);
    }
  });

  test('cut after-send over TLS: server read the whole body, then its socket is reset', async () => {
    const body = Buffer.from('x'.repeat(3000));
    const state = { received: 0, ended: false, closed: false, finishedBeforeClose: false, socketError: '' };
    await withHttps(
      (req, res) => {
        req.on('data', (d: Buffer) => (state.received += d.length));
        req.on('end', () => {
          state.ended = true;
          setTimeout(() => res.end('late'), 2_000);
        });
        req.socket.on('error', (e: NodeJS.ErrnoException) => (state.socketError = e.code ?? e.message));
        res.on('close', () => {
          state.closed = true;
          state.finishedBeforeClose = res.writableFinished;
        });
      },
      async (base) => {
        const ex = await cutExchange(
          { method: 'POST', url: `${base}/pay`, headers: {}, body },
          'after-send',
          { timeoutMs: 10_000, insecure: true, graceMs: 300 },
        );
        assert.equal(ex.errorKind, 'cut');
        assert.equal(ex.error, 'cut after-send (0 response bytes received)');
        assert.ok(ex.sentAt !== undefined);
        assertTimeline(ex);
        await waitFor(() => state.closed, 5_000, 'server response socket to close');
        assert.equal(state.ended, true, 'handler saw the complete body');
        assert.equal(state.received, body.length);
        assert.equal(state.finishedBeforeClose, false, 'response never finished');
        assert.equal(state.socketError, 'ECONNRESET', 'server saw a reset');
      },
    );
  });
});

// ---------------------------------------------------------------- burst

describe('lastByteBurst', () => {
  async function burstAgainstRecorder(n: number, t: { diagnostic(msg: string): void }): Promise<void> {
    const arrivals: number[] = [];
    const server = http.createServer((req, res) => {
      let bytes = 0;
      req.on('data', (d: Buffer) => (bytes += d.length));
      req.on('end', () => {
        arrivals.push(performance.now());
        res.end(JSON.stringify({ bytes, key: req.headers['idempotency-key'] }));
      });
    });
    server.maxConnections = 10_000;
    const port = await listen(server);
    try {
      const body = Buffer.from(JSON.stringify({ amount: 100, currency: 'EUR' }));
      const reqs: HttpRequest[] = Array.from({ length: n }, () => ({
        method: 'POST',
        url: `http://127.0.0.1:${port}/payments`,
        headers: { 'Idempotency-Key': 'same-key', 'Content-Type': 'application/json' },
        body,
      }));
      const result = await lastByteBurst(reqs, { timeoutMs: 30_000 });
      assert.equal(result.exchanges.length, n);
      assert.equal(result.released, n);
      assert.equal(arrivals.length, n, 'every request arrived');
      result.exchanges.forEach((ex, i) => {
        assert.equal(ex.error, undefined, `${ex.label}: ${ex.error}`);
        assert.equal(ex.label, `burst ${i + 1}/${n}`);
        assert.equal(ex.response?.status, 200);
        assert.deepEqual(JSON.parse(ex.response!.body.toString()), { bytes: body.length, key: 'same-key' });
        assert.ok(ex.sentAt !== undefined);
        assertTimeline(ex);
      });
      const sent = result.exchanges.map((ex) => ex.sentAt!);
      assert.ok(Math.abs(result.releaseSkewMs - (Math.max(...sent) - Math.min(...sent))) < 1e-6);
      assert.ok(result.releaseSkewMs >= 0 && result.releaseSkewMs < 50, `release skew ${result.releaseSkewMs} ms`);
      assert.ok(result.connectMs > 0);
      const spread = Math.max(...arrivals) - Math.min(...arrivals);
      t.diagnostic(
        `burst of ${n}: connect ${result.connectMs.toFixed(1)} ms, release skew ${result.releaseSkewMs.toFixed(3)} ms, ` +
          `server-side arrival spread ${spread.toFixed(2)} ms`,
      );
    } finally {
      await close(server);
    }
  }

  test('burst of 20: all arrive, all answered, small release skew', { timeout: 60_000 }, async (t) => {
    await burstAgainstRecorder(20, t);
  });

  test('burst of 200: all arrive, all answered, small release skew', { timeout: 120_000 }, async (t) => {
    await burstAgainstRecorder(200, t);
  });

  test('rehearsals send nothing: the server sees each of the N requests once, byte for byte, whole only after the release', { timeout: 60_000 }, async () => {
    // Raw TCP: every byte of every connection, and when the request it carries became whole.
    const n = 12;
    const body = Buffer.from(JSON.stringify({ sku: 'widget-1', qty: 2, ref: 'rehearsed' }));
    const req = (i: number): HttpRequest => ({
      method: 'POST',
      url: `http://127.0.0.1:${port}/orders?i=${i}`,
      headers: { 'Idempotency-Key': 'k1', 'Content-Type': 'application/json' },
      body,
    });
    const conns: { bytes: Buffer[]; wholeAt?: number }[] = [];
    const server = net.createServer((socket) => {
      const conn: (typeof conns)[number] = { bytes: [] };
      conns.push(conn);
      socket.on('error', () => undefined);
      socket.on('data', (chunk) => {
        conn.bytes.push(chunk);
        const seen = Buffer.concat(conn.bytes);
        const head = seen.indexOf('\r\n\r\n');
        const length = Number(/content-length: (\d+)/i.exec(seen.toString('latin1'))?.[1] ?? NaN);
        if (conn.wholeAt === undefined && head >= 0 && seen.length >= head + 4 + length) {
          conn.wholeAt = now();
          socket.end('HTTP/1.1 201 Created\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
        }
      });
    });
    const port = await listen(server);
    try {
      const reqs = Array.from({ length: n }, (_, i) => req(i));
      for (const rehearsals of [8, 0, 1000]) {
        conns.length = 0;
        const result = await lastByteBurst(reqs, { timeoutMs: 10_000, rehearsals });
        assert.equal(result.released, n, `rehearsals ${rehearsals}`);
        assert.deepEqual(result.exchanges.map((e) => e.response?.status), Array(n).fill(201), `rehearsals ${rehearsals}`);
        await waitFor(() => conns.length === n && conns.every((c) => c.wholeAt !== undefined), 5_000, `${n} whole requests`);
        const firstRelease = Math.min(...result.exchanges.map((e) => e.sentAt!));
        // Exactly the request's bytes, once, on each of exactly N connections.
        const wire = conns.map((c) => Buffer.concat(c.bytes).toString('latin1')).sort();
        assert.deepEqual(wire, reqs.map((r) => serializeRequest(r).toString('latin1')).sort(), `rehearsals ${rehearsals}`);
        for (const c of conns) {
          // No request became whole before the first final byte left the client.
          assert.ok(c.wholeAt! >= firstRelease, `rehearsals ${rehearsals}: a request was whole ${(firstRelease - c.wholeAt!).toFixed(3)} ms before the release`);
        }
      }
    } finally {
      await close(server);
    }
  });

  test('rehearsed bursts of requests with no body, a 1-byte body or an empty one: nothing complete before the release', { timeout: 60_000 }, async () => {
    // Node's own parser is the judge: 'request' fires when the head is whole, 'end' when the body is.
    // A GET's final byte is its header terminator's last; so is an empty body's (Content-Length: 0).
    const seen = new Map<string, { headAt: number; endAt?: number }>();
    const server = http.createServer((req, res) => {
      const entry: { headAt: number; endAt?: number } = { headAt: now() };
      seen.set(req.url ?? '', entry);
      req.resume();
      req.on('end', () => {
        entry.endAt = now();
        res.end('ok');
      });
    });
    const port = await listen(server);
    try {
      const base = `http://127.0.0.1:${port}`;
      for (const rehearsals of [0, 8]) {
        seen.clear();
        const reqs: HttpRequest[] = [
          { method: 'GET', url: `${base}/get-${rehearsals}`, headers: { 'Idempotency-Key': 'k' } },
          { method: 'DELETE', url: `${base}/delete-${rehearsals}`, headers: {} },
          { method: 'POST', url: `${base}/one-byte-${rehearsals}`, headers: { 'Idempotency-Key': 'k' }, body: Buffer.from('x') },
          { method: 'POST', url: `${base}/empty-${rehearsals}`, headers: { 'Idempotency-Key': 'k' }, body: Buffer.alloc(0) },
        ];
        const result = await lastByteBurst(reqs, { timeoutMs: 10_000, rehearsals });
        assert.equal(result.released, reqs.length, `rehearsals ${rehearsals}`);
        result.exchanges.forEach((ex) => {
          assert.equal(ex.error, undefined, `${ex.label}: ${ex.error}`);
          assert.equal(ex.response?.status, 200);
          assertTimeline(ex);
        });
        const firstRelease = Math.min(...result.exchanges.map((e) => e.sentAt!));
        assert.equal(seen.size, reqs.length);
        for (const [url, { headAt, endAt }] of seen) {
          assert.ok(endAt !== undefined && endAt >= firstRelease, `${url}: body whole ${(firstRelease - endAt!).toFixed(3)} ms before the release`);
          // Without a body, the head itself is whole only at the final byte.
          if (!url.startsWith('/one-byte')) {
            assert.ok(headAt >= firstRelease, `${url}: head whole ${(firstRelease - headAt).toFixed(3)} ms before the release`);
          }
        }
      }
    } finally {
      await close(server);
    }
  });

  test('labels, bodyless requests and an unreachable target', { timeout: 60_000 }, async () => {
    const server = http.createServer((req, res) => res.end(req.method));
    const port = await listen(server);
    const dead = await closedPort();
    try {
      const result = await lastByteBurst(
        [
          { method: 'GET', url: `http://127.0.0.1:${port}/a`, headers: {} },
          { method: 'GET', url: `http://127.0.0.1:${dead}/b`, headers: {} },
          { method: 'DELETE', url: `http://127.0.0.1:${port}/c`, headers: {} },
        ],
        { timeoutMs: 10_000, labels: ['one', 'two', 'three'] },
      );
      assert.deepEqual(result.exchanges.map((e) => e.label), ['one', 'two', 'three']);
      assert.equal(result.released, 2);
      assert.equal(result.exchanges[0]!.response?.body.toString(), 'GET');
      assert.equal(result.exchanges[1]!.errorKind, 'connect');
      assert.equal(result.exchanges[1]!.sentAt, undefined);
      assert.equal(result.exchanges[2]!.response?.body.toString(), 'DELETE');
      const empty = await lastByteBurst([], { timeoutMs: 1_000 });
      assert.deepEqual(empty, { exchanges: [], releaseSkewMs: 0, connectMs: 0, released: 0 });
    } finally {
      await close(server);
    }
  });

  test('a server that never answers: timeouts within the bound, every connection closed', { timeout: 60_000 }, async () => {
    let opened = 0;
    let closed = 0;
    let bytes = 0;
    const server = net.createServer((socket) => {
      opened += 1;
      socket.on('data', (d) => (bytes += d.length));
      socket.on('error', () => undefined);
      socket.on('close', () => (closed += 1));
    });
    const port = await listen(server);
    try {
      const n = 20;
      const timeoutMs = 1_000;
      const reqs: HttpRequest[] = Array.from({ length: n }, () => ({
        method: 'POST',
        url: `http://127.0.0.1:${port}/never`,
        headers: {},
        body: Buffer.from('{}'),
      }));
      const t0 = performance.now();
      const result = await lastByteBurst(reqs, { timeoutMs });
      const elapsed = performance.now() - t0;
      assert.equal(result.released, n);
      for (const ex of result.exchanges) {
        assert.equal(ex.errorKind, 'timeout', ex.error);
        assert.match(ex.error ?? '', /after the burst release/);
        assert.equal(ex.response, undefined);
        assertTimeline(ex);
      }
      // Connect phase (bounded by timeoutMs) + timeoutMs after the release, plus slack.
      assert.ok(elapsed < 2 * timeoutMs + 3_000, `burst took ${elapsed.toFixed(0)} ms`);
      await waitFor(() => opened === n && closed === n, 10_000, `server to see ${n} closes (opened ${opened}, closed ${closed})`);
      assert.equal(bytes, n * serializeRequest(reqs[0]!).length, 'every byte was released');
    } finally {
      await close(server);
    }
  });
});

// ---------------------------------------------------------------- cuts

describe('cutExchange', () => {
  interface Seen {
    handled: boolean;
    received: number;
    ended: boolean;
    aborted: boolean;
    resClosed: boolean;
    resFinished: boolean;
  }

  /** An http server recording what the handler saw; respond() decides what it sends once the body is in. */
  async function withRecorder(
    respond: (res: http.ServerResponse, seen: Seen) => void,
    run: (base: string, seen: Seen[]) => Promise<void>,
  ): Promise<void> {
    const seen: Seen[] = [];
    const server = http.createServer((req, res) => {
      const s: Seen = { handled: true, received: 0, ended: false, aborted: false, resClosed: false, resFinished: false };
      seen.push(s);
      req.on('data', (d: Buffer) => (s.received += d.length));
      req.on('end', () => {
        s.ended = true;
        respond(res, s);
      });
      req.on('error', () => (s.aborted = true));
      req.on('aborted', () => (s.aborted = true));
      res.on('close', () => {
        s.resClosed = true;
        s.resFinished = res.writableFinished;
      });
    });
    const port = await listen(server);
    try {
      await run(`http://127.0.0.1:${port}`, seen);
    } finally {
      await close(server);
    }
  }

  const body = Buffer.from('b'.repeat(1_000));

  for (const point of ['mid-body-first', 'mid-body-middle', 'mid-body-last'] as const) {
    test(`${point}: the server's request is aborted with an incomplete body`, { timeout: 30_000 }, async () => {
      await withRecorder(
        (res) => res.end('should not happen'),
        async (base, seen) => {
          const ex = await cutExchange({ method: 'POST', url: `${base}/p`, headers: {}, body }, point, { timeoutMs: 10_000, graceMs: 50 });
          const sentBody = { 'mid-body-first': 1, 'mid-body-middle': 500, 'mid-body-last': 999 }[point];
          assert.equal(ex.errorKind, 'cut');
          assert.equal(ex.error, `cut ${point} after ${sentBody} of 1000 body bytes (0 response bytes received)`);
          assert.ok(ex.sentAt !== undefined);
          assert.equal(ex.response, undefined);
          assertTimeline(ex);
          await waitFor(() => seen.length === 1 && seen[0]!.resClosed, 5_000, 'server request to close');
          const s = seen[0]!;
          assert.equal(s.ended, false, 'handler never saw the complete body');
          assert.ok(s.received < body.length);
          assert.equal(s.aborted, true);
          assert.equal(s.resFinished, false);
        },
      );
    });
  }

  test('after-send: the handler saw the full body, then its socket is reset', { timeout: 30_000 }, async () => {
    await withRecorder(
      (res) => setTimeout(() => res.end('too late'), 2_000),
      async (base, seen) => {
        const ex = await cutExchange({ method: 'POST', url: `${base}/p`, headers: {}, body }, 'after-send', { timeoutMs: 10_000, graceMs: 300 }, 'drop');
        assert.equal(ex.label, 'drop');
        assert.equal(ex.errorKind, 'cut');
        assert.equal(ex.error, 'cut after-send (0 response bytes received)');
        assert.equal(ex.firstByteAt, undefined);
        assertTimeline(ex);
        await waitFor(() => seen[0]?.resClosed === true, 5_000, 'server response to close');
        const s = seen[0]!;
        assert.equal(s.ended, true);
        assert.equal(s.received, body.length);
        assert.equal(s.resFinished, false, 'the response could not be delivered');
      },
    );
  });

  test('after-send: a response byte before graceMs triggers the cut at once', { timeout: 30_000 }, async () => {
    await withRecorder(
      (res) => {
        res.writeHead(200, { 'Content-Length': '100000' });
        res.write('x'.repeat(10));
      },
      async (base) => {
        const t0 = performance.now();
        const ex = await cutExchange({ method: 'POST', url: `${base}/p`, headers: {}, body }, 'after-send', { timeoutMs: 20_000, graceMs: 10_000 });
        assert.ok(performance.now() - t0 < 8_000, 'did not wait for graceMs');
        assert.equal(ex.errorKind, 'cut');
        assert.ok(ex.firstByteAt !== undefined);
        assert.match(ex.error ?? '', /^cut after-send \([1-9]\d* response bytes received\)$/);
      },
    );
  });

  test('mid-response: cut at the first response byte', { timeout: 30_000 }, async () => {
    await withRecorder(
      (res) => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.write('first part');
        setTimeout(() => res.end('rest'), 2_000);
      },
      async (base, seen) => {
        const ex = await cutExchange({ method: 'POST', url: `${base}/p`, headers: {}, body }, 'mid-response', { timeoutMs: 10_000 });
        assert.equal(ex.errorKind, 'cut');
        assert.ok(ex.firstByteAt !== undefined);
        assert.ok(ex.sentAt !== undefined && ex.sentAt <= ex.firstByteAt);
        assert.match(ex.error ?? '', /^cut mid-response \([1-9]\d* response bytes received\)$/);
        assert.equal(ex.response, undefined);
        assertTimeline(ex);
        await waitFor(() => seen[0]?.resClosed === true, 5_000, 'server response to close');
        assert.equal(seen[0]!.ended, true);
        assert.equal(seen[0]!.resFinished, false);
      },
    );
  });

  test('mid-response with no response at all ends in a timeout', { timeout: 30_000 }, async () => {
    await withRecorder(
      () => undefined,
      async (base) => {
        const t0 = performance.now();
        const ex = await cutExchange({ method: 'POST', url: `${base}/p`, headers: {}, body }, 'mid-response', { timeoutMs: 600 });
        assert.ok(performance.now() - t0 < 5_000);
        assert.equal(ex.errorKind, 'timeout');
        assert.match(ex.error ?? '', /no response byte .* within 600 ms/);
        assertTimeline(ex);
      },
    );
  });

  test('mid-body cut points need a body of at least 2 bytes', async () => {
    for (const point of ['mid-body-first', 'mid-body-middle', 'mid-body-last'] satisfies CutPoint[]) {
      await assert.rejects(
        cutExchange({ method: 'POST', url: 'http://127.0.0.1:1/', headers: {}, body: Buffer.from('x') }, point, { timeoutMs: 1_000 }),
        /at least 2 bytes/,
      );
      await assert.rejects(
        cutExchange({ method: 'POST', url: 'http://127.0.0.1:1/', headers: {} }, point, { timeoutMs: 1_000 }),
        /at least 2 bytes; POST http:\/\/127\.0\.0\.1:1\/ has 0/,
      );
    }
  });

  test('a connection that cannot open is the usual connect error', async () => {
    const port = await closedPort();
    const ex = await cutExchange({ method: 'POST', url: `http://127.0.0.1:${port}/`, headers: {}, body }, 'after-send', { timeoutMs: 5_000 });
    assert.equal(ex.errorKind, 'connect');
    assert.match(ex.error ?? '', /ECONNREFUSED/);
  });
});

// ---------------------------------------------------------------- leaks

describe('resources', () => {
  test('no sockets left open by the engine', async () => {
    await waitFor(
      () => !process.getActiveResourcesInfo().some((r) => r === 'TCPSocketWrap' || r === 'TLSWrap'),
      5_000,
      `sockets to be released (${process.getActiveResourcesInfo().join(', ')})`,
    );
  });
});
