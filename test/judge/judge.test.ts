// The judging rules, attack by attack, on hand-built observations: no network.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { judgeObservation, type Observation } from '../../src/attacks/index.js';
import type { ConcurrentObservation } from '../../src/attacks/concurrent/index.js';
import type { DropCutObservation, DropObservation } from '../../src/attacks/drop/index.js';
import type { ExpiryKeyObservation, ExpiryObservation } from '../../src/attacks/expiry/index.js';
import type { ReplayObservation } from '../../src/attacks/replay/index.js';
import type { ReuseObservation } from '../../src/attacks/reuse/index.js';
import type { Run } from '../../src/attacks/contract.js';
import type { CutPoint } from '../../src/engine/h1/index.js';
import type { Exchange } from '../../src/model/http.js';
import type { Finding, FindingKind } from '../../src/model/results.js';
import type { AfterExpiry, EffectsSpec, Expectations, Scenario } from '../../src/scenario/types.js';
import { expectations, orderScenario } from '../helpers/builders.js';

// --- builders ---------------------------------------------------------------

const TARGET = 'http://api.test/v1';
const MARKER = { name: 'Idempotent-Replayed', value: 'true' };

interface ScenarioOptions {
  expect?: Partial<Expectations>;
  /** `null`: no `effects:` block at all. */
  effects?: Partial<EffectsSpec> | null;
  /** Shorthand for a response-only scenario that still names `effects.id`. */
  noOracle?: boolean;
}

function scenario(o: ScenarioOptions = {}): Scenario {
  const s = orderScenario({
    target: TARGET,
    idempotency: { header: 'Idempotency-Key', ttlMs: 1000 },
    expect: expectations(o.expect),
  });
  if (o.effects !== null) {
    s.effects = {
      count: o.noOracle ? undefined : { kind: 'command', command: 'echo 1' },
      id: '$.id',
      settleMs: 0,
      timeoutMs: 10_000,
      ...o.effects,
    };
  }
  return s;
}

let clock = 1_000;

/** An exchange with a response: JSON for objects, bytes for strings and Buffers. */
function ex(label: string, status: number, body: unknown = {}, headers: Record<string, string> = {}): Exchange {
  const buf = Buffer.isBuffer(body) ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  const startedAt = (clock += 10);
  return {
    label,
    request: { method: 'POST', url: `${TARGET}/orders`, headers: { 'Idempotency-Key': 'k-1' } },
    response: { status, headers, body: buf },
    startedAt,
    sentAt: startedAt + 1,
    firstByteAt: startedAt + 2,
    endedAt: startedAt + 3,
  };
}

/** A run; with `oracle`, the before/after readings. */
function run(oracle?: { before: number; after: number; ids?: string[] }): Run {
  const r: Run = {
    ctx: { scope: { env: {}, vars: {}, secrets: {} }, run: { runId: 'ic-0001', key: 'k-1' } },
    request: { method: 'POST', url: `${TARGET}/orders`, headers: { 'Idempotency-Key': 'k-1' } },
    sent: 0,
  };
  if (oracle) {
    r.before = { count: oracle.before, at: 1 };
    r.after = { count: oracle.after, at: 2, ...(oracle.ids ? { ids: oracle.ids } : {}) };
  }
  return r;
}

/** Metrics as the JSON report holds them: each attack's own fields, read by name. */
type Judgement = { findings: Finding[]; metrics: Record<string, unknown> };
const judge = (scenario: Scenario, baseUrl: string, obs: Observation): Judgement =>
  judgeObservation(obs, { scenario, baseUrl }) as unknown as Judgement;

const kinds = (j: Judgement): FindingKind[] => j.findings.map((f) => f.kind);

function finding(j: Judgement, kind: FindingKind): Finding {
  const f = j.findings.find((x) => x.kind === kind);
  assert.ok(f, `expected a ${kind} finding, got ${JSON.stringify(kinds(j))}`);
  return f;
}

const message = (j: Judgement, kind: FindingKind): string => finding(j, kind).message;

const ORDER = { id: 'o-1', amount: 10, status: 'created' };

// --- replay -----------------------------------------------------------------

function replayObs(retry: Exchange, oracle?: { before: number; after: number; ids?: string[] }, original = ex('original', 201, ORDER)): ReplayObservation {
  return { attack: 'replay', run: run(oracle), original, retry };
}

