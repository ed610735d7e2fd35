// After an invalid request, the key must not stay locked: the same invalid
// request is refused again and makes nothing, and the corrected one follows
// expect.afterError.
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { describesEffect, lostEffect, newJudge } from '../../judge/rules.js';
import { plural } from '../../model/text.js';
import { IN_FLIGHT_BOUND_MS } from '../run.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { ErrorRetryMetrics, ErrorRetryObservation } from './index.js';

export function judge(obs: ErrorRetryObservation, ctx: JudgeContext): Judgement<ErrorRetryMetrics> {
  const j = newJudge(ctx);
  const { expect } = j.scenario;
  const { run, first, again, corrected } = obs;
  const lastAgain = again[again.length - 1]!;
  const lastCorrected = corrected[corrected.length - 1]!;
  if (status(first) >= 500) checkStatus(j.findings, first, [], '');
  const locked = `the key stayed locked after an error: still answered ${'%s'} after ${IN_FLIGHT_BOUND_MS / 1000} s of retries`;

  // The identical invalid request again: a 4xx, nothing made.
  if (obs.againStuck) {
    j.findings.add('unexpected-status', `${lastAgain.label}: ${locked.replace('%s', String(status(lastAgain)))}`, { exchanges: [first, ...again] });
  } else if (status(lastAgain) >= 500) {
    checkStatus(j.findings, lastAgain, [], '');
  } else if (status(lastAgain) < 400) {
    j.findings.add('unexpected-status', `${lastAgain.label} was answered ${status(lastAgain)}, expected the same refusal (4xx) as the first time`, { exchanges: [first, lastAgain] });
  }
  const invalidEffects = obs.afterInvalid && run.before ? obs.afterInvalid.count - run.before.count : undefined;
  if (invalidEffects !== undefined && invalidEffects > 0) {
    j.findings.add('duplicate-effect', `the refused invalid payload made ${plural(invalidEffects, 'side effect')}`, {
      exchanges: [first, ...again],
      oracle: { before: run.before!.count, after: obs.afterInvalid!.count },
    });
  }

  // The corrected request, same key: as expect.afterError says.
  const code = status(lastCorrected);
  const exchanges = [first, lastAgain, ...corrected];
  if (obs.correctedStuck) {
    j.findings.add('unexpected-status', `${lastCorrected.label}: ${locked.replace('%s', String(code))}`, { exchanges });
  } else if (code >= 500) {
    checkStatus(j.findings, lastCorrected, [], '');
  } else if (isSuccess(expect, lastCorrected)) {
    if (expect.afterError === 'reject') {
      j.findings.add('unexpected-status', `${lastCorrected.label} was answered ${code} and processed, though the API declares a key used with an invalid payload stays refused (afterError: reject)`, { exchanges });
    }
    const made = effectsOf(run) === undefined ? undefined : effectsOf(run)! - Math.max(0, invalidEffects ?? 0);
    if (made === 0) lostEffect(j, run, exchanges);
    else if (made !== undefined && made > 1) j.findings.add('duplicate-effect', `${lastCorrected.label} made ${plural(made, 'side effect')} (expected 1)`, { exchanges, oracle: counts(run) });
    else describesEffect(j, run, lastCorrected, exchanges);
  } else if (expect.afterError === 'process') {
    j.findings.add('unexpected-status', `${lastCorrected.label} was answered ${code}, though the corrected request must be processed (afterError: process)`, { exchanges });
  } else if (code < 400) {
    checkStatus(j.findings, lastCorrected, [expect.success], `a success (${expect.success.text}) or a refusal (4xx)`);
  }
  const metrics: ErrorRetryMetrics = {
    invalidStatus: status(first),
    againStatus: status(lastAgain),
    correctedStatus: code,
    inFlightRetries: again.length - 1 + corrected.length - 1,
  };
  return { findings: j.findings.list(), metrics };
}
