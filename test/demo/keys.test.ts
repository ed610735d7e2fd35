// Key validation in the correct mode (IETF draft): a POST needs a key of 1 to
// 255 characters. Real HTTP over 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, ORDER, start } from './client.js';

const REFUND = { order: 'ord_x', amount: 3 };

/** exactly n printable ASCII characters, no quote at either end, a space inside. */
function printableKey(n: number): string {
  const chars = Array.from({ length: n }, (_, i) => String.fromCharCode(0x21 + (i % 94)));
  if (n > 2) chars[Math.floor(n / 2)] = ' ';
  return chars.join('');
}

test('printableKey: the length asked for, every character printable ASCII', () => {
  for (const n of [1, 255, 256]) {
    const k = printableKey(n);
    assert.equal(k.length, n);
    assert.match(k, /^[\x20-\x7e]+$/);
    assert.notEqual(k[0], '"');
  }
});

for (const [path, body] of [['/orders', ORDER], ['/refunds', REFUND]] as const) {
  test(`correct ${path}: no key, an empty key or a key over 255 characters is 400 JSON and creates nothing`, async (t) => {
    const server = await start(t, { latencyMs: 0 });
    const cases: [string, Record<string, string>][] = [
      ['no header', {}],
      ['empty', { 'idempotency-key': '' }],
      ['blank', { 'idempotency-key': '   ' }],
      ['empty quoted', { 'idempotency-key': '""' }],
      ['256 characters', { 'idempotency-key': printableKey(256) }],
      ['1000 characters', { 'idempotency-key': 'k'.repeat(1000) }],
      ['256 characters, quoted', { 'idempotency-key': `"${printableKey(256)}"` }],
    ];
    for (const [what, headers] of cases) {
      const r = await call(server, 'POST', path, body, { headers });
      assert.equal(r.status, 400, what);
      assert.match(r.headers.get('content-type') ?? '', /^application\/json/, what);
      assert.equal(typeof r.json.error, 'string', what);
    }
    assert.equal(server.orders().length + server.refunds().length, 0);
  });

  test(`correct ${path}: a key of exactly 255 printable ASCII characters is accepted and replays, bare or quoted`, async (t) => {
    const server = await start(t, { latencyMs: 0 });
    const key = printableKey(255);
    const first = await call(server, 'POST', path, body, { key });
    assert.equal(first.status, 201, first.text);
    const again = await call(server, 'POST', path, body, { key });
    assert.equal(again.status, 201);
    assert.equal(again.headers.get('idempotent-replayed'), 'true');
    assert.equal(again.text, first.text);
    // 257 characters on the wire, the same 255-character key.
    const quoted = await call(server, 'POST', path, body, { key: `"${key}"` });
    assert.equal(quoted.headers.get('idempotent-replayed'), 'true');
    assert.equal(quoted.text, first.text);
    // One more character is one too many.
    assert.equal((await call(server, 'POST', path, body, { key: `${key}x` })).status, 400);
    assert.equal(server.orders().length + server.refunds().length, 1);
  });
}

test('no-idempotency still ignores the key header, however long or empty', async (t) => {
  const server = await start(t, { bug: 'no-idempotency', latencyMs: 0 });
  for (const key of [undefined, '', printableKey(256)]) {
    assert.equal((await call(server, 'POST', '/orders', ORDER, key === undefined ? {} : { key })).status, 201, String(key?.length));
  }
  assert.equal(server.orders().length, 3);
});