describe('replay', () => {
  it('passes with one effect and an equal replay', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 3, after: 4 }));
    assert.deepEqual(j, { findings: [], metrics: { effects: 1 } });
  });

  it('compares JSON bodies regardless of key order and formatting', () => {
    const retry = ex('retry (same key)', 201, '{ "status": "created", "amount": 10, "id": "o-1" }');
    assert.deepEqual(kinds(judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }))), []);
  });

  it('two effects for one key: duplicate-effect with the oracle counts', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
    assert.equal(message(j, 'duplicate-effect'), 'one key made 2 side effects (expected 1)');
    assert.deepEqual(finding(j, 'duplicate-effect').evidence.oracle, { before: 0, after: 2 });
    assert.deepEqual(j.metrics, { effects: 2 });
  });

  it('a success with no effect: lost-effect', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 5, after: 5 }));
    assert.deepEqual(kinds(j), ['lost-effect']);
    assert.equal(message(j, 'lost-effect'), 'the API answered with a success but no side effect exists');
  });

  it('a success naming an id the oracle does not list: lost-effect', () => {
    const s = scenario({ effects: { ids: '$.items[*].id' } });
    const j = judge(s, TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 0, after: 1, ids: ['o-9'] }));
    assert.deepEqual(kinds(j), ['lost-effect']);
    assert.equal(message(j, 'lost-effect'), 'original names o-1, which the oracle does not list (o-9)');
    assert.deepEqual(finding(j, 'lost-effect').evidence.oracle, { before: 0, after: 1, ids: ['o-9'] });
  });

  it('a success whose id the oracle lists passes', () => {
    const s = scenario({ effects: { ids: '$.items[*].id' } });
    const j = judge(s, TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 0, after: 1, ids: ['o-0', 'o-1'] }));
    assert.deepEqual(kinds(j), []);
  });

  it('a replay with another body: wrong-replay with the diff', () => {
    const retry = ex('retry (same key)', 201, { ...ORDER, amount: 11 });
    const j = judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['wrong-replay']);
    assert.equal(message(j, 'wrong-replay'), 'retry (same key) differs from the original');
    assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['$.amount: 10 → 11']);
  });

  it('a replay with another status: wrong-replay', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 200, ORDER), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['wrong-replay']);
    assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['status: 201 → 200']);
  });

  it('a 5xx replay gives server-error only (no unexpected-status, no wrong-replay)', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 503, 'upstream down'), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), 'retry (same key) was answered 503');
  });

  it('a 5xx replay that also duplicated the effect raises both rules', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 500, 'boom'), { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['duplicate-effect', 'server-error']);
  });

  it('a non-success, non-5xx replay: unexpected-status', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 409, { error: 'in flight' }), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['unexpected-status']);
    assert.equal(message(j, 'unexpected-status'), 'retry (same key) was answered 409, expected a replay (200, 201)');
  });

  it('several violated rules give several findings', () => {
    const j = judge(scenario(), TARGET, replayObs(ex('retry (same key)', 201, { ...ORDER, id: 'o-2' }), { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['duplicate-effect', 'wrong-replay']);
  });

  describe('replayHeader', () => {
    const s = scenario({ expect: { replayHeader: MARKER } });

    it('present (lower-cased response header name, declared mixed-case) passes', () => {
      const retry = ex('retry (same key)', 201, ORDER, { 'idempotent-replayed': 'true' });
      assert.deepEqual(kinds(judge(s, TARGET, replayObs(retry, { before: 0, after: 1 }))), []);
    });

    it('the value compares case-insensitively and trimmed', () => {
      const retry = ex('retry (same key)', 201, ORDER, { 'idempotent-replayed': ' True ' });
      assert.deepEqual(kinds(judge(s, TARGET, replayObs(retry, { before: 0, after: 1 }))), []);
    });

    it('a lower-case declared name finds the header too', () => {
      const lower = scenario({ expect: { replayHeader: { name: 'idempotent-replayed', value: 'TRUE' } } });
      const retry = ex('retry (same key)', 201, ORDER, { 'idempotent-replayed': 'true' });
      assert.deepEqual(kinds(judge(lower, TARGET, replayObs(retry, { before: 0, after: 1 }))), []);
    });

    it('absent: wrong-replay', () => {
      const j = judge(s, TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 0, after: 1 }));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.equal(message(j, 'wrong-replay'), 'retry (same key) differs from the original');
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['the replay lacks the header Idempotent-Replayed: true']);
    });

    it('wrong value: wrong-replay naming the value', () => {
      const retry = ex('retry (same key)', 201, ORDER, { 'idempotent-replayed': 'false' });
      const j = judge(s, TARGET, replayObs(retry, { before: 0, after: 1 }));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['the replay carries Idempotent-Replayed: false, expected true']);
    });

    it('a body difference and a missing marker make one wrong-replay with both lines', () => {
      const j = judge(s, TARGET, replayObs(ex('retry (same key)', 201, { ...ORDER, amount: 12 }), { before: 0, after: 1 }));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, [
        '$.amount: 10 → 12',
        'the replay lacks the header Idempotent-Replayed: true',
      ]);
    });

    it('not declared: a marker is not required', () => {
      assert.deepEqual(kinds(judge(scenario(), TARGET, replayObs(ex('retry (same key)', 201, ORDER), { before: 0, after: 1 }))), []);
    });
  });

  describe('expect.ignore', () => {
    it('a $.requestId difference is ignored', () => {
      const s = scenario({ expect: { ignore: ['$.requestId'] } });
      const original = ex('original', 201, { ...ORDER, requestId: 'r-1' });
      const retry = ex('retry (same key)', 201, { ...ORDER, requestId: 'r-2' });
      assert.deepEqual(kinds(judge(s, TARGET, replayObs(retry, { before: 0, after: 1 }, original))), []);
    });

    it('without the ignore, the same difference is a wrong-replay', () => {
      const original = ex('original', 201, { ...ORDER, requestId: 'r-1' });
      const retry = ex('retry (same key)', 201, { ...ORDER, requestId: 'r-2' });
      const j = judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }, original));
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['$.requestId: "r-1" → "r-2"']);
    });

    it('array element paths ignore a field inside every element, and only that field', () => {
      const s = scenario({ expect: { ignore: ['$.lines[*].traceId'] } });
      const original = ex('original', 201, { id: 'o-1', lines: [{ sku: 'a', traceId: 't1' }, { sku: 'b', traceId: 't2' }] });
      const same = ex('retry (same key)', 201, { id: 'o-1', lines: [{ sku: 'a', traceId: 't3' }, { sku: 'b', traceId: 't4' }] });
      assert.deepEqual(kinds(judge(s, TARGET, replayObs(same, { before: 0, after: 1 }, original))), []);
      const other = ex('retry (same key)', 201, { id: 'o-1', lines: [{ sku: 'a', traceId: 't3' }, { sku: 'c', traceId: 't4' }] });
      const j = judge(s, TARGET, replayObs(other, { before: 0, after: 1 }, original));
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['$.lines[1].sku: "b" → "c"']);
    });
  });

  describe('Location and ETag', () => {
    it('a relative and an absolute Location equal after resolution against the target', () => {
      const original = ex('original', 201, ORDER, { location: '/v1/orders/o-1' });
      const retry = ex('retry (same key)', 201, ORDER, { location: 'http://api.test/v1/orders/o-1' });
      assert.deepEqual(kinds(judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }, original))), []);
    });

    it('a different Location is a wrong-replay', () => {
      const original = ex('original', 201, ORDER, { location: '/v1/orders/o-1' });
      const retry = ex('retry (same key)', 201, ORDER, { location: '/v1/orders/o-2' });
      const j = judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }, original));
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, [
        'header Location: http://api.test/v1/orders/o-1 → http://api.test/v1/orders/o-2',
      ]);
    });

    it('ETag counts only when the original had one', () => {
      const plain = ex('original', 201, ORDER);
      const tagged = ex('retry (same key)', 201, ORDER, { etag: '"v2"' });
      assert.deepEqual(kinds(judge(scenario(), TARGET, replayObs(tagged, { before: 0, after: 1 }, plain))), []);

      const original = ex('original', 201, ORDER, { etag: '"v1"' });
      const j = judge(scenario(), TARGET, replayObs(tagged, { before: 0, after: 1 }, original));
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['header ETag: "v1" → "v2"']);
      const untagged = ex('retry (same key)', 201, ORDER);
      const k = judge(scenario(), TARGET, replayObs(untagged, { before: 0, after: 1 }, original));
      assert.deepEqual(finding(k, 'wrong-replay').evidence.diff, ['header ETag: "v1" → (absent)']);
    });
  });

  describe('non-JSON bodies', () => {
    it('equal bytes pass', () => {
      const original = ex('original', 201, 'created o-1');
      const retry = ex('retry (same key)', 201, 'created o-1');
      assert.deepEqual(kinds(judge(scenario({ effects: { id: undefined } }), TARGET, replayObs(retry, { before: 0, after: 1 }, original))), []);
    });

    it('different bytes are a wrong-replay', () => {
      const original = ex('original', 201, 'created o-1');
      const retry = ex('retry (same key)', 201, 'created o-1\n');
      const j = judge(scenario(), TARGET, replayObs(retry, { before: 0, after: 1 }, original));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['body: "created o-1" → "created o-1\\n"']);
    });
  });

  describe('response-only (no oracle)', () => {
    const s = scenario({ noOracle: true });

    it('different ids at effects.id: duplicate-effect (and the replay differs)', () => {
      const j = judge(s, TARGET, replayObs(ex('retry (same key)', 201, { ...ORDER, id: 'o-2' })));
      assert.deepEqual(kinds(j), ['duplicate-effect', 'wrong-replay']);
      assert.equal(message(j, 'duplicate-effect'), 'one key: the success responses named 2 different resources (response-only: no oracle declared)');
      assert.equal(finding(j, 'duplicate-effect').evidence.oracle, undefined);
      assert.deepEqual(j.metrics, { effects: undefined });
    });

    it('the same ids pass', () => {
      assert.deepEqual(kinds(judge(s, TARGET, replayObs(ex('retry (same key)', 201, ORDER)))), []);
    });

    it('without effects.id there is no duplicate-effect: only the replay comparison', () => {
      const noId = scenario({ noOracle: true, effects: { id: undefined } });
      assert.deepEqual(kinds(judge(noId, TARGET, replayObs(ex('retry (same key)', 201, ORDER)))), []);
      const j = judge(noId, TARGET, replayObs(ex('retry (same key)', 201, { ...ORDER, id: 'o-2' })));
      assert.deepEqual(kinds(j), ['wrong-replay']);
    });

    it('without any effects block at all', () => {
      const none = scenario({ effects: null });
      assert.deepEqual(kinds(judge(none, TARGET, replayObs(ex('retry (same key)', 201, ORDER)))), []);
      assert.deepEqual(kinds(judge(none, TARGET, replayObs(ex('retry (same key)', 201, { ...ORDER, id: 'o-2' })))), ['wrong-replay']);
    });

    it('a non-success retry with another id is not a duplicate', () => {
      const j = judge(s, TARGET, replayObs(ex('retry (same key)', 422, { id: 'o-2' })));
      assert.deepEqual(kinds(j), ['unexpected-status']);
    });
  });
});

