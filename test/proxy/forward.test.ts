// With no fault to apply the proxy is invisible: the same request sent
// directly and through the proxy reaches the upstream alike, and its answer
// reaches the client alike (status, reason, headers as spelled, repeated
// ones, bodies chunked and sized), hop-by-hop headers aside, over kept-alive
// connections, with the upstream's base path kept and bodies bounded.
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_MATCH, parseMatch, type MatchRule } from '../../src/proxy/match.js';
import { startProxy, type ProxyServer } from '../../src/proxy/server.js';
import { close, closedPort, listen, selfSignedCert } from '../helpers/net.js';
import { judgeOperations } from '../../src/proxy/rules.js';
import { volatileMatcher } from '../../src/proxy/headers.js';

interface Seen {
  method: string;
  url: string;
  rawHeaders: string[];
  body: Buffer;
  socket: Socket;
}

interface Got {
  status: number;
  message: string;
  rawHeaders: string[];
  body: Buffer;
  reused: boolean;
}

const CONNECTION = new Set(['connection', 'keep-alive', 'date']);

/** Raw header pairs without the connection's own, sorted, names as spelled. */
function pairs(raw: string[], drop: Set<string> = CONNECTION): string[] {
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) if (!drop.has(raw[i]!.toLowerCase())) out.push(`${raw[i]}: ${raw[i + 1]}`);
  return out.sort();
}

