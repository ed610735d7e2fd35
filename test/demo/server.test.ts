// Behavioural tests for the embedded demo API: every bug mode must show its bug,
// and 'correct' must not. Real HTTP over 127.0.0.1; timing margins are generous
// because CI machines are small and busy.

import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { DEMO_MODES, isDemoMode, startDemo, type DemoOptions, type DemoServer, type Order } from '../../src/demo/server.js';

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

async function start(t: TestContext, options: DemoOptions = {}): Promise<DemoServer> {
  const server = await startDemo(options);
  t.after(() => server.close());
  return server;
}

async function request(server: DemoServer, path: string, init: RequestInit = {}): Promise<Reply> {
  const res = await fetch(server.url + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

function post(server: DemoServer, body: unknown, key?: string, headers: Record<string, string> = {}): Promise<Reply> {
  const allHeaders: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (key !== undefined) allHeaders['idempotency-key'] = key;
  return request(server, '/orders', {
    method: 'POST',
    headers: allHeaders,
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** Fires n identical requests at once and returns the replies in send order. */
function burst(server: DemoServer, n: number, body: unknown, key: string): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, () => post(server, body, key)));
}

/**
 * Sends a complete POST on a raw socket, waits until the server holds the key as
 * in flight (a probe gets 409), then resets the connection while the work runs.
 */
async function postThenReset(server: DemoServer, body: unknown, key: string): Promise<void> {
  const payload = JSON.stringify(body);
  const socket = connect(server.port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  socket.write(
    'POST /orders HTTP/1.1\r\n' +
      `Host: 127.0.0.1:${server.port}\r\n` +
      'Content-Type: application/json\r\n' +
      `Idempotency-Key: ${key}\r\n` +
      `Content-Length: ${Buffer.byteLength(payload)}\r\n` +
      '\r\n' +
      payload,
  );
  await sleep(30);
  // Polling instead of trusting the 30 ms: on a busy machine the server may not have read the request yet.
  for (let i = 0; ; i++) {
    const probe = await post(server, body, key);
    if (probe.status === 409) break;
    assert.ok(i < 50, `server never reported the key as in flight (last status ${probe.status})`);
    await sleep(10);
  }
  socket.resetAndDestroy();
}

const ORDER = { ref: 'r-1', sku: 'widget', qty: 2 };

test('exports: DEMO_MODES lists every mode once, in order, with a description, isDemoMode agrees', () => {
  const names = DEMO_MODES.map((m) => m.mode);
  assert.deepEqual(names, [
    'correct',
    'no-idempotency',
    'race',
    'ignore-body',
    'replay-differs',
    'early-expiry',
    'forget-on-disconnect',
    'conflict-500',
    'key-optional',
    'long-key-500',
    'keys-shared-across-operations',
    'keys-shared-across-tenants',
    'expiry-burst-race',
    'locked-after-error',
    'per-instance-store',
  ]);
  for (const m of DEMO_MODES) {
    assert.ok(m.description.length > 10 && !m.description.includes('\n'));
    assert.equal(isDemoMode(m.mode), true);
  }
  assert.equal(isDemoMode('nope'), false);
  assert.equal(isDemoMode(''), false);
});

test('startDemo: url, port and mode; unknown mode rejected', async (t) => {
  const server = await start(t);
  assert.equal(server.mode, 'correct');
  assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(server.url, `http://127.0.0.1:${server.port}`);
  await assert.rejects(startDemo({ bug: 'bogus' as never }), RangeError);
});

test('correct: create returns 201 with Location, ETag and JSON order', async (t) => {
  const server = await start(t, { latencyMs: 10 });
  const r = await post(server, ORDER, 'k-create');
  assert.equal(r.status, 201);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  const order = r.json as Order;
  assert.match(order.id, /^ord_/);
  assert.equal(order.ref, 'r-1');
  assert.equal(order.sku, 'widget');
  assert.equal(order.qty, 2);
  assert.ok(!Number.isNaN(Date.parse(order.createdAt)));
  assert.equal(r.headers.get('location'), `/orders/${order.id}`);
  assert.match(r.headers.get('etag') ?? '', /^"[0-9a-f]{16}"$/);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  assert.deepEqual(server.orders(), [order]);
});

test('correct: ref defaults to null and a body id cannot override the server id', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const r = await post(server, { id: 'mine', sku: 'x' }, 'k-null-ref');
  assert.equal(r.status, 201);
  assert.equal(r.json.ref, null);
  assert.match(r.json.id, /^ord_/);
});

test('correct: replay is byte-identical with the same headers plus Idempotent-Replayed', async (t) => {
  const server = await start(t, { latencyMs: 10 });
  const first = await post(server, ORDER, 'k-replay');
  await sleep(5); // so a regenerated createdAt would differ
  const second = await post(server, ORDER, 'k-replay');
  assert.equal(second.status, 201);
  assert.equal(second.text, first.text);
  for (const h of ['location', 'etag', 'content-type']) {
    assert.equal(second.headers.get(h), first.headers.get(h), h);
  }
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(server.orders().length, 1);
});

test('replay-differs: replay is 200 with a regenerated createdAt', async (t) => {
  const server = await start(t, { bug: 'replay-differs', latencyMs: 10 });
  const first = await post(server, ORDER, 'k-differs');
  await sleep(20);
  const second = await post(server, ORDER, 'k-differs');
  assert.equal(first.status, 201);
  assert.equal(second.status, 200);
  assert.notEqual(second.text, first.text);
  assert.equal(second.json.id, first.json.id);
  assert.notEqual(second.json.createdAt, first.json.createdAt);
  assert.equal(second.headers.get('location'), first.headers.get('location'));
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(server.orders().length, 1);
});

test('correct: missing key is 400; no-idempotency accepts it', async (t) => {
  const correct = await start(t, { latencyMs: 0 });
  const r = await post(correct, ORDER);
  assert.equal(r.status, 400);
  assert.equal(typeof r.json.error, 'string');
  assert.equal(correct.orders().length, 0);

  const none = await start(t, { bug: 'no-idempotency', latencyMs: 0 });
  assert.equal((await post(none, ORDER)).status, 201);
});

test('no-idempotency: every POST creates an order even with the same key', async (t) => {
  const server = await start(t, { bug: 'no-idempotency', latencyMs: 0 });
  const a = await post(server, ORDER, 'k-same');
  const b = await post(server, ORDER, 'k-same');
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.notEqual(a.json.id, b.json.id);
  assert.equal(b.headers.get('idempotent-replayed'), null);
  assert.equal(server.orders().length, 2);
});

test('bad bodies are 400 and do not claim the key', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  for (const bad of ['not json', '[1,2]', 'null', '42', '"str"', '{"ref": 5}']) {
    const r = await post(server, bad, 'k-bad');
    assert.equal(r.status, 400, bad);
    assert.equal(typeof r.json.error, 'string');
  }
  const ok = await post(server, ORDER, 'k-bad');
  assert.equal(ok.status, 201);
  assert.equal(ok.headers.get('idempotent-replayed'), null);
  assert.equal(server.orders().length, 1);
});

test('correct: in-flight duplicate gets 409 with Retry-After: 1', async (t) => {
  const server = await start(t, { latencyMs: 300 });
  // Whichever arrives first does the work; the other must see it in flight.
  const replies = await burst(server, 2, ORDER, 'k-inflight');
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [201, 409]);
  const conflict = replies.find((r) => r.status === 409)!;
  assert.equal(conflict.headers.get('retry-after'), '1');
  assert.equal(typeof conflict.json.error, 'string');
  assert.equal(server.orders().length, 1);
});

