// The same key on another operation must never be answered with the first
// operation's response; processed, it makes one effect of its own.
import { selectId } from '../../engine/oracle.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { plural } from '../../model/text.js';
import { compare, expectOneEffect, newJudge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { OtherOperationMetrics, OtherOperationObservation } from './index.js';

export function judge(obs: OtherOperationObservation, ctx: JudgeContext): Judgement<OtherOperationMetrics> {
  const j = newJudge(ctx);
  const { expect, effects } = j.scenario;
  for (const op of obs.operations) {
    const { main, other } = op;
    const exchanges = [main, other];
    expectOneEffect(j, op.run, exchanges, [main], `${op.name}: the main request`);
    const code = status(other);
    if (code >= 500) {
      checkStatus(j.findings, other, [], '');
      continue;
    }
    if (isSuccess(expect, other)) {
      const mainId = effects?.id ? selectId(main.response!.body, effects.id) : undefined;
      const namesMain = mainId !== undefined && effects?.id !== undefined && selectId(other.response!.body, effects.id) === mainId;
      if (namesMain || compare(j, main, other).length === 0) {
        j.findings.add(
          'cross-operation-replay',
          `${other.label} was answered ${code} with the main request's response${namesMain ? ` (it names ${mainId})` : ''}: the caller asked for ${op.name} and was told about another operation`,
          { exchanges, oracle: counts(op.run) },
        );
        continue;
      }
      if (expect.otherOperation === 'reject') {
        j.findings.add('unexpected-status', `${other.label} was answered ${code} and processed, though the API declares it refuses a key used on another operation (otherOperation: reject)`, { exchanges });
      }
      const made = effectsOf(op.opRun);
      if (made === 0) {
        j.findings.add('lost-effect', `${other.label} was answered ${code}, but ${op.name}'s oracle shows no effect of its own`, { exchanges, oracle: counts(op.opRun) });
      } else if (made !== undefined && made > 1) {
        j.findings.add('duplicate-effect', `${other.label} made ${plural(made, 'side effect')} of ${op.name} (expected 1)`, { exchanges, oracle: counts(op.opRun) });
      }
    } else if (expect.otherOperation === 'independent') {
      j.findings.add('unexpected-status', `${other.label} was refused (${code}), though the API declares keys scoped per operation (otherOperation: independent)`, { exchanges });
    } else if (code < 400) {
      checkStatus(j.findings, other, [expect.success], `a success or a refusal (4xx)`);
    }
  }
  const metrics: OtherOperationMetrics = {
    operations: obs.operations.map((o) => ({ name: o.name, status: status(o.other), effects: effectsOf(o.opRun) ?? null })),
  };
  return { findings: j.findings.list(), metrics };
}
