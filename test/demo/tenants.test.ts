// Tenants: the bearer token names the caller's tenant; orders and keys belong
// to it. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ANONYMOUS } from '../../src/demo/server.js';
import { burst, list, ORDER, postOrder, start, statuses, call } from './client.js';

test('tenants: GET /orders lists only the caller\'s orders, with and without ref; GET /orders/<id> only its own', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const a1 = await postOrder(server, { ...ORDER, ref: 'shared' }, { key: 'k-a1', token: 'tenant-a' });
  const a2 = await postOrder(server, { ...ORDER, ref: 'shared' }, { key: 'k-a2', token: 'tenant-a' });
  const b1 = await postOrder(server, { ...ORDER, ref: 'shared' }, { key: 'k-b1', token: 'tenant-b' });
  const anon = await postOrder(server, { ...ORDER, ref: 'other' }, { key: 'k-anon' });
  assert.deepEqual(statuses([a1, a2, b1, anon]), [201, 201, 201, 201]);

  const ofA = await list(server, '/orders', { ref: 'shared', token: 'tenant-a' });
  assert.deepEqual(ofA.items.map((o) => o.id), [a1.json.id, a2.json.id]);
  assert.deepEqual((await list(server, '/orders', { token: 'tenant-a' })).items.map((o) => o.id), [a1.json.id, a2.json.id]);
  const ofB = await list(server, '/orders', { ref: 'shared', token: 'tenant-b' });
  assert.deepEqual(ofB.items.map((o) => o.id), [b1.json.id]);
  assert.equal((await list(server, '/orders', { ref: 'shared' })).count, 0, 'anonymous has no order with ref shared');
  assert.deepEqual((await list(server, '/orders')).items.map((o) => o.id), [anon.json.id]);
  assert.equal((await list(server, '/orders', { token: 'tenant-c' })).count, 0);

  assert.equal(server.orders().length, 4);
  assert.equal(server.orders('tenant-a').length, 2);
  assert.deepEqual(server.orders(ANONYMOUS).map((o) => o.id), [anon.json.id]);

  const own = await call(server, 'GET', `/orders/${a1.json.id}`, undefined, { token: 'tenant-a' });
  assert.equal(own.status, 200);
  assert.deepEqual(own.json, a1.json);
  assert.equal((await call(server, 'GET', `/orders/${a1.json.id}`, undefined, { token: 'tenant-b' })).status, 404);
  assert.equal((await call(server, 'GET', `/orders/${a1.json.id}`, undefined)).status, 404);
});

test('tenants: the token is what follows "Bearer " (any case); no header, another scheme or no token is anonymous', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const cases: [Record<string, string>, string][] = [
    [{ authorization: 'Bearer tok en' }, 'tok en'],
    [{ authorization: 'bearer  lower' }, 'lower'],
    [{ authorization: 'Basic dXNlcjpwYXNz' }, ANONYMOUS],
    [{ authorization: 'Bearer' }, ANONYMOUS],
    [{}, ANONYMOUS],
  ];
  for (const [i, [headers, tenant]] of cases.entries()) {
    const r = await postOrder(server, ORDER, { key: `k-scheme-${i}`, headers });
    assert.equal(r.status, 201, JSON.stringify(headers));
    assert.deepEqual(server.orders(tenant).map((o) => o.id).filter((id) => id === r.json.id), [r.json.id], `${JSON.stringify(headers)} → ${tenant}`);
  }
  assert.equal(server.orders('tok en').length, 1);
  assert.equal(server.orders('lower').length, 1);
  assert.equal(server.orders(ANONYMOUS).length, 3);
});

test('correct: tenant B sending tenant A\'s key is B\'s own new request, done or in flight, with any payload', async (t) => {
  const server = await start(t, { latencyMs: 0 });
  const a = await postOrder(server, ORDER, { key: 'k-shared', token: 'tenant-a' });
  const b = await postOrder(server, ORDER, { key: 'k-shared', token: 'tenant-b' });
  assert.equal(a.status, 201);
  assert.equal(b.status, 201);
  assert.equal(b.headers.get('idempotent-replayed'), null);
  assert.notEqual(b.json.id, a.json.id);
  assert.equal(server.orders('tenant-a').length, 1);
  assert.equal(server.orders('tenant-b').length, 1);

  // Each tenant's retry replays its own order.
  const aAgain = await postOrder(server, ORDER, { key: 'k-shared', token: 'tenant-a' });
  const bAgain = await postOrder(server, ORDER, { key: 'k-shared', token: 'tenant-b' });
  assert.equal(aAgain.headers.get('idempotent-replayed'), 'true');
  assert.equal(aAgain.text, a.text);
  assert.equal(bAgain.headers.get('idempotent-replayed'), 'true');
  assert.equal(bAgain.text, b.text);

  // Another payload under another tenant's key is not a mismatch either.
  const c = await postOrder(server, { ...ORDER, qty: 9 }, { key: 'k-shared', token: 'tenant-c' });
  assert.equal(c.status, 201);
  assert.equal(c.json.qty, 9);
  assert.equal(server.orders().length, 3);
});

test('correct: the same key from two tenants at once is two requests, neither in flight for the other', async (t) => {
  const server = await start(t, { latencyMs: 300 });
  const replies = await Promise.all([
    postOrder(server, ORDER, { key: 'k-both', token: 'tenant-a' }),
    postOrder(server, ORDER, { key: 'k-both', token: 'tenant-b' }),
  ]);
  assert.deepEqual(statuses(replies), [201, 201]);
  assert.equal(server.orders('tenant-a').length, 1);
  assert.equal(server.orders('tenant-b').length, 1);
  // Within one tenant the in-flight rule still holds.
  const same = await burst(2, () => postOrder(server, ORDER, { key: 'k-one', token: 'tenant-a' }));
  assert.deepEqual(statuses(same), [201, 409]);
  assert.equal(server.orders('tenant-a').length, 2);
});
