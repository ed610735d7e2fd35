// Each fault on the wire, seen by a raw socket client: what the client gets
// (not a byte, for the lost responses), whether the upstream saw the request,
// and that a new operation gets the next fault in turn while retries pass.
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { after, afterEach, before, describe, it } from 'node:test';
import type { ProxyFault } from '../../src/model/proxy.js';
import { DEFAULT_MATCH, parseMatch, type MatchRule } from '../../src/proxy/match.js';
import { startProxy, type ProxyServer } from '../../src/proxy/server.js';
import { close, listen, waitFor } from '../helpers/net.js';
import { judgeOperations } from '../../src/proxy/rules.js';

interface Raw {
  /** Every byte the client received. */
  bytes: Buffer;
  /** The socket error code, if it ended in one. */
  error?: string;
  ms: number;
}

/** One request over a raw socket; resolves when the connection ends or `giveUpMs` passes (then the client closes). */
/** `giveUp`: after that many ms, or as soon as the check holds (polled), the client closes without an answer. */
function rawPost(url: string, body: string, headers: Record<string, string> = {}, giveUp: number | (() => boolean) = 10_000): Promise<Raw> {
  const u = new URL(url);
  return new Promise((resolve) => {
    const t0 = performance.now();
    const chunks: Buffer[] = [];
    const socket = net.connect(Number(u.port), u.hostname);
    let done = false;
    const end = (error?: string) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      clearInterval(poll);
      socket.destroy();
      resolve({ bytes: Buffer.concat(chunks), ...(error ? { error } : {}), ms: performance.now() - t0 });
    };
    const timer = setTimeout(() => end('gave up'), typeof giveUp === 'number' ? giveUp : 10_000);
    const poll = typeof giveUp === 'number' ? undefined : setInterval(() => giveUp() && end('gave up'), 10);
    const head = Object.entries({ Host: u.host, 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)), ...headers })
      .map(([k, v]) => `${k}: ${v}\r\n`)
      .join('');
    socket.write(`POST ${u.pathname} HTTP/1.1\r\n${head}\r\n${body}`);
    socket.on('data', (c: Buffer) => {
      chunks.push(c);
      // One complete small answer is enough.
      const text = Buffer.concat(chunks).toString();
      const m = /content-length: (\d+)/i.exec(text);
      const split = text.indexOf('\r\n\r\n');
      if (m && split >= 0 && Buffer.byteLength(text) - split - 4 >= Number(m[1])) end();
      if (/transfer-encoding: chunked/i.test(text) && text.endsWith('\r\n0\r\n\r\n')) end();
    });
    socket.on('error', (err: NodeJS.ErrnoException) => end(err.code ?? err.message));
    socket.on('close', () => end());
  });
}

