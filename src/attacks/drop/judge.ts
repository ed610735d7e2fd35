// After a cut, a retry with the same key must succeed with exactly one effect;
// a request whose body never fully arrived must make none.
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { plural } from '../../model/text.js';
import { describesEffect, newJudge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { DropMetrics, DropObservation } from './index.js';

export function judge(obs: DropObservation, ctx: JudgeContext): Judgement<DropMetrics> {
  const j = newJudge(ctx);
  const { expect } = j.scenario;
  for (const cut of obs.cuts) {
    const { run, retries } = cut;
    const final = retries[retries.length - 1]!;
    const exchanges = [cut.cut, ...retries];
    if (cut.afterCut && run.before && cut.afterCut.count > run.before.count) {
      j.findings.add('duplicate-effect', `a request cut ${cut.point} (its body never fully arrived) created a side effect`, {
        exchanges: [cut.cut],
        oracle: { before: run.before.count, after: cut.afterCut.count },
      });
    }
    if (cut.stuck) {
      j.findings.add('unexpected-status', `after the cut ${cut.point} the key is stuck in flight: still answered ${status(final)} after ${retries.length} retries`, {
        exchanges,
        oracle: counts(run),
      });
    } else {
      checkStatus(j.findings, final, [expect.success], `a success after the cut ${cut.point} (${expect.success.text})`, { oracle: counts(run) });
    }
    const effects = effectsOf(run);
    if (effects !== undefined && effects > 1) {
      j.findings.add('duplicate-effect', `cut ${cut.point}, then a retry with the same key: ${plural(effects, 'side effect')} (expected 1)`, {
        exchanges,
        oracle: counts(run),
      });
    }
    if (isSuccess(expect, final) && !cut.stuck) describesEffect(j, run, final, exchanges);
  }
  const metrics: DropMetrics = { cuts: obs.cuts.map((c) => c.point), retries: obs.cuts.reduce((n, c) => n + c.retries.length, 0) };
  return { findings: j.findings.list(), metrics };
}