test('conflict-500: in-flight duplicate gets 500 instead of 409', async (t) => {
  const server = await start(t, { bug: 'conflict-500', latencyMs: 300 });
  const replies = await burst(server, 2, ORDER, 'k-inflight');
  assert.deepEqual(replies.map((r) => r.status).sort(), [201, 500]);
  assert.deepEqual(replies.find((r) => r.status === 500)!.json, { error: 'internal' });
  assert.equal(server.orders().length, 1);
});

test('correct: same key with a changed payload is 422', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  await post(server, ORDER, 'k-changed');
  const r = await post(server, { ...ORDER, qty: 3 }, 'k-changed');
  assert.equal(r.status, 422);
  assert.equal(typeof r.json.error, 'string');
  assert.equal(server.orders().length, 1);
});

test('ignore-body: same key with a changed payload replays the first response', async (t) => {
  const server = await start(t, { bug: 'ignore-body', latencyMs: 0 });
  const first = await post(server, ORDER, 'k-changed');
  const second = await post(server, { ...ORDER, qty: 3 }, 'k-changed');
  assert.equal(second.status, 201);
  assert.equal(second.text, first.text);
  assert.equal(second.json.qty, 2);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(server.orders().length, 1);
});

test('correct: key order in the body does not change the fingerprint', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const first = await post(server, '{"a":1,"b":{"x":1,"y":[{"p":1,"q":2}]},"ref":"r","sku":"w"}', 'k-order');
  const second = await post(server, '{"sku":"w","ref":"r","b":{"y":[{"q":2,"p":1}],"x":1},"a":1}', 'k-order');
  assert.equal(first.status, 201);
  assert.equal(second.status, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(second.text, first.text);
  // Array order still matters.
  const third = await post(server, '{"a":1,"b":{"x":1,"y":[{"p":1,"q":2},0]},"ref":"r","sku":"w"}', 'k-order');
  assert.equal(third.status, 422);
  assert.equal(server.orders().length, 1);
});