// --- concurrent -------------------------------------------------------------

function burst(statuses: Array<number | [number, unknown, Record<string, string>?]>, oracle?: { before: number; after: number; ids?: string[] }): ConcurrentObservation {
  const n = statuses.length;
  const exchanges = statuses.map((s, i) => {
    const [code, body, headers] = Array.isArray(s) ? s : [s, s < 300 ? ORDER : { error: String(s) }];
    return ex(`duplicate ${i + 1}/${n}`, code, body, headers ?? {});
  });
  return { attack: 'concurrent', engine: 'h1', bursts: [{ run: run(oracle), exchanges, releaseSkewMs: 0.1234 }] };
}

describe('concurrent', () => {
  it('passes with one effect, one success and the rest in flight', () => {
    const j = judge(scenario(), TARGET, burst([201, 409, 409, 409], { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), []);
    assert.equal(j.metrics.engine, 'h1');
    assert.equal(j.metrics.requests, 4);
    assert.equal(j.metrics.releaseSkewMs, 0.123);
    assert.deepEqual(j.metrics.statuses, { '201': 1, '409': 3 });
    assert.equal(j.metrics.effects, 1);
  });

  it('equal success responses pass', () => {
    assert.deepEqual(kinds(judge(scenario(), TARGET, burst([201, 201, 201], { before: 0, after: 1 }))), []);
  });

  it('mixed 201/409/500/400: one finding per rule, messages grouped by status', () => {
    const j = judge(scenario(), TARGET, burst([201, 201, 409, 500, 400, 400, 422], { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['server-error', 'unexpected-status']);
    assert.equal(message(j, 'server-error'), '1 of 7 duplicates were answered 500');
    assert.equal(
      message(j, 'unexpected-status'),
      '2 of 7 duplicates were answered 400, expected a success (200, 201) or in-flight status (409); ' +
        '1 of 7 duplicates were answered 422, expected a success (200, 201) or in-flight status (409)',
    );
    assert.deepEqual(
      finding(j, 'unexpected-status').evidence.exchanges.map((e) => e.label),
      ['duplicate 5/7', 'duplicate 6/7', 'duplicate 7/7'],
    );
    assert.deepEqual(finding(j, 'server-error').evidence.exchanges.map((e) => e.label), ['duplicate 4/7']);
    assert.deepEqual(j.metrics.statuses, { '201': 2, '409': 1, '500': 1, '400': 2, '422': 1 });
  });

  it('identical answers hiding duplicates: the message says so', () => {
    const j = judge(scenario(), TARGET, burst([201, 201, 201], { before: 0, after: 3 }));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
    assert.equal(
      message(j, 'duplicate-effect'),
      '3 concurrent duplicates made 3 side effects (expected 1), though all 3 success responses were identical',
    );
  });

  it('differing successes: duplicate-effect and wrong-replay', () => {
    const j = judge(scenario(), TARGET, burst([[201, ORDER], [201, { ...ORDER, id: 'o-2' }], 409], { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['duplicate-effect', 'wrong-replay']);
    assert.equal(message(j, 'duplicate-effect'), '3 concurrent duplicates made 2 side effects (expected 1)');
    assert.equal(message(j, 'wrong-replay'), '1 of 2 success responses differ from the first');
    assert.deepEqual(finding(j, 'wrong-replay').evidence.diff, ['$.id: "o-1" → "o-2"']);
  });

  it('a success with no effect: lost-effect', () => {
    const j = judge(scenario(), TARGET, burst([201, 409], { before: 2, after: 2 }));
    assert.deepEqual(kinds(j), ['lost-effect']);
    assert.equal(message(j, 'lost-effect'), 'the API answered with a success but no side effect exists');
  });

  it('response-only: different ids are a duplicate-effect', () => {
    const j = judge(scenario({ noOracle: true }), TARGET, burst([[201, ORDER], [201, { ...ORDER, id: 'o-2' }], [201, ORDER]]));
    assert.deepEqual(kinds(j), ['duplicate-effect', 'wrong-replay']);
    assert.equal(message(j, 'duplicate-effect'), '3 concurrent duplicates: the success responses named 2 different resources (response-only: no oracle declared)');
  });

  it('response-only: the same ids pass', () => {
    assert.deepEqual(kinds(judge(scenario({ noOracle: true }), TARGET, burst([201, 201, 409]))), []);
  });

  it('duplicates the server hung up on: server-error, counted as "no response"', () => {
    const obs = burst([201, 409, 409], { before: 0, after: 1 });
    delete obs.bursts[0]!.exchanges[2]!.response;
    obs.bursts[0]!.exchanges[2]!.error = 'socket hang up';
    obs.bursts[0]!.exchanges[2]!.errorKind = 'reset';
    const j = judge(scenario(), TARGET, obs);
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), '1 of 3 duplicates were never answered: socket hang up');
    assert.deepEqual(finding(j, 'server-error').evidence.exchanges.map((e) => e.label), ['duplicate 3/3']);
    assert.deepEqual(j.metrics.statuses, { '201': 1, '409': 1, 'no response': 1 });
  });

  it('a 500 and a hang-up merge into one server-error, counted out of every duplicate', () => {
    const obs = burst([201, 500, 409, 409], { before: 0, after: 1 });
    delete obs.bursts[0]!.exchanges[3]!.response;
    obs.bursts[0]!.exchanges[3]!.error = 'ECONNRESET';
    obs.bursts[0]!.exchanges[3]!.errorKind = 'reset';
    const j = judge(scenario(), TARGET, obs);
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), '1 of 4 duplicates were answered 500; 1 of 4 duplicates were never answered: ECONNRESET');
  });

  it('no answer at all and no oracle reading after: server-error only', () => {
    const obs = burst([201, 201]);
    for (const e of obs.bursts[0]!.exchanges) {
      delete e.response;
      e.error = 'socket hang up';
      e.errorKind = 'reset';
    }
    obs.bursts[0]!.run.before = { count: 0, at: 1 };
    const j = judge(scenario(), TARGET, obs);
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), '2 of 2 duplicates were never answered: socket hang up');
  });

  it('the timeline: release, first byte and end of each duplicate from the first release', () => {
    const obs = burst([201, 409, 409], { before: 0, after: 1 });
    const j = judge(scenario(), TARGET, obs);
    // ex() spaces exchanges 10 ms apart: sent +1, first byte +2, ended +3 after the start.
    assert.deepEqual(j.metrics.timeline, [
      { request: 1, status: 201, releasedMs: 0, firstByteMs: 1, endedMs: 2 },
      { request: 2, status: 409, releasedMs: 10, firstByteMs: 11, endedMs: 12 },
      { request: 3, status: 409, releasedMs: 20, firstByteMs: 21, endedMs: 22 },
    ]);
    assert.equal(j.metrics.responseSpreadMs, 20);
  });

  it('replayHeader: every success but one must carry it', () => {
    const s = scenario({ expect: { replayHeader: MARKER } });
    const mark = { 'idempotent-replayed': 'true' };
    assert.deepEqual(kinds(judge(s, TARGET, burst([[201, ORDER], [201, ORDER, mark], [201, ORDER, mark]], { before: 0, after: 1 }))), []);
    const j = judge(s, TARGET, burst([201, 201, 201], { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['wrong-replay']);
    assert.equal(message(j, 'wrong-replay'), '2 replays lack Idempotent-Replayed: true');
  });

  it('replayHeader in a check-then-act race: successes the oracle counts as fresh creations are no replays', () => {
    const s = scenario({ expect: { replayHeader: MARKER } });
    const mark = { 'idempotent-replayed': 'true' };
    // Four successes, four side effects: every success created an order; the duplicate effect is the finding alone.
    const all = judge(s, TARGET, burst([201, 201, 201, 201, 409], { before: 0, after: 4 }));
    assert.deepEqual(kinds(all), ['duplicate-effect']);
    // Five successes, two effects: three replays, of which two (four unmarked, less the two creations) lack the marker.
    const some = judge(s, TARGET, burst([201, 201, 201, 201, [201, ORDER, mark]], { before: 0, after: 2 }));
    assert.deepEqual(kinds(some), ['duplicate-effect', 'wrong-replay']);
    assert.equal(
      message(some, 'wrong-replay'),
      '2 of the 3 replays (successes beyond the 2 fresh creations the oracle counts) lack Idempotent-Replayed: true',
    );
  });

  it('replayHeader without an oracle: one success is the original, the others replays (as ever)', () => {
    const j = judge(scenario({ expect: { replayHeader: MARKER }, noOracle: true }), TARGET, burst([201, 201, 201]));
    assert.deepEqual(kinds(j), ['wrong-replay']);
    assert.equal(message(j, 'wrong-replay'), '2 replays lack Idempotent-Replayed: true');
  });
});

// --- reuse ------------------------------------------------------------------

/** One run with `change:` given: the old single-variant reuse. */
function reuseObs(changed: Exchange, oracle?: { before: number; after: number; ids?: string[] }): ReuseObservation {
  return { attack: 'reuse', change: true, variants: [{ fields: ['amount'], run: run(oracle), original: ex('original', 201, ORDER), changed }], firstMs: 3, fastestMs: 3 };
}

/** One run per field, each answered as given; the originals took `firstMs`. */
function fieldsObs(answers: Record<string, [number, unknown, number]>, inFlight?: ReuseObservation['inFlight'], firstMs = 3): ReuseObservation {
  const variants = Object.entries(answers).map(([field, [code, body, after]]) => ({
    fields: [field],
    run: run({ before: 0, after }),
    original: ex(`${field}: original`, 201, ORDER),
    changed: ex(`${field}: same key, changed payload`, code, body),
  }));
  return { attack: 'reuse', change: false, variants, firstMs, fastestMs: firstMs, ...(inFlight ? { inFlight } : {}) };
}

/** The in-flight step; `answeredFirst`: the original's first byte came back before the changed payload was sent. */
function inFlightObs(original: [number, unknown], changed: [number, unknown], after: number, answeredFirst = false): NonNullable<ReuseObservation['inFlight']> {
  const o = ex('in flight: original', original[0], original[1]);
  const c = ex('in flight: same key, changed payload, sent while the original runs', changed[0], changed[1]);
  o.firstByteAt = answeredFirst ? c.startedAt - 1 : c.endedAt! + 4;
  o.endedAt = answeredFirst ? c.startedAt : c.endedAt! + 5;
  return { run: run({ before: 0, after }), original: o, changed: c, sentAfterMs: 60 };
}

describe('reuse', () => {
  it('a mismatch status and no new effect passes', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 422, { error: 'mismatch' }), { before: 0, after: 1 }));
    assert.deepEqual(j.findings, []);
    assert.deepEqual(j.metrics, { effects: 1, fields: ['amount'], ignored: [], variants: [{ fields: ['amount'], status: 422, effects: 1 }], firstMs: 3, fastestMs: 3 });
  });

  it('answered with the first response: the fingerprint ignores the change', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 201, ORDER), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['mismatch-accepted']);
    assert.equal(
      message(j, 'mismatch-accepted'),
      "the same key with a changed payload was answered 201 with the first request's response: the key's fingerprint ignores the change",
    );
  });

  it('processed: mismatch-accepted saying so, and the second effect', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 201, { ...ORDER, id: 'o-2', amount: 11 }), { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['mismatch-accepted', 'duplicate-effect']);
    assert.equal(message(j, 'mismatch-accepted'), 'the same key with a changed payload was answered 201 and processed, expected 422');
    assert.equal(message(j, 'duplicate-effect'), 'one key made 2 side effects (expected 1)');
  });

  it('a status outside mismatch: unexpected-status', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 409, {}), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['unexpected-status']);
    assert.equal(message(j, 'unexpected-status'), 'same key, changed payload was answered 409, expected a mismatch status (422)');
  });

  it('a 5xx: server-error only', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 500, 'oops'), { before: 0, after: 1 }));
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), 'same key, changed payload was answered 500');
  });

  it('a mismatch status with a new effect: duplicate-effect', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 422, {}), { before: 0, after: 2 }));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
  });

  it('no effect at all behind the first success: lost-effect', () => {
    const j = judge(scenario(), TARGET, reuseObs(ex('same key, changed payload', 422, {}), { before: 4, after: 4 }));
    assert.deepEqual(kinds(j), ['lost-effect']);
  });

  it('one field of three ignored: the finding names that field, and the metrics list it', () => {
    const j = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1], qty: [201, ORDER, 1], note: [422, {}, 1] }));
    assert.deepEqual(kinds(j), ['mismatch-accepted']);
    assert.equal(message(j, 'mismatch-accepted'), "the same key with a changed payload was answered 201 with the first request's response: the key's fingerprint ignores qty");
    assert.deepEqual(finding(j, 'mismatch-accepted').evidence.exchanges.map((e) => e.label), ['qty: original', 'qty: same key, changed payload']);
    assert.deepEqual(j.metrics['fields'], ['sku', 'qty', 'note']);
    assert.deepEqual(j.metrics['ignored'], ['qty']);
    assert.equal(j.metrics['effects'], 1);
  });

  it('fields replayed and fields processed: both named, the second effect once per key', () => {
    const j = judge(scenario(), TARGET, fieldsObs({ sku: [201, ORDER, 1], qty: [201, { ...ORDER, id: 'o-2' }, 2], note: [201, ORDER, 1] }));
    assert.deepEqual(kinds(j), ['mismatch-accepted', 'duplicate-effect']);
    assert.equal(
      message(j, 'mismatch-accepted'),
      "the same key with a changed payload was answered 201 with the first request's response: the key's fingerprint ignores sku and note; " +
        "the same key with a changed payload (changed: qty, which the key's fingerprint ignores) was answered 201 and processed, expected 422",
    );
    assert.equal(message(j, 'duplicate-effect'), 'one key (qty changed) made 2 side effects (expected 1)');
    assert.deepEqual(j.metrics['ignored'], ['sku', 'note', 'qty']);
    assert.equal(j.metrics['effects'], 2, 'the most effects one key made');
  });

  it('in flight: a mismatch or an in-flight status passes', () => {
    for (const code of [422, 409]) {
      const j = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [code, {}], 1), 80));
      assert.deepEqual(j.findings, [], `in flight answered ${code}`);
      assert.deepEqual(j.metrics['inFlight'], { sentAfterMs: 60, originalStatus: 201, status: code, effects: 1, overlapped: true });
    }
  });

  it('in flight: processed is mismatch-accepted and, with a second effect, duplicate-effect', () => {
    const j = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [201, { ...ORDER, id: 'o-2' }], 2), 80));
    assert.deepEqual(kinds(j), ['mismatch-accepted', 'duplicate-effect']);
    assert.equal(
      message(j, 'mismatch-accepted'),
      'in flight: same key, changed payload, sent while the original runs was answered 201 and processed while the original with its key was still in flight (sent 60 ms after it), expected 422 (mismatch) or 409 (in flight)',
    );
    assert.equal(message(j, 'duplicate-effect'), 'the in-flight key made 2 side effects (expected 1)');
  });

  it('in flight: refused yet a second effect counts as processed', () => {
    const j = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [409, {}], 2), 80));
    assert.deepEqual(kinds(j), ['mismatch-accepted', 'duplicate-effect']);
    assert.match(message(j, 'mismatch-accepted'), /answered 409 while the original .* yet processed: the oracle counts 2 side effects for the key/);
  });

  it('in flight, but the original had begun to answer first: its status is not judged (a 5xx is), its effects are', () => {
    // The original's first byte came back 1 ms before the changed payload went out (its last byte at the same moment).
    for (const code of [201, 400]) {
      const j = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [code, ORDER], 1, true), 80));
      assert.deepEqual(j.findings, [], `answered ${code} after the original's answer had begun`);
      assert.equal((j.metrics['inFlight'] as { overlapped: boolean }).overlapped, false);
    }
    const failed = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [503, {}], 1, true), 80));
    assert.deepEqual(kinds(failed), ['server-error']);
    assert.equal(message(failed, 'server-error'), 'in flight: same key, changed payload, sent while the original runs was answered 503');
    const twice = judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [201, { ...ORDER, id: 'o-2' }], 2, true), 80));
    assert.deepEqual(kinds(twice), ['duplicate-effect']);
    assert.equal(message(twice, 'duplicate-effect'), 'the in-flight key made 2 side effects (expected 1)');
  });

  it('in flight: another status is unexpected-status, a 5xx server-error', () => {
    assert.deepEqual(kinds(judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [400, {}], 1), 80))), ['unexpected-status']);
    assert.deepEqual(kinds(judge(scenario(), TARGET, fieldsObs({ sku: [422, {}, 1] }, inFlightObs([201, ORDER], [503, {}], 1), 80))), ['server-error']);
  });
});

