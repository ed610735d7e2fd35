// Payload validation comes before the key is claimed: a refused body creates
// nothing and leaves its key free for the corrected request. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ORDER, postOrder, postRefund, start } from './client.js';

test('orders: no sku, or a qty that is not a positive integer, is 400 {error} and creates nothing; qty may be left out', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const bad: unknown[] = [
    { qty: 2 },
    { sku: '', qty: 2 },
    { sku: 7, qty: 2 },
    { sku: null },
    { sku: 'w', qty: 0 },
    { sku: 'w', qty: -1 },
    { sku: 'w', qty: 1.5 },
    { sku: 'w', qty: '2' },
    { sku: 'w', qty: null },
    { sku: 'w', qty: true },
  ];
  for (const [i, body] of bad.entries()) {
    const r = await postOrder(server, body, { key: `k-bad-${i}` });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.deepEqual(Object.keys(r.json), ['error'], JSON.stringify(body));
    assert.equal(typeof r.json.error, 'string');
  }
  assert.equal(server.orders().length, 0);
  assert.equal((await postOrder(server, { sku: 'w' }, { key: 'k-no-qty' })).status, 201);
  assert.equal((await postOrder(server, { sku: 'w', qty: 1 }, { key: 'k-qty-1' })).status, 201);
  assert.equal(server.orders().length, 2);
});

const CASES = [
  { what: 'order', send: postOrder, invalid: { ...ORDER, qty: 0 }, valid: ORDER, count: (s: any) => s.orders().length },
  { what: 'refund', send: postRefund, invalid: { order: 'ord_x', amount: -1 }, valid: { order: 'ord_x', amount: 1 }, count: (s: any) => s.refunds().length },
] as const;

for (const c of CASES) {
  test(`correct ${c.what}: a refused payload neither stores nor locks its key; the corrected request with that key is 201`, async (t) => {
    const server = await start(t, { latencyMs: 0 });
    const refused = await c.send(server, c.invalid, { key: 'k-fix' });
    assert.equal(refused.status, 400);
    // The same refused request again is refused again, not replayed or held as in flight.
    const again = await c.send(server, c.invalid, { key: 'k-fix' });
    assert.equal(again.status, 400);
    assert.equal(again.headers.get('idempotent-replayed'), null);
    const fixed = await c.send(server, c.valid, { key: 'k-fix' });
    assert.equal(fixed.status, 201, fixed.text);
    assert.equal(fixed.headers.get('idempotent-replayed'), null);
    assert.equal(c.count(server), 1);
    // From here the key is the corrected request's.
    const replay = await c.send(server, c.valid, { key: 'k-fix' });
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.text, fixed.text);
    assert.equal(c.count(server), 1);
  });
}

test('correct: validation comes first: a refused payload under a used key is 400, not 422, and the key keeps its response', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const first = await postOrder(server, ORDER, { key: 'k-used' });
  assert.equal(first.status, 201);
  const refused = await postOrder(server, { ...ORDER, sku: '' }, { key: 'k-used' });
  assert.equal(refused.status, 400);
  const replay = await postOrder(server, ORDER, { key: 'k-used' });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  assert.equal(replay.text, first.text);
  assert.equal(server.orders().length, 1);
});

for (const c of CASES) {
  test(`locked-after-error ${c.what}: refused, then the same request and the corrected one → 409 with Retry-After: 1; correct → 400, 201`, async (t) => {
    const buggy = await start(t, { bug: 'locked-after-error', latencyMs: 0, ttlMs: 5000 });
    const correct = await start(t, { latencyMs: 0, ttlMs: 5000 });
    assert.equal((await c.send(buggy, c.invalid, { key: 'k-lock' })).status, 400);
    assert.equal((await c.send(correct, c.invalid, { key: 'k-lock' })).status, 400);

    for (const body of [c.invalid, c.valid, c.valid]) {
      const r = await c.send(buggy, body, { key: 'k-lock' });
      assert.equal(r.status, 409, JSON.stringify(body));
      assert.equal(r.headers.get('retry-after'), '1');
      assert.equal(typeof r.json.error, 'string');
    }
    assert.equal(c.count(buggy), 0);

    assert.equal((await c.send(correct, c.invalid, { key: 'k-lock' })).status, 400);
    assert.equal((await c.send(correct, c.valid, { key: 'k-lock' })).status, 201);
    assert.equal(c.count(correct), 1);
  });
}

test('locked-after-error: the orphaned lock ends after lockMs (default 15 s, past the 10 s in-flight bound); then the corrected request is processed', async (t) => {
  const server = await start(t, { bug: 'locked-after-error', latencyMs: 0, ttlMs: 400, lockMs: 400 });
  assert.equal((await postOrder(server, { sku: '' }, { key: 'k-ttl' })).status, 400);
  assert.equal((await postOrder(server, ORDER, { key: 'k-ttl' })).status, 409);
  await sleep(400 + 300);
  const fixed = await postOrder(server, ORDER, { key: 'k-ttl' });
  assert.equal(fixed.status, 201);
  assert.equal(fixed.headers.get('idempotent-replayed'), null);
  assert.equal(server.orders().length, 1);
});

test('locked-after-error: valid requests are handled as in correct, and a refused one under a used key is 400', async (t) => {
  const server = await start(t, { bug: 'locked-after-error', latencyMs: 0, ttlMs: 5000 });
  const first = await postOrder(server, ORDER, { key: 'k-ok' });
  assert.equal(first.status, 201);
  const again = await postOrder(server, ORDER, { key: 'k-ok' });
  assert.equal(again.text, first.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal((await postOrder(server, { ...ORDER, qty: 5 }, { key: 'k-ok' })).status, 422);
  assert.equal((await postOrder(server, { ...ORDER, qty: 0 }, { key: 'k-ok' })).status, 400);
  assert.equal((await postOrder(server, ORDER, { key: 'k-ok' })).text, first.text, 'the refused request did not lock a used key');
  assert.equal(server.orders().length, 1);
});