test('correct: a quoted Structured-Field key names the same key as the bare one', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const first = await post(server, ORDER, '"k-quoted"');
  const second = await post(server, ORDER, 'k-quoted');
  assert.equal(first.status, 201);
  assert.equal(second.headers.get('idempotent-replayed'), 'true');
  assert.equal(second.text, first.text);
  assert.equal(server.orders().length, 1);
});

test('keyHeader option: the key is read from the configured header', async (t) => {
  const server = await start(t, { latencyMs: 0, keyHeader: 'X-Request-Id' });
  assert.equal((await post(server, ORDER, 'ignored')).status, 400);
  const a = await post(server, ORDER, undefined, { 'x-request-id': 'k-custom' });
  const b = await post(server, ORDER, undefined, { 'x-request-id': 'k-custom' });
  assert.equal(a.status, 201);
  assert.equal(b.headers.get('idempotent-replayed'), 'true');
  assert.equal(server.orders().length, 1);
});

test('correct: a key expires ttlMs after its response was stored', async (t) => {
  const server = await start(t, { latencyMs: 0, ttlMs: 300 });
  const first = await post(server, ORDER, 'k-ttl');
  const early = await post(server, ORDER, 'k-ttl');
  assert.equal(early.headers.get('idempotent-replayed'), 'true');
  await sleep(300 + 400);
  const late = await post(server, ORDER, 'k-ttl');
  assert.equal(late.status, 201);
  assert.equal(late.headers.get('idempotent-replayed'), null);
  assert.notEqual(late.json.id, first.json.id);
  assert.equal(server.orders().length, 2);
});

test('early-expiry: the key is gone long before ttlMs; correct still replays', async (t) => {
  // ttl 1200 → early-expiry forgets after 300 ms; we retry at ~650 ms, far from both edges.
  const buggy = await start(t, { bug: 'early-expiry', latencyMs: 0, ttlMs: 1200 });
  const correct = await start(t, { latencyMs: 0, ttlMs: 1200 });
  await post(buggy, ORDER, 'k-early');
  await post(correct, ORDER, 'k-early');
  await sleep(650);
  const b = await post(buggy, ORDER, 'k-early');
  const c = await post(correct, ORDER, 'k-early');
  assert.equal(b.headers.get('idempotent-replayed'), null);
  assert.equal(buggy.orders().length, 2);
  assert.equal(c.headers.get('idempotent-replayed'), 'true');
  assert.equal(correct.orders().length, 1);
});