// --- expiry -----------------------------------------------------------------

function key(name: 'A' | 'B', retry: [number, unknown], oracle: { before: number; after: number; ids?: string[] } | undefined, retryAfterMs: number, originalBody: unknown = { id: `${name.toLowerCase()}-1` }): ExpiryKeyObservation {
  const label = name === 'A' ? 'key A: retry before the ttl' : 'key B: retry after ttl + margin';
  return { run: run(oracle), original: ex(`key ${name}: original`, 201, originalBody), retry: ex(label, retry[0], retry[1]), retryAfterMs };
}

const GOOD_A = (): ExpiryKeyObservation => key('A', [201, { id: 'a-1' }], { before: 0, after: 1 }, 800);

function expiryObs(after: ExpiryKeyObservation, before: ExpiryKeyObservation = GOOD_A()): ExpiryObservation {
  return { attack: 'expiry', ttlMs: 1000, before, after };
}

const withMode = (afterExpiry: AfterExpiry, more: ScenarioOptions = {}) => scenario({ ...more, expect: { afterExpiry, ...more.expect } });

describe('expiry, key A (before the ttl)', () => {
  const B_REPLAY = () => key('B', [201, { id: 'b-1' }], { before: 0, after: 1 }, 1250);

  it('a replay with no new effect passes, with the metrics', () => {
    const j = judge(scenario(), TARGET, expiryObs(B_REPLAY()));
    assert.deepEqual(j, {
      findings: [],
      metrics: { ttlMs: 1000, retryBeforeTtlMs: 800, retryAfterTtlMs: 1250, effectsBeforeTtl: 1, effectsAfterTtl: 1 },
    });
  });

  it('a new effect inside the ttl: early-expiry', () => {
    const a = key('A', [201, { id: 'a-2' }], { before: 0, after: 2 }, 900);
    const j = judge(scenario(), TARGET, expiryObs(B_REPLAY(), a));
    assert.deepEqual(kinds(j), ['early-expiry']);
    assert.equal(message(j, 'early-expiry'), 'the key was processed afresh 900 ms after the first request, inside the declared ttl of 1000 ms');
  });

  it('response-only: another id inside the ttl is early-expiry', () => {
    const a = key('A', [201, { id: 'a-2' }], undefined, 900);
    const b = key('B', [201, { id: 'b-1' }], undefined, 1250);
    const j = judge(scenario({ noOracle: true }), TARGET, expiryObs(b, a));
    assert.deepEqual(kinds(j), ['early-expiry']);
    assert.equal(
      message(j, 'early-expiry'),
      'the key was processed afresh 900 ms after the first request, inside the declared ttl of 1000 ms (response-only: the retry named another resource)',
    );
  });

  it('a replay that differs without a new effect: wrong-replay', () => {
    const a = key('A', [201, { id: 'a-1', note: 'x' }], { before: 0, after: 1 }, 800);
    const j = judge(scenario(), TARGET, expiryObs(B_REPLAY(), a));
    assert.deepEqual(kinds(j), ['wrong-replay']);
    assert.equal(message(j, 'wrong-replay'), 'key A: retry before the ttl differs from the original');
  });

  it('no effect behind the success: lost-effect', () => {
    const a = key('A', [201, { id: 'a-1' }], { before: 0, after: 0 }, 800);
    assert.deepEqual(kinds(judge(scenario(), TARGET, expiryObs(B_REPLAY(), a))), ['lost-effect']);
  });

  it('a 5xx: server-error only', () => {
    const a = key('A', [502, 'bad gateway'], { before: 0, after: 1 }, 800);
    const j = judge(scenario(), TARGET, expiryObs(B_REPLAY(), a));
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), 'key A: retry before the ttl was answered 502');
  });

  it('a 5xx that also processed the key afresh raises server-error and early-expiry', () => {
    const a = key('A', [500, 'boom'], { before: 0, after: 2 }, 800);
    assert.deepEqual(kinds(judge(scenario(), TARGET, expiryObs(B_REPLAY(), a))), ['early-expiry', 'server-error']);
  });

  it('a success naming an id the oracle does not list: lost-effect', () => {
    const a = key('A', [201, { id: 'a-1' }], { before: 0, after: 1, ids: ['a-9'] }, 800);
    const b = key('B', [201, { id: 'b-1' }], { before: 0, after: 1, ids: ['b-1'] }, 1250);
    assert.deepEqual(kinds(judge(scenario({ effects: { ids: '$[*].id' } }), TARGET, expiryObs(b, a))), ['lost-effect']);
  });
});

