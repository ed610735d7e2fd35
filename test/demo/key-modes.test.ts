// The key-validation bugs: key-optional and long-key-500, each against correct.
// Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ORDER, postOrder, postRefund, start } from './client.js';

test('key-optional: no key → 201 and one order; empty key too; a keyless retry is a second order. correct: 400 and none', async (t) => {
  const buggy = await start(t, { bug: 'key-optional', latencyMs: 0 });
  const correct = await start(t, { latencyMs: 0 });

  const none = await postOrder(buggy, ORDER);
  assert.equal(none.status, 201);
  assert.equal(none.headers.get('idempotent-replayed'), null);
  assert.equal(buggy.orders().length, 1);
  const retry = await postOrder(buggy, ORDER);
  assert.equal(retry.status, 201);
  assert.notEqual(retry.json.id, none.json.id);
  assert.equal((await postOrder(buggy, ORDER, { key: '' })).status, 201);
  assert.equal((await postRefund(buggy, { order: none.json.id, amount: 1 })).status, 201);
  assert.equal(buggy.orders().length, 3);
  assert.equal(buggy.refunds().length, 1);

  assert.equal((await postOrder(correct, ORDER)).status, 400);
  assert.equal((await postOrder(correct, ORDER, { key: '' })).status, 400);
  assert.equal((await postRefund(correct, { order: 'ord_x', amount: 1 })).status, 400);
  assert.equal(correct.orders().length + correct.refunds().length, 0);
});

test('key-optional: over-long keys are still 400, payloads still validated, keyed requests replay as in correct', async (t) => {
  const server = await start(t, { bug: 'key-optional', latencyMs: 0 });
  assert.equal((await postOrder(server, ORDER, { key: 'k'.repeat(256) })).status, 400);
  assert.equal((await postOrder(server, { qty: 1 })).status, 400, 'no sku, no key');
  assert.equal(server.orders().length, 0);
  const first = await postOrder(server, ORDER, { key: 'k-keyed' });
  const again = await postOrder(server, ORDER, { key: 'k-keyed' });
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.text, first.text);
  assert.equal(server.orders().length, 1);
});

test('long-key-500: a key over 255 characters → 500 {error: internal}, nothing created; correct: 400', async (t) => {
  const buggy = await start(t, { bug: 'long-key-500', latencyMs: 0 });
  const correct = await start(t, { latencyMs: 0 });
  for (const key of ['k'.repeat(256), 'k'.repeat(4000)]) {
    const order = await postOrder(buggy, ORDER, { key });
    assert.equal(order.status, 500, String(key.length));
    assert.deepEqual(order.json, { error: 'internal' });
    assert.equal((await postRefund(buggy, { order: 'ord_x', amount: 1 }, { key })).status, 500);
    assert.equal((await postOrder(correct, ORDER, { key })).status, 400);
  }
  assert.equal(buggy.orders().length + buggy.refunds().length, 0);
  assert.equal(correct.orders().length, 0);
});

test('long-key-500: 255 characters, missing keys and refused payloads are answered as in correct', async (t) => {
  const server = await start(t, { bug: 'long-key-500', latencyMs: 0 });
  const first = await postOrder(server, ORDER, { key: 'k'.repeat(255) });
  assert.equal(first.status, 201);
  const again = await postOrder(server, ORDER, { key: 'k'.repeat(255) });
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
  assert.equal(again.text, first.text);
  assert.equal((await postOrder(server, ORDER)).status, 400);
  assert.equal((await postOrder(server, ORDER, { key: '' })).status, 400);
  // The crash is where the key is stored, so a refused payload is refused first.
  assert.equal((await postOrder(server, { qty: 1 }, { key: 'k'.repeat(300) })).status, 400);
  assert.equal(server.orders().length, 1);
});