describe('forwarding without a fault', () => {
  const seen: Seen[] = [];
  let upstreamConnections = 0;
  let upstream: http.Server;
  let base: string;
  let proxy: ProxyServer;
  const agents: http.Agent[] = [];

  before(async () => {
    upstream = http.createServer((req, res) => {
      res.sendDate = false;
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks), socket: req.socket });
        const path = req.url!.replace(/^\/base/, '');
        if (path.startsWith('/sized')) {
          const body = Buffer.from(JSON.stringify({ id: 'ord_1', got: Buffer.concat(chunks).toString() }));
          res.writeHead(201, 'Made It', ['Content-Type', 'application/json', 'X-Mixed-Case', 'Yes', 'Set-Cookie', 'a=1', 'Set-Cookie', 'b=2', 'Content-Length', String(body.length), 'Connection', 'X-Resp-Hop', 'X-Resp-Hop', 'gone']);
          res.end(body);
        } else if (path.startsWith('/chunked')) {
          res.writeHead(200, { 'Content-Type': 'text/plain' });
          res.write('first,');
          setTimeout(() => res.end('second'), 20);
        } else if (path.startsWith('/empty')) {
          res.writeHead(204, { 'X-Empty': '1' });
          res.end();
        } else if (path.startsWith('/big')) {
          const n = Number(new URL(req.url!, 'http://x').searchParams.get('n'));
          res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(n) });
          res.end(Buffer.alloc(n, 0x61));
        } else {
          res.writeHead(404);
          res.end();
        }
      });
    });
    upstream.on('connection', () => upstreamConnections++);
    const port = await listen(upstream);
    base = `http://127.0.0.1:${port}`;
    proxy = await startProxy({
      upstream: new URL(`${base}/base`),
      faults: ['none'],
      match: DEFAULT_MATCH.map((m) => parseMatch(m) as MatchRule),
      keyHeader: 'Idempotency-Key',
      holdMs: 1000,
      timeoutMs: 5000,
      maxBodyBytes: 64 * 1024,
    });
  });
  after(async () => {
    for (const a of agents) a.destroy();
    await proxy.stop(500);
    await close(upstream);
  });

  function send(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string[]; agent?: http.Agent } = {}): Promise<Got> {
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method: opts.method ?? 'POST', headers: opts.headers ?? {}, agent: opts.agent ?? false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, message: res.statusMessage!, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), reused: req.reusedSocket }));
      });
      req.on('error', reject);
      for (const part of opts.body ?? []) req.write(part);
      req.end();
    });
  }

  /** The same request straight to the upstream's base path and through the proxy: what each side saw. */
  async function both(path: string, opts: Parameters<typeof send>[1] = {}) {
    const direct = await send(`${base}/base${path}`, opts);
    const directSeen = seen[seen.length - 1]!;
    const proxied = await send(`${proxy.url}${path}`, opts);
    const proxiedSeen = seen[seen.length - 1]!;
    assert.notEqual(directSeen, proxiedSeen, 'the upstream saw both');
    return { direct, directSeen, proxied, proxiedSeen };
  }

  it('a sized JSON POST: the upstream sees the same request, the client the same answer (status, reason, spelled and repeated headers)', async () => {
    const headers = { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1', 'X-Client-Case': 'AbC', 'Content-Length': '11' };
    const { direct, directSeen, proxied, proxiedSeen } = await both('/sized', { headers, body: ['{"sku":"a"}'] });
    assert.equal(proxiedSeen.method, directSeen.method);
    assert.equal(proxiedSeen.url, '/base/sized', 'the base path is kept');
    assert.equal(directSeen.url, '/base/sized');
    assert.deepEqual(pairs(proxiedSeen.rawHeaders), pairs(directSeen.rawHeaders));
    assert.deepEqual(proxiedSeen.body, directSeen.body);
    assert.equal(proxied.status, 201);
    assert.equal(proxied.message, 'Made It');
    assert.deepEqual(pairs(proxied.rawHeaders, new Set([...CONNECTION, 'x-resp-hop'])), pairs(direct.rawHeaders, new Set([...CONNECTION, 'x-resp-hop'])));
    assert.ok(pairs(proxied.rawHeaders).includes('Set-Cookie: a=1') && pairs(proxied.rawHeaders).includes('Set-Cookie: b=2'), 'repeated headers stay separate');
    assert.deepEqual(proxied.body, direct.body);
  });

  it('a chunked request body and a chunked answer stay chunked', async () => {
    const { direct, directSeen, proxied, proxiedSeen } = await both('/chunked', { headers: { 'Content-Type': 'text/plain' }, body: ['one,', 'two'] });
    assert.ok(pairs(directSeen.rawHeaders).includes('Transfer-Encoding: chunked'), 'the direct request was chunked');
    assert.deepEqual(pairs(proxiedSeen.rawHeaders), pairs(directSeen.rawHeaders));
    assert.equal(proxiedSeen.body.toString(), 'one,two');
    assert.ok(pairs(direct.rawHeaders).includes('Transfer-Encoding: chunked'));
    assert.deepEqual(pairs(proxied.rawHeaders), pairs(direct.rawHeaders));
    assert.equal(proxied.body.toString(), 'first,second');
  });

  it('a 204 and a GET pass through alike', async () => {
    const { direct, proxied } = await both('/empty', { method: 'DELETE' });
    assert.equal(proxied.status, 204);
    assert.deepEqual(pairs(proxied.rawHeaders), pairs(direct.rawHeaders));
    const get = await both('/sized?x=1', { method: 'GET' });
    assert.equal(get.proxiedSeen.url, '/base/sized?x=1', 'the query is kept');
    assert.deepEqual(pairs(get.proxiedSeen.rawHeaders), pairs(get.directSeen.rawHeaders));
  });

  it('hop-by-hop headers are not forwarded, either way', async () => {
    const { proxied, proxiedSeen, directSeen } = await both('/sized', { headers: { Connection: 'keep-alive, X-Hop', 'X-Hop': 'secret-route', 'Keep-Alive': 'timeout=9', TE: 'trailers', 'Content-Length': '0' } });
    const names = proxiedSeen.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
    assert.ok(!names.includes('x-hop') && !names.includes('te') && !names.includes('keep-alive'), names.join(', '));
    assert.ok(directSeen.rawHeaders.includes('X-Hop'), 'sent directly, the upstream would have seen it');
    assert.ok(!proxied.rawHeaders.map((n) => n.toLowerCase()).includes('x-resp-hop'), 'the upstream\'s Connection-named header stays with its connection');
  });

  it('keeps connections alive on both sides', async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    agents.push(agent);
    const before = upstreamConnections;
    const results: Got[] = [];
    for (let i = 0; i < 3; i++) results.push(await send(`${proxy.url}/sized`, { agent, headers: { 'Content-Length': '2' }, body: ['{}'] }));
    assert.deepEqual(results.map((r) => [r.status, r.reused]), [[201, false], [201, true], [201, true]]);
    assert.ok(upstreamConnections - before <= 1, `the proxy opened ${upstreamConnections - before} upstream connections for 3 requests`);
    const sockets = new Set(seen.slice(-3).map((s) => s.socket));
    assert.equal(sockets.size, 1, 'the three requests reached the upstream over one connection');
  });

  it('bodies up to the bound pass whole; a larger answer is a 502 naming the bound, a larger request a 413', async () => {
    const within = await send(`${proxy.url}/big?n=${60 * 1024}`, { method: 'GET' });
    assert.equal(within.status, 200);
    assert.equal(within.body.length, 60 * 1024);
    const over = await send(`${proxy.url}/big?n=${100 * 1024}`, { method: 'GET' });
    assert.equal(over.status, 502);
    assert.match(over.body.toString(), /passed 65536 bytes, the proxy's bound/);
    const big = await send(`${proxy.url}/sized`, { headers: { 'Content-Length': String(70 * 1024) }, body: ['x'.repeat(70 * 1024)] });
    assert.equal(big.status, 413);
  });

  it('records the audited requests it forwarded, untouched, as operations', () => {
    const ops = proxy.ledger.operations;
    assert.ok(ops.length >= 5, `${ops.length} operations`);
    assert.ok(ops.every((op) => op.attempts.every((a) => a.fault === undefined)));
    const first = ops[0]!.attempts[0]!;
    assert.equal(first.key, 'k-1');
    assert.equal(first.exchange.request.url, `${base}/base/sized`);
    assert.deepEqual(first.upstream, { status: 201 });
    assert.deepEqual(first.client, { kind: 'answer', status: 201 });
    assert.equal(proxy.passedThrough() >= 2, true, 'the GET and the DELETE were not audited');
  });
});

