// POST /refunds: a second operation with the same idempotency rules as orders,
// its keys independent of the orders' keys. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { burst, call, list, ORDER, postOrder, postRefund, start, statuses } from './client.js';

const REFUND = { order: 'ord_x', amount: 12.5, ref: 'rf-1' };

test('refunds: 201 with exactly {id, order, amount, ref, createdAt}, Location and ETag; GET by id; ref defaults to null', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const r = await postRefund(server, { ...REFUND, note: 'not kept', id: 'mine' }, { key: 'k-refund' });
  assert.equal(r.status, 201);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  assert.deepEqual(Object.keys(r.json).sort(), ['amount', 'createdAt', 'id', 'order', 'ref']);
  assert.match(r.json.id, /^re_[0-9a-f]{20}$/);
  assert.equal(r.json.order, 'ord_x');
  assert.equal(r.json.amount, 12.5);
  assert.equal(r.json.ref, 'rf-1');
  assert.ok(!Number.isNaN(Date.parse(r.json.createdAt)));
  assert.equal(r.headers.get('location'), `/refunds/${r.json.id}`);
  assert.match(r.headers.get('etag') ?? '', /^"[0-9a-f]{16}"$/);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  assert.deepEqual(server.refunds(), [r.json]);
  assert.equal(server.orders().length, 0, 'a refund is not an order');

  const one = await call(server, 'GET', `/refunds/${r.json.id}`, undefined);
  assert.equal(one.status, 200);
  assert.deepEqual(one.json, r.json);
  const missing = await call(server, 'GET', '/refunds/re_missing', undefined);
  assert.equal(missing.status, 404);
  assert.equal(missing.json.error, 'refund not found');

  const noRef = await postRefund(server, { order: 'ord_y', amount: 1 }, { key: 'k-refund-null' });
  assert.equal(noRef.status, 201);
  assert.equal(noRef.json.ref, null);
});

test('refunds: GET /refunds?ref= is {count, items} of the caller\'s tenant only', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const a1 = await postRefund(server, REFUND, { key: 'k1', token: 'tenant-a' });
  const a2 = await postRefund(server, { ...REFUND, ref: 'rf-2' }, { key: 'k2', token: 'tenant-a' });
  const b1 = await postRefund(server, REFUND, { key: 'k1', token: 'tenant-b' });
  assert.deepEqual(statuses([a1, a2, b1]), [201, 201, 201]);
  assert.deepEqual((await list(server, '/refunds', { ref: 'rf-1', token: 'tenant-a' })).items.map((x) => x.id), [a1.json.id]);
  assert.deepEqual((await list(server, '/refunds', { token: 'tenant-a' })).items.map((x) => x.id), [a1.json.id, a2.json.id]);
  assert.deepEqual((await list(server, '/refunds', { ref: 'rf-1', token: 'tenant-b' })).items.map((x) => x.id), [b1.json.id]);
  assert.equal((await list(server, '/refunds', { ref: 'rf-1' })).count, 0);
  assert.equal((await call(server, 'GET', `/refunds/${a1.json.id}`, undefined, { token: 'tenant-b' })).status, 404);
  assert.equal(server.refunds('tenant-a').length, 2);
  assert.equal(server.refunds().length, 3);
});

test('refunds: exact replay, 409 in flight with Retry-After: 1, 422 on another payload with the same key', async (t) => {
  const server = await start(t, { latencyMs: 300 });
  const replies = await burst(2, () => postRefund(server, REFUND, { key: 'k-rules' }));
  assert.deepEqual(statuses(replies), [201, 409]);
  const first = replies.find((r) => r.status === 201)!;
  const conflict = replies.find((r) => r.status === 409)!;
  assert.equal(conflict.headers.get('retry-after'), '1');
  assert.equal(typeof conflict.json.error, 'string');

  await sleep(5);
  const again = await postRefund(server, REFUND, { key: 'k-rules' });
  assert.equal(again.status, 201);
  assert.equal(again.text, first.text);
  for (const h of ['location', 'etag', 'content-type']) assert.equal(again.headers.get(h), first.headers.get(h), h);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');

  const changed = await postRefund(server, { ...REFUND, amount: 99 }, { key: 'k-rules' });
  assert.equal(changed.status, 422);
  assert.equal(typeof changed.json.error, 'string');
  assert.equal(server.refunds().length, 1);
});

test('refunds: amount not a positive number, or no order, is 400 and creates nothing', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const bad: unknown[] = [
    { order: 'ord_x', amount: 0 },
    { order: 'ord_x', amount: -5 },
    { order: 'ord_x', amount: '12' },
    { order: 'ord_x' },
    { order: 'ord_x', amount: null },
    { amount: 5 },
    { order: '', amount: 5 },
    { order: 7, amount: 5 },
    { order: 'ord_x', amount: 5, ref: 3 },
    'not json',
    '[]',
  ];
  for (const [i, body] of bad.entries()) {
    const r = await postRefund(server, body, { key: `k-bad-${i}` });
    assert.equal(r.status, 400, JSON.stringify(body));
    assert.equal(typeof r.json.error, 'string');
  }
  assert.equal(server.refunds().length, 0);
  assert.equal((await postRefund(server, { order: 'ord_x', amount: 0.01 }, { key: 'k-small' })).status, 201);
});

test('correct: the same key on /orders and on /refunds are two independent requests', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const order = await postOrder(server, ORDER, { key: 'k-both-ops' });
  const refund = await postRefund(server, { ...REFUND, order: order.json.id }, { key: 'k-both-ops' });
  assert.equal(order.status, 201);
  assert.equal(refund.status, 201);
  assert.equal(refund.headers.get('idempotent-replayed'), null);
  assert.match(refund.json.id, /^re_/);
  assert.equal(refund.json.order, order.json.id);
  assert.equal(server.orders().length, 1);
  assert.equal(server.refunds().length, 1);

  // Each retry replays its own operation's response.
  const orderAgain = await postOrder(server, ORDER, { key: 'k-both-ops' });
  const refundAgain = await postRefund(server, { ...REFUND, order: order.json.id }, { key: 'k-both-ops' });
  assert.equal(orderAgain.text, order.text);
  assert.equal(orderAgain.headers.get('idempotent-replayed'), 'true');
  assert.equal(refundAgain.text, refund.text);
  assert.equal(refundAgain.headers.get('idempotent-replayed'), 'true');
  assert.equal(server.orders().length, 1);
  assert.equal(server.refunds().length, 1);
});

test('correct: an order in flight does not hold its key for /refunds', async (t) => {
  const server = await start(t, { latencyMs: 300 });
  const [order, refund] = await Promise.all([postOrder(server, ORDER, { key: 'k-flight' }), postRefund(server, REFUND, { key: 'k-flight' })]);
  assert.equal(order.status, 201);
  assert.equal(refund.status, 201);
  assert.equal(server.orders().length, 1);
  assert.equal(server.refunds().length, 1);
});
