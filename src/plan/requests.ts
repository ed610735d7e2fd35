// What a run would send, without sending it: each attack's own preview, and
// how many side effects they may create. `--dry-run` prints it and
// `--max-requests` checks the budget against it.
import { attackById, type AttackId } from '../attacks/index.js';
import type { PlannedRequest, Preview, PreviewContext } from '../attacks/contract.js';
import { settleReads } from '../engine/oracle.js';
import type { HttpRequest } from '../model/http.js';
import { inheritedHeaders, newRun, previewCaptures, renderRequest, type RenderContext } from '../scenario/render.js';
import type { Scenario, TemplateScope } from '../scenario/types.js';
import type { ScenarioPlan } from './plan.js';

export type { PlannedRequest };

export interface PlannedAttack extends Preview {
  attack: AttackId;
  skip?: string;
}

/** Requests to the operation, per attack, with fresh keys as a real run would use. */
export function plannedRequests(plan: ScenarioPlan, scope: TemplateScope): PlannedAttack[] {
  const { scenario } = plan;
  const captures = previewCaptures(scenario);
  const settle = plan.responseOnly ? 0 : settleReads(scenario.effects?.settleMs ?? 0);
  const ctx: PreviewContext = {
    // As the first tenant, as a run would send them.
    newRun: (): RenderContext => ({ scope, run: newRun(), captures, ...(scenario.tenants?.[0] ? { tenant: scenario.tenants[0] } : {}) }),
    // One read before the run, then the settle polls after it.
    readsPerRun: plan.responseOnly ? 0 : 1 + settle,
    settleReads: settle,
  };
  return plan.attacks.map((a) => {
    if (a.skip) return { attack: a.id, skip: a.skip, requests: [], oracleReads: 0, effects: { correct: 0, atMost: 0 } };
    return { attack: a.id, ...attackById(a.id)!.preview(scenario, a.config, ctx) };
  });
}

/** Requests a run sends at the least: operation requests plus oracle reads. */
export function requestBudget(planned: PlannedAttack[]): number {
  return planned.reduce((n, a) => n + a.oracleReads + a.requests.reduce((m, r) => m + r.times, 0), 0);
}

/** The oracle request as a run would send it (for --dry-run). */
export function plannedOracleRequest(s: Scenario, scope: TemplateScope): HttpRequest | string | undefined {
  const count = s.effects?.count;
  if (!count) return undefined;
  const ctx = { scope, run: newRun(), captures: previewCaptures(s) };
  if (count.kind === 'command') return count.command;
  return renderRequest(s, count.request, ctx, { keyHeader: false, inherit: inheritedHeaders(s, ctx) });
}
