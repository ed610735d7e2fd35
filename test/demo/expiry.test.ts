// Retries right after a key expired. Real HTTP over 127.0.0.1; the ttl and the
// work are long enough that a burst lands well inside one window on a busy machine.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DemoOptions } from '../../src/demo/server.js';
import { burst, ORDER, postOrder, start, type Reply } from './client.js';

const TTL_MS = 300;
const LATENCY_MS = 250;

/** One order with key K, a wait past its ttl, then five concurrent retries with K. */
async function burstAfterExpiry(t: Parameters<typeof start>[0], options: DemoOptions) {
  const server = await start(t, { ...options, latencyMs: LATENCY_MS, ttlMs: TTL_MS });
  const original = await postOrder(server, ORDER, { key: 'k-expired' });
  assert.equal(original.status, 201);
  await sleep(TTL_MS + 300);
  const retries = await burst(5, () => postOrder(server, ORDER, { key: 'k-expired' }));
  return { server, original, retries };
}

function isNew(r: Reply, original: Reply): boolean {
  return r.status === 201 && r.headers.get('idempotent-replayed') === null && r.json.id !== original.json.id;
}

test('correct: five concurrent retries right after expiry create one new order; the rest get 409 (or the replay)', async (t) => {
  const { server, original, retries } = await burstAfterExpiry(t, {});
  assert.equal(server.orders().length, 2, 'the original and exactly one new order');
  assert.equal(retries.filter((r) => isNew(r, original)).length, 1);
  const fresh = retries.find((r) => isNew(r, original))!;
  for (const r of retries.filter((x) => x !== fresh)) {
    assert.ok(r.status === 409 || (r.headers.get('idempotent-replayed') === 'true' && r.text === fresh.text), `${r.status} ${r.text}`);
    if (r.status === 409) assert.equal(r.headers.get('retry-after'), '1');
  }
  // The new record replaces the expired one: the next retry replays it.
  const later = await postOrder(server, ORDER, { key: 'k-expired' });
  assert.equal(later.headers.get('idempotent-replayed'), 'true');
  assert.equal(later.text, fresh.text);
  assert.equal(server.orders().length, 2);
});

test('expiry-burst-race: five concurrent retries right after expiry create five new orders', async (t) => {
  const { server, original, retries } = await burstAfterExpiry(t, { bug: 'expiry-burst-race' });
  for (const r of retries) assert.ok(isNew(r, original), `${r.status} ${r.headers.get('idempotent-replayed')} ${r.text}`);
  assert.equal(new Set(retries.map((r) => r.json.id)).size, 5);
  assert.equal(server.orders().length, 6, 'the original and five new orders');
  // Afterwards the key holds one of them again: a later retry replays it.
  const later = await postOrder(server, ORDER, { key: 'k-expired' });
  assert.equal(later.headers.get('idempotent-replayed'), 'true');
  assert.ok(retries.some((r) => r.text === later.text));
  assert.equal(server.orders().length, 6);
});

test('expiry-burst-race: outside expiry it is correct: a burst on a fresh key is one order, a lone retry after expiry one more', async (t) => {
  const server = await start(t, { bug: 'expiry-burst-race', latencyMs: LATENCY_MS, ttlMs: TTL_MS });
  const first = await burst(5, () => postOrder(server, ORDER, { key: 'k-fresh' }));
  assert.deepEqual(first.map((r) => r.status).sort(), [201, 409, 409, 409, 409]);
  assert.equal(server.orders().length, 1);
  const replay = await postOrder(server, ORDER, { key: 'k-fresh' });
  assert.equal(replay.headers.get('idempotent-replayed'), 'true');
  await sleep(TTL_MS + 300);
  const original = first.find((r) => r.status === 201)!;
  assert.ok(isNew(await postOrder(server, ORDER, { key: 'k-fresh' }), original));
  assert.equal(server.orders().length, 2);
});
