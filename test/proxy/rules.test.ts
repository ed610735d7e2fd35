// The client's half, judged from attempt records alone: operations found by
// the ledger as the proxy finds them, then every rule, with exact kinds.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ProxyAttempt, ProxyFault, ProxyOperation } from '../../src/model/proxy.js';
import { bodyHash } from '../../src/proxy/body.js';
import { Ledger } from '../../src/proxy/ledger.js';
import { judgeOperations, NOTES } from '../../src/proxy/rules.js';
import { volatileMatcher, VOLATILE_HEADERS } from '../../src/proxy/headers.js';
import { counterGroups, isStrongKey, timestampLike, weakKeyReasons } from '../../src/proxy/keys.js';
import { matches, parseMatch, type MatchRule } from '../../src/proxy/match.js';

interface Step {
  /** ms after the session start when the request arrives */
  t: number;
  key?: string;
  body?: string;
  method?: string;
  path?: string;
  /** what the client got when no fault decides it (default 201) */
  status?: number;
  /** how long the proxy took with it (default 10 ms) */
  took?: number;
  headers?: Record<string, string>;
}

const UUID = (n: number) => `3f1c9a52-7d4e-4b8a-9c1f-${String(n).padStart(12, '0')}`;

/** Runs the steps through a ledger the way the proxy does, one after another, then judges. */
function judge(steps: Step[], faults: ProxyFault[] = ['drop-response'], maxAttempts = 6): ProxyOperation[] {
  const ledger = new Ledger();
  let newOps = 0;
  steps.forEach((s, i) => {
    const body = Buffer.from(s.body ?? '{"sku":"a"}');
    const method = s.method ?? 'POST';
    const path = s.path ?? '/orders';
    const at = 1_000_000 + s.t;
    const attempt: ProxyAttempt = {
      seq: i + 1,
      at,
      endedAt: at,
      method,
      path,
      ...(s.key !== undefined ? { key: s.key } : {}),
      bodyHash: bodyHash(body),
      client: { kind: 'interrupted' },
      exchange: { label: '', request: { method, url: `http://up${path}`, headers: { 'Idempotency-Key': s.key ?? '', ...s.headers }, body }, startedAt: at },
    };
    const { isNew } = ledger.place(attempt);
    if (isNew) {
      const fault = faults[newOps++ % faults.length]!;
      if (fault !== 'none') attempt.fault = fault;
    }
    switch (attempt.fault) {
      case 'drop-response':
      case 'reset-before':
      case 'timeout':
        attempt.client = { kind: 'reset' };
        break;
      case 'in-flight':
        attempt.client = { kind: 'answer', status: 409 };
        attempt.retryAfterMs = 1000;
        break;
      case 'server-error':
        attempt.client = { kind: 'answer', status: 503 };
        attempt.retryAfterMs = 1000;
        break;
      case 'mismatch':
        attempt.client = { kind: 'answer', status: 422 };
        break;
      default:
        attempt.client = { kind: 'answer', status: s.status ?? 201 };
    }
    attempt.endedAt = at + (s.took ?? 10);
    ledger.close(attempt);
  });
  return judgeOperations(ledger.operations, { maxAttempts, keyHeader: 'Idempotency-Key', isVolatile: volatileMatcher(VOLATILE_HEADERS) });
}

/** Per operation: its attempt count and finding kinds (sorted), or its verdict and note. */
function outline(ops: ProxyOperation[]): (string | number)[][] {
  return ops.map((op) => [op.attempts.length, ...(op.verdict === 'fail' ? op.findings.map((f) => f.kind).sort() : [op.verdict, op.note ?? ''])]);
}