describe('an https upstream, and an upstream that goes away', () => {
  const rules = DEFAULT_MATCH.map((m) => parseMatch(m) as MatchRule);
  const post = (url: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(url, { method: 'POST', headers: { 'Content-Length': '2', 'Idempotency-Key': '3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end('{}');
    });

  it('the client speaks plain HTTP to the proxy, the proxy TLS to the upstream (its certificate checked against --ca)', async () => {
    const { key, cert } = selfSignedCert();
    const server = https.createServer({ key, cert }, (req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(201, { 'Content-Type': 'text/plain' });
        res.end(`secure ${req.url}`);
      });
    });
    const port = await listen(server);
    const options = { faults: ['none' as const], match: rules, keyHeader: 'Idempotency-Key', holdMs: 1000, timeoutMs: 5000, maxBodyBytes: 1 << 20 };
    const trusted = await startProxy({ ...options, upstream: new URL(`https://127.0.0.1:${port}/api`), ca: cert });
    const untrusted = await startProxy({ ...options, upstream: new URL(`https://127.0.0.1:${port}/api`) });
    try {
      assert.deepEqual(await post(`${trusted.url}/orders`), { status: 201, body: 'secure /api/orders' });
      const refused = await post(`${untrusted.url}/orders`);
      assert.equal(refused.status, 502);
      assert.match(refused.body, /self-signed certificate|certificate/i);
    } finally {
      await trusted.stop(500);
      await untrusted.stop(500);
      await close(server);
    }
  });

  it('an upstream gone mid-session: the client gets a 502 naming it, and the operation could not be tested', async () => {
    const proxy = await startProxy({ upstream: new URL(`http://127.0.0.1:${await closedPort()}`), faults: ['none'], match: rules, keyHeader: 'Idempotency-Key', holdMs: 1000, timeoutMs: 5000, maxBodyBytes: 1 << 20 });
    try {
      const r = await post(`${proxy.url}/orders`);
      assert.equal(r.status, 502);
      assert.match(r.body, /^idemchaos proxy: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
    } finally {
      await proxy.stop(500);
    }
    const [op] = judgeOperations(proxy.ledger.operations, { maxAttempts: 6, keyHeader: 'Idempotency-Key', isVolatile: volatileMatcher([]) });
    assert.equal(op!.verdict, 'error');
    assert.match(op!.note!, /the upstream did not answer attempt 1: cannot connect to/);
  });

  it('an attempt still waiting for the upstream when the session ends is interrupted, not an upstream failure', async () => {
    const hanging = http.createServer(() => {});
    const proxy = await startProxy({ upstream: new URL(`http://127.0.0.1:${await listen(hanging)}`), faults: ['none'], match: rules, keyHeader: 'Idempotency-Key', holdMs: 1000, timeoutMs: 5000, maxBodyBytes: 1 << 20 });
    const pending = post(`${proxy.url}/orders`).catch((err: NodeJS.ErrnoException) => err.code);
    while (proxy.ledger.operations.length === 0) await new Promise((resolve) => setTimeout(resolve, 10));
    await proxy.stop(100);
    assert.equal(await pending, 'ECONNRESET');
    hanging.closeAllConnections();
    await close(hanging);
    const [op] = judgeOperations(proxy.ledger.operations, { maxAttempts: 6, keyHeader: 'Idempotency-Key', isVolatile: volatileMatcher([]) });
    assert.deepEqual([op!.verdict, op!.note, op!.attempts[0]!.client, op!.attempts[0]!.upstream], ['pass', 'the proxy stopped while its last attempt was open', { kind: 'interrupted' }, undefined]);
  });
});
