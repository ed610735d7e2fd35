// The key-scoping bugs: keys shared across operations and across tenants, each
// against correct. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { list, ORDER, postOrder, postRefund, start, type Reply } from './client.js';

const REFUND = { order: 'ord_x', amount: 5, ref: 'rf-scope' };

/** Polls with a duplicate until the server holds the key as in flight (409), instead of trusting a sleep. */
async function untilInFlight(probe: () => Promise<Reply>): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 30)); // so the original, sent first, also arrives first
  for (let i = 0; ; i++) {
    const r = await probe();
    if (r.status === 409) return;
    assert.ok(i < 50, `the key was never in flight (last status ${r.status})`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

test('keys-shared-across-operations: the key of an order on /refunds replays the order (201, its body), no refund. correct: a refund', async (t) => {
  for (const mode of ['keys-shared-across-operations', 'correct'] as const) {
    const server = await start(t, { bug: mode, latencyMs: 0 });
    const order = await postOrder(server, ORDER, { key: 'k-op' });
    assert.equal(order.status, 201);
    const refund = await postRefund(server, { ...REFUND, order: order.json.id }, { key: 'k-op' });
    assert.equal(refund.status, 201, mode);
    if (mode === 'correct') {
      assert.match(refund.json.id, /^re_/);
      assert.equal(refund.headers.get('idempotent-replayed'), null);
      assert.equal(server.refunds().length, 1);
    } else {
      assert.equal(refund.text, order.text, 'the order, replayed');
      assert.equal(refund.headers.get('location'), order.headers.get('location'));
      assert.equal(refund.headers.get('idempotent-replayed'), 'true');
      assert.equal(server.refunds().length, 0);
    }
    assert.equal(server.orders().length, 1, mode);
  }
});

test('keys-shared-across-operations: the other way round too, and while the first is in flight the other operation gets 409', async (t) => {
  const server = await start(t, { bug: 'keys-shared-across-operations', latencyMs: 0 });
  const refund = await postRefund(server, REFUND, { key: 'k-rev' });
  const order = await postOrder(server, ORDER, { key: 'k-rev' });
  assert.equal(order.status, 201);
  assert.equal(order.text, refund.text, 'the refund, replayed');
  assert.equal(server.orders().length, 0);
  assert.equal(server.refunds().length, 1);

  const slow = await start(t, { bug: 'keys-shared-across-operations', latencyMs: 500 });
  const first = postOrder(slow, ORDER, { key: 'k-flight' });
  await untilInFlight(() => postOrder(slow, ORDER, { key: 'k-flight' }));
  const during = await postRefund(slow, REFUND, { key: 'k-flight' });
  assert.equal(during.status, 409);
  assert.equal(during.headers.get('retry-after'), '1');
  assert.equal((await first).status, 201);
  assert.equal(slow.refunds().length, 0);
});

test('keys-shared-across-operations: within one operation and across tenants it is correct', async (t) => {
  const server = await start(t, { bug: 'keys-shared-across-operations', latencyMs: 0 });
  const first = await postOrder(server, ORDER, { key: 'k' });
  assert.equal((await postOrder(server, { ...ORDER, qty: 3 }, { key: 'k' })).status, 422);
  const again = await postOrder(server, ORDER, { key: 'k' });
  assert.equal(again.text, first.text);
  const other = await postRefund(server, REFUND, { key: 'k', token: 'tenant-b' });
  assert.equal(other.status, 201);
  assert.match(other.json.id, /^re_/);
  assert.equal(server.orders().length, 1);
  assert.equal(server.refunds('tenant-b').length, 1);
});

test('keys-shared-across-tenants: tenant B with tenant A\'s key gets A\'s order, nothing for B; another payload 422. correct: B\'s own order', async (t) => {
  for (const mode of ['keys-shared-across-tenants', 'correct'] as const) {
    const server = await start(t, { bug: mode, latencyMs: 0 });
    const a = await postOrder(server, ORDER, { key: 'k-tenant', token: 'tenant-a' });
    assert.equal(a.status, 201);
    const b = await postOrder(server, ORDER, { key: 'k-tenant', token: 'tenant-b' });
    assert.equal(b.status, 201, mode);
    if (mode === 'correct') {
      assert.notEqual(b.json.id, a.json.id);
      assert.equal(b.headers.get('idempotent-replayed'), null);
      assert.equal(server.orders('tenant-b').length, 1);
    } else {
      assert.equal(b.text, a.text, "A's order, leaked to B");
      assert.equal(b.headers.get('idempotent-replayed'), 'true');
      assert.equal(server.orders('tenant-b').length, 0);
      assert.equal((await list(server, '/orders', { token: 'tenant-b' })).count, 0);
      // Another payload under A's key: the usual 422, still nothing for B.
      const c = await postOrder(server, { ...ORDER, qty: 4 }, { key: 'k-tenant', token: 'tenant-b' });
      assert.equal(c.status, 422);
      assert.equal(server.orders('tenant-b').length, 0);
    }
    assert.equal(server.orders('tenant-a').length, 1, mode);
  }
});

test('keys-shared-across-tenants: refunds leak the same way; within one tenant, and across operations, it is correct', async (t) => {
  const server = await start(t, { bug: 'keys-shared-across-tenants', latencyMs: 0 });
  const a = await postRefund(server, REFUND, { key: 'k-r', token: 'tenant-a' });
  const b = await postRefund(server, REFUND, { key: 'k-r', token: 'tenant-b' });
  assert.equal(b.text, a.text);
  assert.equal(server.refunds('tenant-b').length, 0);

  const first = await postOrder(server, ORDER, { key: 'k-own', token: 'tenant-a' });
  const again = await postOrder(server, ORDER, { key: 'k-own', token: 'tenant-a' });
  assert.equal(again.text, first.text);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  const refund = await postRefund(server, REFUND, { key: 'k-own', token: 'tenant-a' });
  assert.match(refund.json.id, /^re_/);
  assert.equal(server.orders().length, 1);
  assert.equal(server.refunds('tenant-a').length, 2);
});