describe('operations and retries', () => {
  it('a well-behaved client: one key, the same request after a backoff, passes with a note', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1) }]);
    assert.deepEqual(outline(ops), [[2, 'pass', 'retried safely: 2 attempts, one key, the same request, last answered 201']]);
  });

  it('a new key per attempt is key-changed, found by method, path and body', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(2), status: 503 }, { t: 700, key: UUID(3) }]);
    assert.deepEqual(outline(ops), [[3, 'key-changed']]);
    assert.match(ops[0]!.findings[0]!.message, /attempt 2 retried the operation after a lost response \(drop-response\) with '.*0002' where attempt 1 had '.*0001'/);
    assert.match(ops[0]!.findings[0]!.message, /\nattempt 3 retried the operation after a 503 with '.*0003'/, 'the second retry is named too');
  });

  it('a keyless retry after a lost response or a 5xx is unsafe-retry; after a 409 it is not', () => {
    assert.deepEqual(outline(judge([{ t: 0 }, { t: 300 }])), [[2, 'unsafe-retry']]);
    assert.deepEqual(outline(judge([{ t: 0 }, { t: 1200 }], ['server-error'])), [[2, 'unsafe-retry']]);
    assert.deepEqual(outline(judge([{ t: 0 }, { t: 1200 }], ['in-flight'])), [[2, 'pass', 'retried safely: 2 attempts, keys as required, the same request, last answered 201']]);
  });

  it('dropping the key on a retry is unsafe-retry, naming the key it had', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300 }]);
    assert.deepEqual(outline(ops), [[2, 'unsafe-retry']]);
    assert.match(ops[0]!.findings[0]!.message, /\(attempt 1 had '3f1c9a52-.*0001'\)/);
  });

  it('two keyless requests with the same body and no fault between them are two operations, never a finding', () => {
    const ops = judge([{ t: 0 }, { t: 300 }], ['none']);
    assert.deepEqual(outline(ops), [
      [1, 'pass', NOTES.noFault],
      [1, 'pass', NOTES.noFault],
    ]);
  });

  it('an operation never retried after a lost response passes with the note that the caller cannot know', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(2), body: '{"sku":"b"}' }]);
    assert.deepEqual(outline(ops), [
      [1, 'pass', NOTES.neverRetried],
      [1, 'pass', NOTES.neverRetried],
    ]);
  });

  it('a keyless request with another body is another operation, not a retry', () => {
    assert.deepEqual(outline(judge([{ t: 0 }, { t: 300, body: '{"sku":"b"}' }])), [
      [1, 'pass', NOTES.neverRetried],
      [1, 'pass', NOTES.neverRetried],
    ]);
  });

  it('JSON bodies are the same request whatever their key order and spacing', () => {
    const ops = judge([{ t: 0, body: '{"sku":"a","qty":2}' }, { t: 300, body: '{ "qty": 2, "sku": "a" }' }]);
    assert.deepEqual(outline(ops), [[2, 'unsafe-retry']]);
  });
});