describe('faults on the wire', () => {
  let calls = 0;
  let upstream: http.Server;
  let base: URL;
  const proxies: ProxyServer[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        calls++;
        if (req.url === '/busy') {
          res.writeHead(503, { 'Retry-After': '2', 'Content-Length': '0' });
          res.end();
          return;
        }
        res.writeHead(201, { 'Content-Type': 'application/json' });
        res.end('{"id":"ord_1"}');
      });
    });
    base = new URL(`http://127.0.0.1:${await listen(upstream)}`);
  });
  afterEach(async () => {
    for (const p of proxies.splice(0)) await p.stop(500);
  });
  after(async () => {
    await close(upstream);
  });

  async function proxyWith(faults: ProxyFault[], holdMs = 30_000): Promise<ProxyServer> {
    const p = await startProxy({ upstream: base, faults, match: DEFAULT_MATCH.map((m) => parseMatch(m) as MatchRule), keyHeader: 'Idempotency-Key', holdMs, timeoutMs: 5000, maxBodyBytes: 1 << 20 });
    proxies.push(p);
    return p;
  }

  it('drop-response: the upstream answers completely, the client gets a reset and not a byte', async () => {
    const p = await proxyWith(['drop-response']);
    const before = calls;
    const r = await rawPost(`${p.url}/orders`, '{"a":1}', { 'Idempotency-Key': 'k1' });
    assert.equal(r.bytes.length, 0, r.bytes.toString());
    assert.equal(r.error, 'ECONNRESET');
    assert.equal(calls - before, 1, 'the upstream committed');
    const a = p.ledger.operations[0]!.attempts[0]!;
    assert.deepEqual([a.fault, a.upstream, a.client], ['drop-response', { status: 201 }, { kind: 'reset' }]);
  });

  it('reset-before: the whole request is read, then a reset; the upstream never sees it', async () => {
    const p = await proxyWith(['reset-before']);
    const before = calls;
    const r = await rawPost(`${p.url}/orders`, '{"a":1}');
    assert.equal(r.bytes.length, 0);
    assert.equal(r.error, 'ECONNRESET');
    assert.equal(calls - before, 0);
    const a = p.ledger.operations[0]!.attempts[0]!;
    assert.deepEqual([a.fault, a.upstream, a.client, a.key], ['reset-before', undefined, { kind: 'reset' }, undefined]);
  });

  it('timeout: the answer is held for --hold, then dropped; a client that gives up first is recorded as giving up', async () => {
    const p = await proxyWith(['timeout'], 1000);
    const before = calls;
    const r = await rawPost(`${p.url}/orders`, '{"a":1}');
    assert.equal(r.bytes.length, 0);
    assert.equal(r.error, 'ECONNRESET');
    assert.ok(r.ms >= 990, `dropped after ${r.ms} ms`);
    assert.equal(calls - before, 1);
    // Gives up once the proxy holds its request, not after a fixed time a busy machine could outlast.
    const quitter = await rawPost(`${p.url}/orders`, '{"a":2}', {}, () => p.ledger.operations[1]?.attempts[0] !== undefined);
    assert.equal(quitter.error, 'gave up');
    const a = p.ledger.operations[1]!.attempts[0]!;
    await waitFor(() => a.client.kind !== 'interrupted', 2000, 'the proxy to see the client leave');
    assert.equal(a.client.kind, 'gave-up');
    assert.ok(a.endedAt - a.at < 990, `the attempt ended when the client left (${a.endedAt - a.at} ms)`);
  });

  it('in-flight, server-error and mismatch answer 409, 503 (with Retry-After: 1) and 422 without forwarding', async () => {
    const p = await proxyWith(['in-flight', 'server-error', 'mismatch']);
    const before = calls;
    const answers = [];
    for (const body of ['{"a":1}', '{"a":2}', '{"a":3}']) answers.push((await rawPost(`${p.url}/orders`, body)).bytes.toString());
    assert.match(answers[0]!, /^HTTP\/1\.1 409 [^\r]*\r\n[^]*retry-after: 1\r\n/i);
    assert.match(answers[1]!, /^HTTP\/1\.1 503 [^\r]*\r\n[^]*retry-after: 1\r\n/i);
    assert.match(answers[2]!, /^HTTP\/1\.1 422 /);
    assert.doesNotMatch(answers[2]!, /retry-after/i);
    assert.equal(calls - before, 0);
  });

  it("the upstream's own Retry-After is recorded with the answer, and judged like the proxy's", async () => {
    const p = await proxyWith(['none']);
    const k = { 'Idempotency-Key': '3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10' };
    await rawPost(`${p.url}/busy`, '{}', k);
    await new Promise((resolve) => setTimeout(resolve, 100));
    await rawPost(`${p.url}/busy`, '{}', k);
    const [first, second] = p.ledger.operations[0]!.attempts;
    assert.deepEqual([first!.client, first!.retryAfterMs, second!.client], [{ kind: 'answer', status: 503 }, 2000, { kind: 'answer', status: 503 }]);
    const [op] = judgeOperations(p.ledger.operations, { maxAttempts: 6, keyHeader: 'Idempotency-Key', isVolatile: () => false });
    assert.deepEqual(op!.findings.map((f) => f.kind), ['ignored-retry-after']);
  });

  it('each new operation gets the next fault in turn; a retry passes through untouched', async () => {
    const p = await proxyWith(['in-flight', 'none', 'drop-response']);
    await rawPost(`${p.url}/orders`, '{"op":1}', { 'Idempotency-Key': 'k-1' });
    const retry = await rawPost(`${p.url}/orders`, '{"op":1}', { 'Idempotency-Key': 'k-1' });
    assert.match(retry.bytes.toString(), /^HTTP\/1\.1 201 /, 'the retry was forwarded');
    await rawPost(`${p.url}/orders`, '{"op":2}', { 'Idempotency-Key': 'k-2' });
    await rawPost(`${p.url}/orders`, '{"op":3}', { 'Idempotency-Key': 'k-3' });
    await rawPost(`${p.url}/orders`, '{"op":4}', { 'Idempotency-Key': 'k-4' });
    const faults = p.ledger.operations.map((op) => op.attempts.map((a) => a.fault ?? '-'));
    assert.deepEqual(faults, [['in-flight', '-'], ['-'], ['drop-response'], ['in-flight']]);
  });
});
