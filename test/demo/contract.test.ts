// The demo's contract, check by check, against every mode: each mode must break
// exactly the checks its bug is about and keep every other one, so that later
// only the attack meant for a mode trips on it. Real HTTP over 127.0.0.1.
//
// Timing bugs (early expiry, disconnects, expiry bursts) are not in this table;
// their own tests show them.
import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { DEMO_MODES, type DemoMode, type DemoOptions, type DemoServer } from '../../src/demo/server.js';
import { burst, ORDER, postOrder, postRefund, start, statuses, type Reply } from './client.js';

const REFUND = { order: 'ord_contract', amount: 4.5, ref: 'rf-contract' };

function assertExactReplay(again: Reply, first: Reply): void {
  assert.equal(first.status, 201, first.text);
  assert.equal(again.status, first.status);
  assert.equal(again.text, first.text);
  for (const h of ['location', 'etag', 'content-type']) assert.equal(again.headers.get(h), first.headers.get(h), h);
  assert.equal(again.headers.get('idempotent-replayed'), 'true');
}

function assertNew(r: Reply, other?: Reply): void {
  assert.equal(r.status, 201, r.text);
  assert.equal(r.headers.get('idempotent-replayed'), null);
  if (other) assert.notEqual(r.json.id, other.json.id);
}

type Check = (t: TestContext, demo: (o?: DemoOptions) => Promise<DemoServer>) => Promise<void>;

const CHECKS: Record<string, Check> = {
  'replay is exact': async (_t, demo) => {
    const server = await demo();
    const first = await postOrder(server, ORDER, { key: 'k' });
    assertExactReplay(await postOrder(server, ORDER, { key: 'k' }), first);
    assert.equal(server.orders().length, 1);
  },
  'refund replay is exact': async (_t, demo) => {
    const server = await demo();
    const first = await postRefund(server, REFUND, { key: 'k' });
    assertExactReplay(await postRefund(server, REFUND, { key: 'k' }), first);
    assert.equal(server.refunds().length, 1);
  },
  '422 on another payload': async (_t, demo) => {
    const server = await demo();
    await postOrder(server, ORDER, { key: 'k' });
    assert.equal((await postOrder(server, { ...ORDER, qty: 7 }, { key: 'k' })).status, 422);
    assert.equal(server.orders().length, 1);
  },
  '409 in flight': async (_t, demo) => {
    const server = await demo({ latencyMs: 300 });
    const replies = await burst(2, () => postOrder(server, ORDER, { key: 'k' }));
    assert.deepEqual(statuses(replies), [201, 409]);
    assert.equal(replies.find((r) => r.status === 409)!.headers.get('retry-after'), '1');
    assert.equal(server.orders().length, 1);
  },
  'no or empty key is 400': async (_t, demo) => {
    const server = await demo();
    assert.equal((await postOrder(server, ORDER)).status, 400);
    assert.equal((await postOrder(server, ORDER, { key: '' })).status, 400);
    assert.equal(server.orders().length, 0);
  },
  'a key over 255 characters is 400': async (_t, demo) => {
    const server = await demo();
    assert.equal((await postOrder(server, ORDER, { key: 'k'.repeat(256) })).status, 400);
    assert.equal((await postOrder(server, ORDER, { key: 'k'.repeat(255) })).status, 201);
    assert.equal(server.orders().length, 1);
  },
  'keys are per tenant': async (_t, demo) => {
    const server = await demo();
    const a = await postOrder(server, ORDER, { key: 'k', token: 'tenant-a' });
    const b = await postOrder(server, ORDER, { key: 'k', token: 'tenant-b' });
    assertNew(a);
    assertNew(b, a);
    assert.equal(server.orders('tenant-b').length, 1);
  },
  'keys are per operation': async (_t, demo) => {
    const server = await demo();
    const order = await postOrder(server, ORDER, { key: 'k' });
    const refund = await postRefund(server, { ...REFUND, order: order.json.id }, { key: 'k' });
    assertNew(order);
    assertNew(refund);
    assert.match(refund.json.id, /^re_/);
    assert.equal(server.refunds().length, 1);
  },
  'a refused payload leaves its key free': async (_t, demo) => {
    const server = await demo();
    assert.equal((await postOrder(server, { ...ORDER, qty: 0 }, { key: 'k' })).status, 400);
    assert.equal((await postOrder(server, { ...ORDER, qty: 0 }, { key: 'k' })).status, 400);
    assertNew(await postOrder(server, ORDER, { key: 'k' }));
    assert.equal(server.orders().length, 1);
  },
  'a retry on another instance replays': async (_t, demo) => {
    const server = await demo({ instances: 2 });
    const first = await postOrder(server, ORDER, { key: 'k', instance: 0 });
    const retry = await postOrder(server, ORDER, { key: 'k', instance: 1 });
    // That it is the same order is this check's point; exactness is 'replay is exact''s.
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(retry.json.id, first.json.id);
    assert.equal(server.orders().length, 1);
  },
};

/** The checks each mode fails: its bug, nothing else. */
const BREAKS: Record<DemoMode, string[]> = {
  correct: [],
  'no-idempotency': [
    'replay is exact',
    'refund replay is exact',
    '422 on another payload',
    '409 in flight',
    'no or empty key is 400',
    'a key over 255 characters is 400',
    'a retry on another instance replays',
  ],
  race: ['409 in flight'],
  'ignore-body': ['422 on another payload'],
  'replay-differs': ['replay is exact', 'refund replay is exact'],
  'early-expiry': [],
  'forget-on-disconnect': [],
  'conflict-500': ['409 in flight'],
  'key-optional': ['no or empty key is 400'],
  'long-key-500': ['a key over 255 characters is 400'],
  'keys-shared-across-operations': ['keys are per operation'],
  'keys-shared-across-tenants': ['keys are per tenant'],
  'expiry-burst-race': [],
  'locked-after-error': ['a refused payload leaves its key free'],
  'per-instance-store': ['a retry on another instance replays'],
};

test('contract table: every break named is a check', () => {
  for (const [mode, broken] of Object.entries(BREAKS)) {
    for (const name of broken) assert.ok(name in CHECKS, `${mode}: no check named '${name}'`);
  }
  assert.deepEqual(Object.keys(BREAKS).sort(), DEMO_MODES.map((m) => m.mode).sort(), 'a row per mode');
});

for (const { mode } of DEMO_MODES) {
  test(`contract: ${mode} breaks ${BREAKS[mode].length === 0 ? 'no check' : BREAKS[mode].map((b) => `'${b}'`).join(', ')}`, async (t) => {
    const failed: string[] = [];
    const why: string[] = [];
    for (const [name, check] of Object.entries(CHECKS)) {
      try {
        await check(t, (o = {}) => start(t, { latencyMs: 0, ttlMs: 5000, ...o, bug: mode }));
      } catch (err) {
        failed.push(name);
        why.push(`  ${name}: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    assert.deepEqual(failed, BREAKS[mode], `${mode} failed:\n${why.join('\n') || '  nothing'}`);
  });
}
