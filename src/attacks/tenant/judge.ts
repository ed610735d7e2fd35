// Another tenant sending a tenant's key must never get that tenant's
// response; processed, it makes an effect of its own, and its changed payload
// is judged as reuse judges it.
import { selectId } from '../../engine/oracle.js';
import { checkStatus, counts, effectsOf, isSuccess, status } from '../../judge/findings.js';
import { compare, describesEffect, lostEffect, newJudge, type Judge } from '../../judge/rules.js';
import { formatStatusSet } from '../../scenario/status.js';
import type { Exchange } from '../../model/http.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { TenantMetrics, TenantObservation } from './index.js';

export function judge(obs: TenantObservation, ctx: JudgeContext): Judgement<TenantMetrics> {
  const j = newJudge(ctx);
  const { expect } = j.scenario;
  const { original, same, changed, secondRun } = obs;
  const [a, b] = j.scenario.tenants!;
  const leaked = [same, changed].filter((e) => status(e) < 500 && isSuccess(expect, e) && isFirstTenants(j, original, e));
  for (const e of leaked) {
    j.findings.add('tenant-leak', `${e.label} was answered ${status(e)} with ${a!.name}'s response: one caller can read another's results by guessing or reusing a key`, {
      exchanges: [original, e],
      oracle: counts(secondRun),
    });
  }
  for (const e of [same, changed]) if (status(e) >= 500) checkStatus(j.findings, e, [], '');
  const shared = status(same) >= 400 && status(same) < 500;
  if (!leaked.includes(same) && isSuccess(expect, same)) {
    // Processed as the second tenant's own request: it must exist, and the changed payload must be refused.
    if (effectsOf(secondRun) === 0) lostEffect(j, secondRun, [original, same]);
    else describesEffect(j, secondRun, same, [original, same]);
    if (!leaked.includes(changed)) judgeChanged(j, same, changed, obs);
  }
  const metrics: TenantMetrics = {
    tenants: [a!.name, b!.name],
    sameKeyStatus: status(same),
    changedStatus: status(changed),
    keySharedAcrossTenants: shared,
    effectsOfSecond: effectsOf(secondRun) ?? null,
  };
  return { findings: j.findings.list(), metrics };
}

/** The response is the first tenant's: the same body, or naming the first tenant's resource. */
function isFirstTenants(j: Judge, original: Exchange, e: Exchange): boolean {
  const idPath = j.scenario.effects?.id;
  const id = idPath ? selectId(original.response!.body, idPath) : undefined;
  if (id !== undefined && selectId(e.response!.body, idPath!) === id) return true;
  return compare(j, original, e).length === 0;
}

/** As reuse: the second tenant's key with a changed payload must be a mismatch. */
function judgeChanged(j: Judge, same: Exchange, changed: Exchange, obs: TenantObservation): void {
  const { expect } = j.scenario;
  const code = status(changed);
  if (code < 500 && isSuccess(expect, changed)) {
    j.findings.add('mismatch-accepted', `${changed.label} was answered ${code}, expected ${formatStatusSet(expect.mismatch)}`, {
      exchanges: [same, changed],
      oracle: counts(obs.secondRun),
    });
  } else if (code < 500) {
    checkStatus(j.findings, changed, [expect.mismatch], `a mismatch status (${expect.mismatch.text})`);
  }
}