describe('the retry itself', () => {
  it('retry-changed: the key kept, the body changed (headers not compared)', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1), body: '{"sku":"a","note":"retry"}', headers: { 'X-Other': 'changed' } }]);
    assert.deepEqual(outline(ops), [[2, 'retry-changed']]);
    assert.match(ops[0]!.findings[0]!.message, /kept the key '.*0001' but changed the body \(sha256 /);
    assert.deepEqual(ops[0]!.attempts[1]!.headersChanged, ['x-other'], 'shown, not judged');
  });

  it('retry-changed names a changed path and method', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1), method: 'PUT', path: '/orders/1' }]);
    assert.deepEqual(outline(ops), [[2, 'retry-changed']]);
    assert.match(ops[0]!.findings[0]!.message, /the method \(POST → PUT\), the path \(\/orders → \/orders\/1\)/);
  });

  it('volatile headers (retry counters, request ids, dates, signatures) are not listed as changed', () => {
    const ops = judge([
      { t: 0, key: UUID(1), headers: { 'X-Stainless-Retry-Count': '0', 'amz-sdk-request': 'attempt=1', Date: 'a', 'X-Signature': 's1', 'X-Mine': 'same' } },
      { t: 300, key: UUID(1), headers: { 'X-Stainless-Retry-Count': '1', 'amz-sdk-request': 'attempt=2', Date: 'b', 'X-Signature': 's2', 'X-Mine': 'same' } },
    ]);
    assert.equal(ops[0]!.attempts[1]!.headersChanged, undefined);
    assert.equal(volatileMatcher(['x-custom-*'])('X-Custom-Attempt'), true, '--volatile-header takes globs');
    assert.equal(volatileMatcher(['x-custom-*'])('X-Other'), false);
  });

  it('ignored-retry-after: a retry sooner than Retry-After after 409 or 503; waiting it out passes', () => {
    assert.deepEqual(outline(judge([{ t: 0, key: UUID(1) }, { t: 510, key: UUID(1) }], ['in-flight'])), [[2, 'ignored-retry-after']]);
    assert.deepEqual(outline(judge([{ t: 0, key: UUID(1) }, { t: 510, key: UUID(1) }], ['server-error'])), [[2, 'ignored-retry-after']]);
    assert.deepEqual(outline(judge([{ t: 0, key: UUID(1) }, { t: 1010, key: UUID(1) }], ['in-flight']))[0]!.slice(0, 2), [2, 'pass']);
  });

  it('retried-mismatch: after 422 the same request under the same key; a corrected request under a new key is a new operation', () => {
    assert.deepEqual(outline(judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1) }], ['mismatch'])), [[2, 'retried-mismatch']]);
    const corrected = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(2), body: '{"sku":"fixed"}' }], ['mismatch', 'none']);
    assert.deepEqual(outline(corrected), [
      [1, 'pass', 'not retried as it was after 422 (correct)'],
      [1, 'pass', NOTES.noFault],
    ]);
  });

  it('retry-storm: more than --max-attempts, or no backoff (the first retry included)', () => {
    const many = Array.from({ length: 7 }, (_, i) => ({ t: i * 1000 }));
    // Keyless after lost responses: unsafe-retry too; and 7 attempts only because every answer was 503.
    const storm = judge(many.map((s) => ({ ...s, key: UUID(1), status: 503 })), ['server-error'], 6);
    assert.deepEqual(outline(storm), [[7, 'retry-storm']]);
    assert.match(storm[0]!.findings[0]!.message, /7 attempts for one operation, more than --max-attempts 6/);
    const quick = judge([{ t: 0, key: UUID(1) }, { t: 15, key: UUID(1) }]);
    assert.deepEqual(outline(quick), [[2, 'retry-storm']]);
    assert.match(quick[0]!.findings[0]!.message, /attempt 2 came 5 ms after attempt 1 ended \(under 50 ms: no backoff\)/);
  });
});

