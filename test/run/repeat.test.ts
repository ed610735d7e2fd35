// --repeat: N runs of one attack folded into one result that reports the rate.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { foldRepeats, repeated } from '../../src/run/repeat.js';
import { repeatRate, type AttackResult } from '../../src/model/results.js';

function result(verdict: AttackResult['verdict'], extra: Partial<AttackResult> = {}): AttackResult {
  return { attack: 'concurrent', verdict, responseOnly: false, durationMs: 10, metrics: { requestsSent: 20 }, findings: [], ...extra };
}

const dup = (n: number) => ({ kind: 'duplicate-effect' as const, message: `20 concurrent duplicates made ${n} side effects (expected 1)`, evidence: { exchanges: [] } });

test('fail wins over pass and could-not-test; each kind once, from the first run that had it, saying in how many runs', () => {
  const f = foldRepeats([result('pass'), result('fail', { findings: [dup(3)], metrics: { requestsSent: 20, timelines: [[]] } }), result('error', { reason: 'oracle answered 503' }), result('fail', { findings: [dup(5)] })]);
  assert.equal(f.verdict, 'fail');
  assert.deepEqual(f.findings.map((x) => x.message), ['in 2 of 4 runs (run 2 shown): 20 concurrent duplicates made 3 side effects (expected 1)']);
  assert.deepEqual(f.repeats?.map((r) => [r.verdict, r.findings]), [['pass', []], ['fail', ['duplicate-effect']], ['error', []], ['fail', ['duplicate-effect']]]);
  assert.equal(f.durationMs, 40);
  assert.deepEqual(f.metrics, { requestsSent: 80, timelines: [[]] }, 'the shown run\'s metrics, every run\'s requests');
  assert.equal(repeatRate(f), 'caught in 2 of 4 runs (1 could not be tested)');
});

test('no failure but a run that could not be tested: error, naming the run; all passing: pass with every run\'s evidence', () => {
  const e = foldRepeats([result('pass'), result('error', { reason: 'oracle answered 503', errorEvidence: { exchanges: [] } })]);
  assert.equal(e.verdict, 'error');
  assert.equal(e.reason, 'run 2 of 2 could not be tested: oracle answered 503');
  assert.equal(repeatRate(e), 'caught in 0 of 2 runs (1 could not be tested)');
  const p = foldRepeats([result('pass'), result('pass'), result('pass')]);
  assert.equal(p.verdict, 'pass');
  assert.equal(repeatRate(p), 'caught in 0 of 3 runs');
  assert.deepEqual(p.evidence, { exchanges: [] });
});

test('repeated: runs N times, counts requests on, does not repeat a skip, stops at an unreachable target; once is once', async () => {
  const before: number[] = [];
  const r = await repeated(3, async (sent) => (before.push(sent), result('pass')));
  assert.deepEqual(before, [0, 20, 40]);
  assert.equal(r.repeats?.length, 3);
  let calls = 0;
  assert.equal((await repeated(5, async () => (calls++, result('skip')))).verdict, 'skip');
  assert.equal(calls, 1);
  calls = 0;
  const down = await repeated(5, async () => (calls++, result('error', { reason: 'connect ECONNREFUSED', unreachable: true })));
  assert.equal(calls, 1);
  assert.equal(down.unreachable, true);
  const single = await repeated(1, async () => result('fail', { findings: [dup(2)] }));
  assert.equal(single.repeats, undefined, 'one run reports as ever');
  assert.equal(single.findings[0]!.message, dup(2).message);
});