describe('expiry, key B (after ttl + margin)', () => {
  const IDS = { effects: { ids: '$[*].id' } } as const;

  describe('afterExpiry: new', () => {
    it('a fresh effect answered with a fresh id passes', () => {
      const b = key('B', [201, { id: 'b-2' }], { before: 0, after: 2, ids: ['b-1', 'b-2'] }, 1250);
      const j = judge(withMode('new', IDS), TARGET, expiryObs(b, key('A', [201, { id: 'a-1' }], { before: 0, after: 1, ids: ['a-1'] }, 800)));
      assert.deepEqual(kinds(j), []);
      assert.equal(j.metrics.effectsAfterTtl, 2);
    });

    it('a fresh effect answered with a fresh body (no ids) passes', () => {
      const b = key('B', [201, { id: 'b-2' }], { before: 0, after: 2 }, 1250);
      assert.deepEqual(kinds(judge(withMode('new'), TARGET, expiryObs(b))), []);
    });

    it('a new effect answered with the old body: wrong-replay', () => {
      const b = key('B', [201, { id: 'b-1' }], { before: 0, after: 2 }, 1250);
      const j = judge(withMode('new'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.equal(message(j, 'wrong-replay'), 'after the ttl the key was processed afresh (a new side effect) but answered with the old response');
      assert.deepEqual(finding(j, 'wrong-replay').evidence.oracle, { before: 0, after: 2 });
    });

    it('with ids, a new effect answered with the old id: wrong-replay even when the body differs', () => {
      const b = key('B', [201, { id: 'b-1', updatedAt: 2 }], { before: 0, after: 2, ids: ['b-1', 'b-2'] }, 1250, { id: 'b-1', updatedAt: 1 });
      const a = key('A', [201, { id: 'a-1' }], { before: 0, after: 1, ids: ['a-1'] }, 800);
      const j = judge(withMode('new', IDS), TARGET, expiryObs(b, a));
      assert.deepEqual(kinds(j), ['wrong-replay']);
    });

    it('a key kept past the ttl (a replay) is no finding: retention is a minimum', () => {
      const b = key('B', [201, { id: 'b-1' }], { before: 0, after: 1 }, 1250);
      assert.deepEqual(kinds(judge(withMode('new'), TARGET, expiryObs(b))), []);
    });

    it('a rejection is an unexpected-status', () => {
      const b = key('B', [422, { error: 'expired' }], { before: 0, after: 1 }, 1250);
      const j = judge(withMode('new'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['unexpected-status']);
      assert.equal(message(j, 'unexpected-status'), 'key B: retry after ttl + margin was answered 422, expected the expired key to be processed afresh (200, 201)');
    });

    it('more than two effects: duplicate-effect', () => {
      const b = key('B', [201, { id: 'b-3' }], { before: 0, after: 3 }, 1250);
      const j = judge(withMode('new'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['duplicate-effect']);
      assert.equal(message(j, 'duplicate-effect'), 'one key made 3 side effects across its expiry (at most 2)');
    });

    it('no effect at all: lost-effect', () => {
      const b = key('B', [201, { id: 'b-1' }], { before: 0, after: 0 }, 1250);
      assert.deepEqual(kinds(judge(withMode('new'), TARGET, expiryObs(b))), ['lost-effect']);
    });

    it('a success naming a resource the oracle does not list: lost-effect', () => {
      const b = key('B', [201, { id: 'b-2' }], { before: 0, after: 1, ids: ['b-1'] }, 1250);
      const a = key('A', [201, { id: 'a-1' }], { before: 0, after: 1, ids: ['a-1'] }, 800);
      assert.deepEqual(kinds(judge(withMode('new', IDS), TARGET, expiryObs(b, a))), ['lost-effect']);
    });

    it('with ids, a new effect answered with an id that exists nowhere is a lost-effect, not "the old response"', () => {
      const b = key('B', [201, { id: 'b-3' }], { before: 0, after: 2, ids: ['b-1', 'b-2'] }, 1250);
      const a = key('A', [201, { id: 'a-1' }], { before: 0, after: 1, ids: ['a-1'] }, 800);
      assert.deepEqual(kinds(judge(withMode('new', IDS), TARGET, expiryObs(b, a))), ['lost-effect']);
    });

    it('a 5xx: server-error only', () => {
      const b = key('B', [503, 'down'], { before: 0, after: 1 }, 1250);
      const j = judge(withMode('new'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['server-error']);
      assert.equal(message(j, 'server-error'), 'key B: retry after ttl + margin was answered 503');
    });
  });

  describe('afterExpiry: reject', () => {
    it('201 with a new effect: unexpected-status and duplicate-effect', () => {
      const b = key('B', [201, { id: 'b-2' }], { before: 0, after: 2 }, 1250);
      const j = judge(withMode('reject'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['unexpected-status', 'duplicate-effect']);
      assert.equal(message(j, 'unexpected-status'), 'after the ttl the retry was answered 201, expected a 4xx rejection');
      assert.equal(message(j, 'duplicate-effect'), 'the retry after the ttl created a second side effect, though the API declares it rejects expired keys');
    });

    it('404 with no new effect passes', () => {
      const b = key('B', [404, { error: 'unknown key' }], { before: 0, after: 1 }, 1250);
      assert.deepEqual(kinds(judge(withMode('reject'), TARGET, expiryObs(b))), []);
    });

    it('a replay (201, no new effect): unexpected-status', () => {
      const b = key('B', [201, { id: 'b-1' }], { before: 0, after: 1 }, 1250);
      assert.deepEqual(kinds(judge(withMode('reject'), TARGET, expiryObs(b))), ['unexpected-status']);
    });

    it('a 4xx that still created an effect: duplicate-effect', () => {
      const b = key('B', [409, {}], { before: 0, after: 2 }, 1250);
      assert.deepEqual(kinds(judge(withMode('reject'), TARGET, expiryObs(b))), ['duplicate-effect']);
    });

    it('a 5xx that created an effect raises server-error and duplicate-effect', () => {
      const b = key('B', [500, 'boom'], { before: 0, after: 2 }, 1250);
      assert.deepEqual(kinds(judge(withMode('reject'), TARGET, expiryObs(b))), ['server-error', 'duplicate-effect']);
    });
  });

  describe('afterExpiry: replay (never expires)', () => {
    it('a new effect: early-expiry', () => {
      const b = key('B', [201, { id: 'b-2' }], { before: 0, after: 2 }, 1250);
      const j = judge(withMode('replay'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['early-expiry']);
      assert.equal(
        message(j, 'early-expiry'),
        'the key was processed afresh 1250 ms after the first response, but the API declares keys never expire (afterExpiry: replay)',
      );
    });

    it('response-only: another id is early-expiry', () => {
      const b = key('B', [201, { id: 'b-2' }], undefined, 1250);
      const a = key('A', [201, { id: 'a-1' }], undefined, 800);
      assert.deepEqual(kinds(judge(withMode('replay', { noOracle: true }), TARGET, expiryObs(b, a))), ['early-expiry']);
    });

    it('an equal replay passes; a different one is a wrong-replay', () => {
      const same = key('B', [201, { id: 'b-1' }], { before: 0, after: 1 }, 1250);
      assert.deepEqual(kinds(judge(withMode('replay'), TARGET, expiryObs(same))), []);
      const other = key('B', [201, { id: 'b-1', v: 2 }], { before: 0, after: 1 }, 1250);
      const j = judge(withMode('replay'), TARGET, expiryObs(other));
      assert.deepEqual(kinds(j), ['wrong-replay']);
      assert.equal(message(j, 'wrong-replay'), 'key B: retry after ttl + margin differs from the original');
    });

    it('a rejection: unexpected-status', () => {
      const b = key('B', [422, {}], { before: 0, after: 1 }, 1250);
      const j = judge(withMode('replay'), TARGET, expiryObs(b));
      assert.deepEqual(kinds(j), ['unexpected-status']);
      assert.equal(message(j, 'unexpected-status'), 'key B: retry after ttl + margin was answered 422, expected a replay (200, 201)');
    });
  });

  describe('afterExpiry: any', () => {
    it('a rejection, a replay and a fresh effect all pass', () => {
      const s = withMode('any');
      assert.deepEqual(kinds(judge(s, TARGET, expiryObs(key('B', [404, {}], { before: 0, after: 1 }, 1250)))), []);
      assert.deepEqual(kinds(judge(s, TARGET, expiryObs(key('B', [201, { id: 'b-1' }], { before: 0, after: 1 }, 1250)))), []);
      assert.deepEqual(kinds(judge(s, TARGET, expiryObs(key('B', [201, { id: 'b-2' }], { before: 0, after: 2 }, 1250)))), []);
    });

    it('a new effect answered with the old response: wrong-replay', () => {
      const j = judge(withMode('any'), TARGET, expiryObs(key('B', [201, { id: 'b-1' }], { before: 0, after: 2 }, 1250)));
      assert.deepEqual(kinds(j), ['wrong-replay']);
    });
  });
});

// --- drop -------------------------------------------------------------------

function cut(point: CutPoint, retries: Array<[number, unknown]>, oracle?: { before: number; after: number; ids?: string[] }, extra: Partial<DropCutObservation> = {}): DropCutObservation {
  const c = ex(`cut ${point}`, 0);
  delete c.response;
  c.error = 'cut on purpose';
  c.errorKind = 'cut';
  return {
    point,
    run: run(oracle),
    cut: c,
    retries: retries.map(([code, body], i) => ex(`retry ${i + 1} (same key)`, code, body)),
    stuck: false,
    ...extra,
  };
}

const dropObs = (...cuts: DropCutObservation[]): DropObservation => ({ attack: 'drop', cuts });

describe('drop', () => {
  it('one effect and a final success describing it passes, with the metrics', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('after-send', [[201, ORDER]], { before: 0, after: 1 }), cut('mid-response', [[409, {}], [201, ORDER]], { before: 1, after: 2 })));
    assert.deepEqual(j, { findings: [], metrics: { cuts: ['after-send', 'mid-response'], retries: 3 } });
  });

  it('still in flight at the bound: unexpected-status "stuck in flight"', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('after-send', [[409, {}], [409, {}], [409, {}]], { before: 0, after: 1 }, { stuck: true })));
    assert.deepEqual(kinds(j), ['unexpected-status']);
    assert.equal(message(j, 'unexpected-status'), 'after the cut after-send the key is stuck in flight: still answered 409 after 3 retries');
  });

  it('a mid-body cut that left an effect: duplicate-effect', () => {
    const c = cut('mid-body-middle', [[201, ORDER]], { before: 0, after: 1 }, { afterCut: { count: 1, at: 1 } });
    const j = judge(scenario(), TARGET, dropObs(c));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
    assert.equal(message(j, 'duplicate-effect'), 'a request cut mid-body-middle (its body never fully arrived) created a side effect');
    assert.deepEqual(finding(j, 'duplicate-effect').evidence.oracle, { before: 0, after: 1 });
    assert.deepEqual(finding(j, 'duplicate-effect').evidence.exchanges.map((e) => e.label), ['cut mid-body-middle']);
  });

  it('a listing shorter than the count is one page of it: the answered id missing from it is no lost effect', () => {
    // 12 effects for one key; the oracle lists a page of 10 of them, not the one the retry names.
    const page = Array.from({ length: 10 }, (_, i) => `o-${100 + i}`);
    const s = scenario({ effects: { ids: '$.items[*].id' } });
    const j = judge(s, TARGET, dropObs(cut('after-send', [[201, ORDER]], { before: 0, after: 12, ids: page })));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
  });

  it('a mid-body cut with no effect after it passes', () => {
    const c = cut('mid-body-first', [[201, ORDER]], { before: 0, after: 1 }, { afterCut: { count: 0, at: 1 } });
    assert.deepEqual(kinds(judge(scenario(), TARGET, dropObs(c))), []);
  });

  it('two effects after cut and retry: duplicate-effect', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('after-send', [[201, ORDER]], { before: 0, after: 2 })));
    assert.deepEqual(kinds(j), ['duplicate-effect']);
    assert.equal(message(j, 'duplicate-effect'), 'cut after-send, then a retry with the same key: 2 side effects (expected 1)');
  });

  it('a final success with no effect: lost-effect', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('mid-response', [[201, ORDER]], { before: 0, after: 0 })));
    assert.deepEqual(kinds(j), ['lost-effect']);
    assert.equal(message(j, 'lost-effect'), 'the API answered with a success but no side effect exists');
  });

  it('a final success naming an id the oracle does not list: lost-effect', () => {
    const s = scenario({ effects: { ids: '$[*].id' } });
    const j = judge(s, TARGET, dropObs(cut('after-send', [[201, ORDER]], { before: 0, after: 1, ids: ['o-7'] })));
    assert.deepEqual(kinds(j), ['lost-effect']);
    assert.equal(message(j, 'lost-effect'), 'retry 1 (same key) names o-1, which the oracle does not list (o-7)');
  });

  it('a final 5xx: server-error only', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('after-send', [[500, 'boom']], { before: 0, after: 1 })));
    assert.deepEqual(kinds(j), ['server-error']);
    assert.equal(message(j, 'server-error'), 'retry 1 (same key) was answered 500');
  });

  it('a final 4xx: unexpected-status', () => {
    const j = judge(scenario(), TARGET, dropObs(cut('after-send', [[400, {}]], { before: 0, after: 0 })));
    assert.deepEqual(kinds(j), ['unexpected-status']);
    assert.equal(message(j, 'unexpected-status'), 'retry 1 (same key) was answered 400, expected a success after the cut after-send (200, 201)');
  });

  it('the same rule broken by two cuts is one finding with both messages', () => {
    const j = judge(
      scenario(),
      TARGET,
      dropObs(cut('after-send', [[201, ORDER]], { before: 0, after: 2 }), cut('mid-response', [[201, ORDER]], { before: 2, after: 5 })),
    );
    assert.deepEqual(kinds(j), ['duplicate-effect']);
    assert.equal(
      message(j, 'duplicate-effect'),
      'cut after-send, then a retry with the same key: 2 side effects (expected 1); cut mid-response, then a retry with the same key: 3 side effects (expected 1)',
    );
  });
});
