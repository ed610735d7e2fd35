// What a run would send, without sending it: each attack's own preview, and
// how many side effects they may create. `--dry-run` prints it and
// `--max-requests` checks the budget against it.
import { attackById, type AttackId } from '../attacks/index.js';
import type { PlannedRead, PlannedRequest, Preview, PreviewContext } from '../attacks/contract.js';
import { settleReads } from '../engine/oracle.js';
import { inheritedHeaders, newRun, previewCaptures, renderCommand, renderRequest, type RenderContext } from '../scenario/render.js';
import type { Scenario, TemplateScope } from '../scenario/types.js';
import type { ScenarioPlan } from './plan.js';

export type { PlannedRead, PlannedRequest };

export interface PlannedAttack extends Preview {
  attack: AttackId;
  skip?: string;
  /** How many times the attack runs (`--repeat`): the requests and reads listed are one run's, each run with fresh keys and run ids. */
  runs: number;
}

/** Requests to the operation and oracle reads, per attack, with fresh keys and run ids as a real run would use. */
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
    reads: (run, times, label) => oracleReads(scenario, run, times, label),
  };
  return plan.attacks.map((a) => {
    if (a.skip) return { attack: a.id, skip: a.skip, requests: [], reads: [], effects: { correct: 0, atMost: 0 }, runs: 0 };
    return { attack: a.id, ...attackById(a.id)!.preview(scenario, a.config, ctx), runs: plan.repeat ?? 1 };
  });
}

/** The oracle as this attack run reads it: its request (or command) rendered with the run's own run id. */
function oracleReads(s: Scenario, run: RenderContext, times: number, label: string): PlannedRead[] {
  const count = s.effects?.count;
  if (!count || times <= 0) return [];
  if (count.kind === 'command') return [{ label, command: renderCommand(count.command, run), times }];
  return [{ label, request: renderRequest(s, count.request, run, { keyHeader: false, inherit: inheritedHeaders(s, run) }), times }];
}

/**
 * HTTP requests a run sends at the least: operation requests plus HTTP oracle
 * reads (a command oracle sends none). Conditional ones (sent only if what
 * the run measures says so) are left out: conditionalRequests counts them.
 */
export function requestBudget(planned: PlannedAttack[]): number {
  return httpRequests(planned, false);
}

/** HTTP requests a run sends on top of the budget when every conditional step runs (at the least, as the budget). */
export function conditionalRequests(planned: PlannedAttack[]): number {
  return httpRequests(planned, true);
}

function httpRequests(planned: PlannedAttack[], conditional: boolean): number {
  const counted = (item: { condition?: string }) => (item.condition !== undefined) === conditional;
  const ops = planned.reduce((n, a) => n + a.runs * a.requests.filter(counted).reduce((m, r) => m + r.times, 0), 0);
  const reads = planned.reduce((n, a) => n + a.runs * a.reads.filter((r) => r.request && counted(r)).reduce((m, r) => m + r.times, 0), 0);
  return ops + reads;
}

/** Command oracle runs at the least: they send nothing over HTTP, so the budget leaves them out; conditional ones are left out too. */
export function commandRuns(planned: PlannedAttack[]): number {
  return planned.reduce((n, a) => n + a.runs * a.reads.filter((r) => r.command !== undefined && r.condition === undefined).reduce((m, r) => m + r.times, 0), 0);
}
