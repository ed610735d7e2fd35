// Hand-written clients through the proxy, on loopback, each with fetch (undici):
// one that does everything right, and the three classic mistakes.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { sleep, startStub, throughProxy, verdictsOf, type Stub } from './helpers.js';

/** What the client learnt from one attempt. */
type Outcome = { status: number; retryAfterMs?: number } | { error: string };

async function post(url: string, body: unknown, key: string | undefined, timeoutMs = 5000): Promise<Outcome> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: 'Bearer test-token-123', ...(key ? { 'Idempotency-Key': key } : {}) },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    const ra = res.headers.get('retry-after');
    return ra ? { status: res.status, retryAfterMs: Number(ra) * 1000 } : { status: res.status };
  } catch (err) {
    return { error: String((err as Error).cause ?? err) };
  }
}

const retryable = (o: Outcome) => 'error' in o || o.status === 409 || o.status === 429 || o.status >= 500;

/**
 * The client the pattern asks for: one fresh UUID per operation, the same key
 * and request on every retry, Retry-After obeyed, an exponential backoff
 * otherwise, at most 4 attempts; after 422 a corrected request under a new key.
 */
async function wellBehaved(base: string, body: Record<string, unknown>): Promise<Outcome> {
  let key = randomUUID();
  let request = body;
  let last: Outcome = { error: 'not sent' };
  for (let attempt = 0; attempt < 4; attempt++) {
    last = await post(`${base}/orders`, request, key, 2000);
    if ('status' in last && last.status === 422) {
      request = { ...request, corrected: true };
      key = randomUUID();
      continue;
    }
    if (!retryable(last)) return last;
    await sleep('retryAfterMs' in last && last.retryAfterMs ? last.retryAfterMs + 20 : 100 * 2 ** attempt);
  }
  return last;
}

describe('hand-written clients through the proxy', () => {
  let stub: Stub;
  before(async () => {
    stub = await startStub();
  });
  after(async () => {
    await stub.close();
  });

  it('a well-behaved client passes every fault; the upstream saw exactly the attempts the faults forwarded', async () => {
    const before = stub.created.length;
    const { operations, result } = await throughProxy(
      stub.url,
      ['drop-response', 'reset-before', 'timeout', 'in-flight', 'server-error', 'mismatch'],
      async (url) => {
        for (let i = 1; i <= 6; i++) assert.ok('status' in (await wellBehaved(url, { sku: `sku-${i}` })), `operation ${i} ended`);
      },
      { holdMs: 300 },
    );
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'pass'],
      ['reset-before→reset -→200', 'pass'],
      ['timeout→reset -→200', 'pass'],
      ['in-flight→409 -→200', 'pass'],
      ['server-error→503 -→200', 'pass'],
      ['mismatch→422', 'pass'],
      // The corrected request is a new operation, and it meets the next fault in turn.
      ['drop-response→reset -→200', 'pass'],
    ]);
    assert.equal(result.ok, true);
    // Every retry, and the faulted attempts of drop-response (twice) and timeout: 6 + 3 requests reached the stub.
    assert.equal(stub.created.length - before, 9);
    assert.equal(operations.flatMap((o) => o.attempts).filter((a) => a.upstream && 'status' in a.upstream).length, 9);
    assert.equal(operations[5]!.note, 'not retried as it was after 422 (correct)');
  });

  it('a client that makes a new key inside its retry loop: key-changed', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response', 'server-error'], async (url) => {
      for (const sku of ['a', 'b']) {
        for (let attempt = 0; attempt < 3; attempt++) {
          const o = await post(`${url}/orders`, { sku }, randomUUID());
          if (!retryable(o)) break;
          await sleep(1100);
        }
      }
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'key-changed'],
      ['server-error→503 -→200', 'key-changed'],
    ]);
    assert.match(operations[0]!.findings[0]!.message, /: the server sees a new operation and runs it twice$/);
  });

  it('a client that retries a POST after a connection error with no key at all: unsafe-retry, and two keyless creates without a fault are two operations', async () => {
    const { operations } = await throughProxy(stub.url, ['drop-response', 'none'], async (url) => {
      for (let attempt = 0; attempt < 3; attempt++) {
        if (!retryable(await post(`${url}/orders`, { sku: 'a' }, undefined))) break;
        await sleep(200);
      }
      await post(`${url}/orders`, { sku: 'same' }, undefined);
      await post(`${url}/orders`, { sku: 'same' }, undefined);
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'unsafe-retry'],
      ['-→200', 'pass'],
      ['drop-response→reset', 'pass'],
    ]);
    assert.equal(operations[2]!.note, 'never retried after a lost response: the caller cannot know whether it happened');
  });

  it('a client with counter keys (kept on retry): weak-key on every operation, showing the keys', async () => {
    let counter = 41;
    const { operations } = await throughProxy(stub.url, ['drop-response'], async (url) => {
      for (const sku of ['a', 'b', 'c']) {
        const key = `order-${++counter}`;
        for (let attempt = 0; attempt < 3; attempt++) {
          if (!retryable(await post(`${url}/orders`, { sku }, key))) break;
          await sleep(200);
        }
      }
    });
    assert.deepEqual(verdictsOf(operations), [
      ['drop-response→reset -→200', 'weak-key'],
      ['drop-response→reset -→200', 'weak-key'],
      ['drop-response→reset -→200', 'weak-key'],
    ]);
    assert.match(operations[1]!.findings[0]!.message, /'order-43' is guessable or not unique: sequential, a counter \('order-42', 'order-43', 'order-44'\); short \(8 characters, under 16\)/);
  });
});
