// Under `missingKey: reject` a request without a usable key is refused and
// makes nothing; under `allow` it is processed once; a key of the documented
// maximum length always works.
import { statusIn } from '../../scenario/status.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { describesEffect, expectOneEffect, newJudge, type Judge } from '../../judge/rules.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { KeyProbeObservation, MissingKeyMetrics, MissingKeyObservation } from './index.js';

export function judge(obs: MissingKeyObservation, ctx: JudgeContext): Judgement<MissingKeyMetrics> {
  const j = newJudge(ctx);
  const { missingKey } = j.scenario.expect;
  for (const probe of obs.probes) {
    if (status(probe.exchange) >= 500) {
      checkStatus(j.findings, probe.exchange, [], '');
      continue;
    }
    if (probe.case === 'key of the maximum length') mustSucceed(j, probe, 'a key of the documented maximum length was refused');
    else if (probe.case === 'key over the maximum') mustRefuse(j, probe);
    else if (missingKey === 'reject') mustRefuse(j, probe);
    else if (probe.case === 'no key') mustSucceed(j, probe, 'a request without a key was refused, though the API declares keys optional (missingKey: allow)');
    // An empty key under `allow`: processed like no key, or refused.
    else if (isSuccess(j.scenario.expect, probe.exchange)) expectOneEffect(j, probe.run, [probe.exchange], [probe.exchange], probe.exchange.label);
    else mustRefuse(j, probe);
  }
  const metrics: MissingKeyMetrics = {
    statuses: Object.fromEntries(obs.probes.map((p) => [p.case, status(p.exchange)])),
    effects: Object.fromEntries(obs.probes.map((p) => [p.case, effectsOf(p.run) ?? null])),
  };
  return { findings: j.findings.list(), metrics };
}

/** Refused with a status in `expect.invalidKey`, and nothing made. */
function mustRefuse(j: Judge, probe: KeyProbeObservation): void {
  const { invalidKey } = j.scenario.expect;
  const code = status(probe.exchange);
  const effects = effectsOf(probe.run);
  const evidence = { exchanges: [probe.exchange], oracle: counts(probe.run) };
  if (!statusIn(invalidKey, code)) {
    const made = effects !== undefined && effects > 0 ? ` and made ${effects === 1 ? 'a side effect' : `${effects} side effects`}` : '';
    j.findings.add('key-not-enforced', `a request with ${probe.exchange.label} was answered ${code}${made}, expected a refusal (${invalidKey.text})`, evidence);
  } else if (effects !== undefined && effects > 0) {
    j.findings.add('key-not-enforced', `a request with ${probe.exchange.label} was refused (${code}) but still made a side effect`, evidence);
  }
}

/** A success with exactly one effect. */
function mustSucceed(j: Judge, probe: KeyProbeObservation, refused: string): void {
  const { success } = j.scenario.expect;
  if (!isSuccess(j.scenario.expect, probe.exchange)) {
    j.findings.add('unexpected-status', `${refused}: answered ${status(probe.exchange)}, expected ${success.text}`, { exchanges: [probe.exchange], oracle: counts(probe.run) });
    return;
  }
  expectOneEffect(j, probe.run, [probe.exchange], [probe.exchange], probe.exchange.label);
  if (effectsOf(probe.run) === undefined) describesEffect(j, probe.run, probe.exchange, [probe.exchange]);
}