test('race (default): 10 concurrent duplicates create several orders behind identical responses', async (t) => {
  const server = await start(t, { bug: 'race', latencyMs: 300 });
  const replies = await burst(server, 10, ORDER, 'k-race');
  for (const r of replies) {
    assert.equal(r.status, 201);
    assert.equal(r.text, replies[0]!.text);
    assert.equal(r.headers.get('location'), replies[0]!.headers.get('location'));
  }
  assert.ok(server.orders().length >= 2, `expected duplicates, got ${server.orders().length} order(s)`);
  // Sequential retries behave like correct.
  const retry = await post(server, ORDER, 'k-race');
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(retry.text, replies[0]!.text);
});

test('correct: 10 concurrent duplicates create exactly one order', async (t) => {
  const server = await start(t, { latencyMs: 300 });
  const replies = await burst(server, 10, ORDER, 'k-race');
  assert.equal(server.orders().length, 1);
  assert.equal(replies.filter((r) => r.status === 201).length >= 1, true);
  for (const r of replies) assert.ok(r.status === 201 || r.status === 409, String(r.status));
});

test('race with raceTurns: 0 is atomic: exactly one order', async (t) => {
  const server = await start(t, { bug: 'race', latencyMs: 300, raceTurns: 0 });
  const replies = await burst(server, 10, ORDER, 'k-race0');
  assert.equal(server.orders().length, 1);
  for (const r of replies) assert.ok(r.status === 201 || r.status === 409, String(r.status));
});

test('forget-on-disconnect: a reset client loses its key, so the retry creates a second order', async (t) => {
  const latencyMs = 400;
  const server = await start(t, { bug: 'forget-on-disconnect', latencyMs });
  await postThenReset(server, ORDER, 'k-reset');
  await sleep(latencyMs + 400);
  assert.equal(server.orders().length, 1, 'the work finished despite the disconnect');
  const retry = await post(server, ORDER, 'k-reset');
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get('idempotent-replayed'), null);
  assert.equal(server.orders().length, 2);
});

test('correct: a reset client still gets its order replayed on retry', async (t) => {
  const latencyMs = 400;
  const server = await start(t, { latencyMs });
  await postThenReset(server, ORDER, 'k-reset');
  await sleep(latencyMs + 400);
  const orders = server.orders();
  assert.equal(orders.length, 1);
  const retry = await post(server, ORDER, 'k-reset');
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(retry.json.id, orders[0]!.id);
  assert.equal(server.orders().length, 1);
});

test('GET /orders filters by ref; GET /orders/<id>; unknown routes are 404 JSON', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const a1 = await post(server, { ref: 'a', sku: 'w', n: 1 }, 'k1');
  await post(server, { ref: 'a', sku: 'w', n: 2 }, 'k2');
  await post(server, { ref: 'b', sku: 'w', n: 3 }, 'k3');
  await post(server, { sku: 'w', n: 4 }, 'k4');

  const onlyA = await request(server, '/orders?ref=a');
  assert.equal(onlyA.status, 200);
  assert.equal(onlyA.json.count, 2);
  assert.deepEqual(onlyA.json.items.map((o: Order) => o.n), [1, 2]);

  assert.equal((await request(server, '/orders?ref=zzz')).json.count, 0);
  const all = await request(server, '/orders');
  assert.equal(all.json.count, 4);
  assert.equal(all.json.items.length, 4);

  const one = await request(server, `/orders/${a1.json.id}`);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json, a1.json);

  for (const path of ['/orders/ord_missing', '/nothing', '/']) {
    const r = await request(server, path);
    assert.equal(r.status, 404, path);
    assert.equal(typeof r.json.error, 'string');
  }
  assert.equal((await request(server, '/orders', { method: 'DELETE' })).status, 404);
});

test('close() resolves promptly with a request in flight and is idempotent', async () => {
  const server = await startDemo({ latencyMs: 500 });
  const pending = post(server, ORDER, 'k-close').catch((err: unknown) => err);
  await sleep(50);
  const started = Date.now();
  await Promise.all([server.close(), server.close()]);
  assert.ok(Date.now() - started < 2000);
  const outcome = await pending;
  assert.ok(outcome instanceof Error, 'the in-flight request was cut');
});