describe('keys across operations', () => {
  it('key-reused: one key for two different operations, listed on each', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1), path: '/refunds' }], ['none']);
    assert.deepEqual(outline(ops), [[1, 'key-reused'], [1, 'key-reused']]);
    assert.match(ops[1]!.findings[0]!.message, /used for 2 operations \(#1 POST \/orders, #2 POST \/refunds; another method or path\)/);
  });

  it('the same key and request again after a success is a replay of that operation, not a reuse', () => {
    const ops = judge([{ t: 0, key: UUID(1) }, { t: 300, key: UUID(1) }], ['none']);
    assert.deepEqual(outline(ops), [[2, 'pass', 'met no fault; 2 attempts']]);
  });

  it('weak-key: counters, timestamps, short keys and repeats, shown with the keys, on each operation', () => {
    const ops = judge(
      [
        { t: 0, key: 'order-000000000001', body: '1' },
        { t: 100, key: 'order-000000000002', body: '2' },
        { t: 200, key: `req-${1764324000123}-x`, body: '3' },
        { t: 300, key: 'abc', body: '4' },
      ],
      ['none'],
    );
    assert.deepEqual(outline(ops), [[1, 'weak-key'], [1, 'weak-key'], [1, 'weak-key'], [1, 'weak-key']]);
    assert.match(ops[0]!.findings[0]!.message, /sequential, a counter \('order-000000000001', 'order-000000000002'\)/);
    assert.match(ops[2]!.findings[0]!.message, /timestamp-like \(holds 1764324000123, a Unix time in milliseconds\)/);
    assert.match(ops[3]!.findings[0]!.message, /'abc' .*short \(3 characters, under 16\)/);
  });

  it('a key holding a UUIDv4 or 22 random-looking characters passes whatever its prefix', () => {
    const ops = judge(
      [
        { t: 0, key: `order-1-${'3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10'}`, body: '1' },
        { t: 100, key: `order-2-${'9b2e4c61-1a3f-4d5e-8b7c-6f5e4d3c2b1a'}`, body: '2' },
        { t: 200, key: `1764324000-${'a8f3c2e91b7d4f6a0c5e'}e3`, body: '3' },
        { t: 300, key: 'stripe-node-retry-V1StGXR8Z5jdHi6BmyT4qA', body: '4' },
      ],
      ['none'],
    );
    assert.deepEqual(outline(ops).map((o) => o[1]), ['pass', 'pass', 'pass', 'pass']);
  });

  it('key strength, timestamps and counters on their own', () => {
    assert.equal(isStrongKey('"3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10"'), true, 'a Structured Field string');
    assert.equal(isStrongKey('3f1c9a52-7d4e-1b8a-9c1f-0e2d4b6a8c10'), false, 'a UUIDv1 is time-based');
    assert.equal(isStrongKey('0000000000000000000001'), false, 'a zero-padded counter is not random');
    assert.equal(isStrongKey('CustomerCreateRequest2026x'), false, 'an identifier is not random');
    assert.equal(timestampLike('order-2026-11-28T10:00'), 'holds a date and time');
    assert.equal(timestampLike('k-1764324000'), 'holds 1764324000, a Unix time in seconds');
    assert.equal(timestampLike('k-1234567890123456789012'), undefined);
    assert.deepEqual(counterGroups(['a-1', 'b-7', 'a-2', 'a-4']), [['a-1', 'a-2', 'a-4']]);
    assert.deepEqual(counterGroups(['a-1', 'a-500']), [], 'far apart is not a counter');
    assert.deepEqual([...weakKeyReasons([{ key: UUID(9), operations: 3 }])], [], 'a strong key repeated is key-reused, not weak');
  });
});

describe('--match', () => {
  const rule = (t: string) => parseMatch(t) as MatchRule;
  it('a method (or several, or *) and a path glob where * crosses slashes; the query is not matched', () => {
    assert.equal(matches([rule('POST /v1/*')], 'POST', '/v1/customers/cus_1/sources?x=1'), true);
    assert.equal(matches([rule('POST /v1/*')], 'GET', '/v1/customers'), false);
    assert.equal(matches([rule('POST /v1/*')], 'POST', '/v2/customers'), false);
    assert.equal(matches([rule('POST,PUT /orders')], 'put', '/orders'), true);
    assert.equal(matches([rule('* /orders')], 'DELETE', '/orders'), true);
    assert.equal(matches([rule('/orders')], 'PATCH', '/orders'), true, 'a bare path means POST and PATCH');
    assert.equal(matches([rule('/orders')], 'GET', '/orders'), false);
    assert.equal(matches([rule('POST /a.b')], 'POST', '/aXb'), false, 'a dot is a dot');
  });
  it('refuses what it cannot read', () => {
    assert.match(parseMatch('POST') as string, /expected "METHOD PATH-GLOB"/);
    assert.match(parseMatch('P0ST /x') as string, /is not a method/);
    assert.match(parseMatch('POST x') as string, /must start with \//);
  });
});
