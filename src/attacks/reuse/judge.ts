// The same key with another payload must be refused, and make no effect.
import { formatStatusSet } from '../../scenario/status.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { compare, expectOneEffect, newJudge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ReuseMetrics, ReuseObservation } from './index.js';

export function judge(obs: ReuseObservation, ctx: JudgeContext): Judgement<ReuseMetrics> {
  const j = newJudge(ctx);
  const { expect } = j.scenario;
  const { original, changed, run } = obs;
  const code = status(changed);
  if (code < 500 && isSuccess(expect, changed)) {
    const replayed = compare(j, original, changed).length === 0;
    j.findings.add(
      'mismatch-accepted',
      replayed
        ? `the same key with a changed payload was answered ${code} with the first request's response: the key's fingerprint ignores the change`
        : `the same key with a changed payload was answered ${code} and processed, expected ${formatStatusSet(expect.mismatch)}`,
      { exchanges: [original, changed], oracle: counts(run) },
    );
  } else {
    checkStatus(j.findings, changed, [expect.mismatch], `a mismatch status (${expect.mismatch.text})`);
  }
  expectOneEffect(j, run, [original, changed], [original]);
  return { findings: j.findings.list(), metrics: { effects: effectsOf(run) } };
}
