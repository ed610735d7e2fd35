// Replay comparison and the small finding helpers, on hand-built responses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Exchange, HttpResponse } from '../../src/model/http.js';
import { compareResponses, parseJson } from '../../src/judge/compare.js';
import { checkStatus, checkStatuses, Findings, missingReplayHeader } from '../../src/judge/findings.js';
import { parseStatusSet } from '../../src/scenario/status.js';
import type { Expectations } from '../../src/scenario/types.js';
import { expectations as builtExpectations } from '../helpers/builders.js';

const BASE = 'http://api.test/v1';

function res(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponse {
  const buf = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  return { status, headers, body: buf };
}

const cmp = (a: HttpResponse, b: HttpResponse, ignore: string[] = []) => compareResponses(a, b, { ignore, baseUrl: BASE });

describe('compareResponses', () => {
  it('equal responses have no difference', () => {
    assert.deepEqual(cmp(res(201, { id: 'o-1', n: [1, 2] }), res(201, { id: 'o-1', n: [1, 2] })), []);
  });

  it('JSON compares regardless of key order and whitespace', () => {
    assert.deepEqual(cmp(res(201, '{"a":1,"b":{"c":2,"d":3}}'), res(201, '{ "b": { "d": 3, "c": 2 }, "a": 1 }')), []);
  });

  it('lists each difference with its path', () => {
    const a = res(201, { id: 'o-1', lines: [{ qty: 1 }], 'x-y': 1, gone: true });
    const b = res(200, { id: 'o-1', lines: [{ qty: 2 }], 'x-y': 2, added: null });
    assert.deepEqual(cmp(a, b), [
      'status: 201 → 200',
      '$.added: (absent) → null',
      '$.gone: true → (absent)',
      '$.lines[0].qty: 1 → 2',
      '$["x-y"]: 1 → 2',
    ]);
  });

  it('arrays of different lengths differ as a whole', () => {
    assert.deepEqual(cmp(res(200, { n: [1] }), res(200, { n: [1, 2] })), ['$.n: [1] → [1,2]']);
  });

  it('a JSON number and a JSON string are different values', () => {
    assert.deepEqual(cmp(res(200, { n: 1 }), res(200, { n: '1' })), ['$.n: 1 → "1"']);
  });

  describe('ignore', () => {
    it('drops $.requestId', () => {
      assert.deepEqual(cmp(res(201, { id: 1, requestId: 'r-1' }), res(201, { id: 1, requestId: 'r-2' }), ['$.requestId']), []);
    });

    it('drops a field only present on one side', () => {
      assert.deepEqual(cmp(res(201, { id: 1 }), res(201, { id: 1, requestId: 'r-2' }), ['$.requestId']), []);
    });

    it('keeps the other differences', () => {
      assert.deepEqual(cmp(res(201, { id: 1, requestId: 'r-1' }), res(201, { id: 2, requestId: 'r-2' }), ['$.requestId']), ['$.id: 1 → 2']);
    });

    it('a wildcard array path drops the field in every element', () => {
      const a = res(200, { items: [{ sku: 'a', at: 1 }, { sku: 'b', at: 2 }] });
      const b = res(200, { items: [{ sku: 'a', at: 3 }, { sku: 'b', at: 4 }] });
      assert.deepEqual(cmp(a, b, ['$.items[*].at']), []);
      assert.deepEqual(cmp(a, b), ['$.items[0].at: 1 → 3', '$.items[1].at: 2 → 4']);
    });

    it('an element path drops that element', () => {
      const a = res(200, { items: [{ at: 1 }, 'x'] });
      const b = res(200, { items: [{ at: 2 }, 'x'] });
      assert.deepEqual(cmp(a, b, ['$.items[0]']), []);
    });

    it('several array elements, indices below 10', () => {
      const xs = (v: number) => res(200, { xs: [0, 1, v, 3, v, 5] });
      assert.deepEqual(cmp(xs(1), xs(2), ['$.xs[2,4]']), []);
    });

    it('several array elements, one index 10 or above', () => {
      const xs = (v: number) => res(200, { xs: Array.from({ length: 12 }, (_, i) => (i === 2 || i === 10 ? v : i)) });
      assert.deepEqual(cmp(xs(1), xs(2), ['$.xs[2,10]']), []);
    });

    it('a filter matching elements at indices 2 and 10', () => {
      const events = (at: number) =>
        res(200, { events: Array.from({ length: 12 }, (_, i) => (i === 2 || i === 10 ? { type: 'heartbeat', at } : { type: 'line', n: i })) });
      assert.deepEqual(cmp(events(1), events(2), ["$.events[?(@.type==='heartbeat')]"]), []);
    });

    it('does not touch the bodies themselves', () => {
      const a = res(201, { id: 1, requestId: 'r-1' });
      const b = res(201, { id: 1, requestId: 'r-2' });
      cmp(a, b, ['$.requestId']);
      assert.equal(a.body.toString(), '{"id":1,"requestId":"r-1"}');
    });
  });

  describe('non-JSON bodies', () => {
    it('equal bytes are equal', () => {
      assert.deepEqual(cmp(res(200, Buffer.from([0, 1, 2, 255])), res(200, Buffer.from([0, 1, 2, 255]))), []);
      assert.deepEqual(cmp(res(204, ''), res(204, '')), []);
    });

    it('different bytes differ, previewed', () => {
      assert.deepEqual(cmp(res(200, 'ok'), res(200, 'ok ')), ['body: "ok" → "ok "']);
    });

    it('JSON against non-JSON compares bytes', () => {
      assert.deepEqual(cmp(res(200, '{"a":1}'), res(200, '{"a":1')), ['body: "{\\"a\\":1}" → "{\\"a\\":1"']);
    });

    it('long previews are cut at 80 characters', () => {
      const long = 'x'.repeat(100);
      assert.deepEqual(cmp(res(200, long), res(200, 'y')), [`body: "${'x'.repeat(77)}..." → "y"`]);
    });
  });

  describe('Location', () => {
    it('relative and absolute forms of one URL are equal', () => {
      assert.deepEqual(cmp(res(201, {}, { location: '/v1/orders/1' }), res(201, {}, { location: 'http://api.test/v1/orders/1' })), []);
    });

    it('different resolved URLs differ, shown resolved', () => {
      assert.deepEqual(cmp(res(201, {}, { location: '/v1/orders/1' }), res(201, {}, { location: '/v1/orders/2' })), [
        'header Location: http://api.test/v1/orders/1 → http://api.test/v1/orders/2',
      ]);
    });

    it('a Location on one side only differs', () => {
      assert.deepEqual(cmp(res(201, {}, { location: '/v1/orders/1' }), res(201, {})), [
        'header Location: http://api.test/v1/orders/1 → (absent)',
      ]);
      assert.deepEqual(cmp(res(201, {}), res(201, {}, { location: '/v1/orders/1' })), [
        'header Location: (absent) → http://api.test/v1/orders/1',
      ]);
    });
  });

  describe('ETag', () => {
    it('compared when the original had one', () => {
      assert.deepEqual(cmp(res(200, {}, { etag: '"a"' }), res(200, {}, { etag: '"a"' })), []);
      assert.deepEqual(cmp(res(200, {}, { etag: '"a"' }), res(200, {}, { etag: '"b"' })), ['header ETag: "a" → "b"']);
      assert.deepEqual(cmp(res(200, {}, { etag: '"a"' }), res(200, {})), ['header ETag: "a" → (absent)']);
    });

    it('ignored when the original had none', () => {
      assert.deepEqual(cmp(res(200, {}), res(200, {}, { etag: '"b"' })), []);
    });
  });

  it('other headers are not compared', () => {
    assert.deepEqual(cmp(res(200, {}, { date: 'Mon' }), res(200, {}, { date: 'Tue', 'x-request-id': '2' })), []);
  });
});

describe('parseJson', () => {
  it('parses JSON, refuses empty and invalid bodies', () => {
    assert.deepEqual(parseJson(Buffer.from('{"a":[1]}')), { ok: true, value: { a: [1] } });
    assert.deepEqual(parseJson(Buffer.from('null')), { ok: true, value: null });
    assert.deepEqual(parseJson(Buffer.alloc(0)), { ok: false });
    assert.deepEqual(parseJson(Buffer.from('<html>')), { ok: false });
  });
});

// --- findings helpers ---------------------------------------------------------

function ex(label: string, status: number, headers: Record<string, string> = {}): Exchange {
  return { label, request: { method: 'POST', url: `${BASE}/orders`, headers: {} }, response: res(status, {}, headers), startedAt: 0 };
}

function expectations(replayHeader?: { name: string; value: string }): Expectations {
  return builtExpectations({ mismatch: parseStatusSet(['4xx']), ...(replayHeader ? { replayHeader } : {}) });
}

describe('missingReplayHeader', () => {
  const marker = { name: 'Idempotent-Replayed', value: 'true' };

  it('undefined when not declared or present', () => {
    assert.equal(missingReplayHeader(expectations(), ex('r', 200)), undefined);
    assert.equal(missingReplayHeader(expectations(marker), ex('r', 200, { 'idempotent-replayed': 'true' })), undefined);
    assert.equal(missingReplayHeader(expectations(marker), ex('r', 200, { 'idempotent-replayed': 'TRUE' })), undefined);
  });

  it('names the missing or wrong header', () => {
    assert.equal(missingReplayHeader(expectations(marker), ex('r', 200)), 'the replay lacks the header Idempotent-Replayed: true');
    assert.equal(
      missingReplayHeader(expectations(marker), ex('r', 200, { 'idempotent-replayed': 'no' })),
      'the replay carries Idempotent-Replayed: no, expected true',
    );
  });
});

describe('checkStatus / checkStatuses', () => {
  it('a 5xx is a server-error only, even when listed as allowed', () => {
    const f = new Findings();
    assert.equal(checkStatus(f, ex('retry', 500), [parseStatusSet(['5xx'])], 'anything'), false);
    assert.deepEqual(f.list().map((x) => [x.kind, x.message]), [['server-error', 'retry was answered 500']]);
  });

  it('a status outside the sets is unexpected', () => {
    const f = new Findings();
    assert.equal(checkStatus(f, ex('retry', 302), [parseStatusSet([200])], 'a replay (200)'), false);
    assert.equal(checkStatus(f, ex('retry', 200), [parseStatusSet([200])], 'a replay (200)'), true);
    assert.deepEqual(f.list().map((x) => [x.kind, x.message]), [['unexpected-status', 'retry was answered 302, expected a replay (200)']]);
  });

  it('groups a burst by status', () => {
    const f = new Findings();
    const burst = [ex('d1', 201), ex('d2', 503), ex('d3', 503), ex('d4', 418)];
    checkStatuses(f, burst, [parseStatusSet([201]), parseStatusSet([409])], 'a success or in-flight status (409)', 'duplicates');
    assert.deepEqual(f.list().map((x) => [x.kind, x.message, x.evidence.exchanges.map((e) => e.label)]), [
      ['server-error', '2 of 4 duplicates were answered 503', ['d2', 'd3']],
      ['unexpected-status', '1 of 4 duplicates were answered 418, expected a success or in-flight status (409)', ['d4']],
    ]);
  });
});

describe('Findings', () => {
  it('merges repeats of a rule into one finding', () => {
    const f = new Findings();
    const a = ex('a', 200);
    const b = ex('b', 200);
    f.add('lost-effect', 'first', { exchanges: [a], diff: ['x'] });
    f.add('lost-effect', 'second', { exchanges: [a, b], diff: ['y'], oracle: { before: 0, after: 0 } });
    f.add('wrong-replay', 'third', { exchanges: [b] });
    const list = f.list();
    assert.deepEqual(list.map((x) => [x.kind, x.message]), [['lost-effect', 'first; second'], ['wrong-replay', 'third']]);
    assert.deepEqual(list[0]!.evidence.exchanges, [a, b]);
    assert.deepEqual(list[0]!.evidence.diff, ['x', 'y']);
    assert.deepEqual(list[0]!.evidence.oracle, { before: 0, after: 0 });
  });
});
