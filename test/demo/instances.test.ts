// Several instances of one demo: N ports, one order store, one key store
// (unless the mode keeps one per instance). Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { DEMO_MODES, startDemo } from '../../src/demo/server.js';
import { burst, list, ORDER, postOrder, postRefund, start, statuses } from './client.js';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

test('instances: one by default; with instances: 2 two ports, urls in order, url and port the first', async (t) => {
  const one = await start(t);
  assert.deepEqual(one.urls, [one.url]);

  const two = await start(t, { instances: 2 });
  assert.equal(two.urls.length, 2);
  assert.equal(two.url, two.urls[0]);
  assert.equal(two.url, `http://127.0.0.1:${two.port}`);
  for (const u of two.urls) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
  assert.notEqual(two.urls[0], two.urls[1]);
  for (const u of two.urls) assert.equal((await fetch(`${u}/orders`)).status, 200, u);
});

test('instances: bad counts and ports are refused', async () => {
  for (const instances of [0, -1, 1.5, Number.NaN]) {
    await assert.rejects(startDemo({ instances }), RangeError, String(instances));
  }
  await assert.rejects(startDemo({ port: 65535, instances: 2 }), RangeError);
  await assert.rejects(startDemo({ port: -1 }), RangeError);
});

test('instances: with a port, instance i listens on port + i; if one cannot listen, none stays listening', async (t) => {
  // A free port whose neighbour is taken: instance 1 cannot listen.
  const blocker = net.createServer();
  t.after(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
  let base = 0;
  for (let attempt = 0; attempt < 20 && base === 0; attempt++) {
    const p = await freePort();
    if (p >= 65535) continue;
    const ok = await new Promise<boolean>((resolve) => {
      blocker.once('error', () => resolve(false));
      blocker.listen(p + 1, '127.0.0.1', () => resolve(true));
    });
    if (ok) base = p;
  }
  assert.ok(base > 0, 'found a free port with a taken neighbour');
  await assert.rejects(startDemo({ port: base, instances: 2 }), /EADDRINUSE/);
  // Instance 0 was closed again: its port is free.
  const again = net.createServer();
  await new Promise<void>((resolve, reject) => {
    again.once('error', reject);
    again.listen(base, '127.0.0.1', () => resolve());
  });
  await new Promise<void>((resolve) => again.close(() => resolve()));
  await new Promise<void>((resolve) => blocker.close(() => resolve()));

  // With both free, the two instances take base and base + 1.
  const server = await start(t, { port: base, instances: 2 });
  assert.deepEqual(server.urls, [`http://127.0.0.1:${base}`, `http://127.0.0.1:${base + 1}`]);
});

test('correct on 2 instances: a retry on the other instance replays, one order; either instance lists it', async (t) => {
  const server = await start(t, { instances: 2, latencyMs: 0 });
  const first = await postOrder(server, ORDER, { key: 'k-two', instance: 0 });
  const retry = await postOrder(server, ORDER, { key: 'k-two', instance: 1 });
  assert.equal(first.status, 201);
  assert.equal(retry.status, 201);
  assert.equal(retry.headers.get('idempotent-replayed'), 'true');
  assert.equal(retry.text, first.text);
  assert.equal(server.orders().length, 1);
  for (const instance of [0, 1]) assert.equal((await list(server, '/orders', { ref: ORDER.ref, instance })).count, 1, `instance ${instance}`);
  // Another payload under the key, on the other instance: 422 as on one.
  assert.equal((await postOrder(server, { ...ORDER, qty: 5 }, { key: 'k-two', instance: 1 })).status, 422);
});

test('correct on 2 instances: a duplicate on the other instance while the first runs is 409', async (t) => {
  const server = await start(t, { instances: 2, latencyMs: 300 });
  let i = 0;
  const replies = await burst(2, () => postOrder(server, ORDER, { key: 'k-flight', instance: i++ }));
  assert.deepEqual(statuses(replies), [201, 409]);
  assert.equal(server.orders().length, 1);
});

test('every mode but no-idempotency and per-instance-store shares its key store across instances', async (t) => {
  const modes = DEMO_MODES.map((m) => m.mode).filter((m) => m !== 'no-idempotency' && m !== 'per-instance-store');
  for (const mode of modes) {
    const server = await start(t, { bug: mode, instances: 2, latencyMs: 0, ttlMs: 4000 });
    const first = await postOrder(server, ORDER, { key: 'k-shared' });
    assert.equal(first.status, 201, mode);
    const retry = await postOrder(server, ORDER, { key: 'k-shared', instance: 1 });
    assert.equal(retry.headers.get('idempotent-replayed'), 'true', mode);
    assert.equal(retry.json.id, first.json.id, mode);
    assert.equal(server.orders().length, 1, mode);
  }
});

test('per-instance-store on 2 instances: K on instance 1, then K on instance 2 → two orders; correct → one', async (t) => {
  for (const [mode, expected] of [['per-instance-store', 2], ['correct', 1]] as const) {
    const server = await start(t, { bug: mode, instances: 2, latencyMs: 0 });
    const first = await postOrder(server, ORDER, { key: 'k-lb', instance: 0 });
    const second = await postOrder(server, ORDER, { key: 'k-lb', instance: 1 });
    assert.equal(first.status, 201);
    assert.equal(second.status, 201);
    assert.equal(server.orders().length, expected, mode);
    // The orders are one store: both instances list the same orders.
    for (const instance of [0, 1]) assert.equal((await list(server, '/orders', { ref: ORDER.ref, instance })).count, expected, `${mode} instance ${instance}`);
    if (mode === 'per-instance-store') {
      assert.equal(second.headers.get('idempotent-replayed'), null);
      assert.notEqual(second.json.id, first.json.id);
      // Each instance replays its own.
      assert.equal((await postOrder(server, ORDER, { key: 'k-lb', instance: 0 })).text, first.text);
      assert.equal((await postOrder(server, ORDER, { key: 'k-lb', instance: 1 })).text, second.text);
      assert.equal(server.orders().length, 2);
    }
  }
});

test('per-instance-store: duplicates in flight on two instances both run; refunds likewise', async (t) => {
  const server = await start(t, { bug: 'per-instance-store', instances: 2, latencyMs: 300 });
  let i = 0;
  const replies = await burst(2, () => postOrder(server, ORDER, { key: 'k-flight', instance: i++ }));
  assert.deepEqual(statuses(replies), [201, 201]);
  assert.equal(server.orders().length, 2);
  await postRefund(server, { order: 'ord_x', amount: 2 }, { key: 'k-refund', instance: 0 });
  await postRefund(server, { order: 'ord_x', amount: 2 }, { key: 'k-refund', instance: 1 });
  assert.equal(server.refunds().length, 2);
});

test('per-instance-store on one instance behaves as correct: replay, 409 in flight', async (t) => {
  const server = await start(t, { bug: 'per-instance-store', latencyMs: 300 });
  const replies = await burst(2, () => postOrder(server, ORDER, { key: 'k-one' }));
  assert.deepEqual(statuses(replies), [201, 409]);
  const first = replies.find((r) => r.status === 201)!;
  const again = await postOrder(server, ORDER, { key: 'k-one' });
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.text, first.text);
  assert.equal(server.orders().length, 1);
});
