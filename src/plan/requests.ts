// What a run would send, without sending it: the requests of each attack, and
// how many side effects they may create. `--dry-run` prints it and
// `--max-requests` checks the budget against it.
import type { HttpRequest } from '../model/http.js';
import type { Scenario, TemplateScope } from '../scenario/types.js';
import { changedPayload, type AttackPlan, type ScenarioPlan } from './plan.js';
import { inheritedHeaders, newRun, previewCaptures, renderOperation, renderRequest, type RenderContext } from '../scenario/render.js';
import { renderValue } from '../scenario/template.js';

export interface PlannedRequest {
  label: string;
  request: HttpRequest;
  /** How many times it is sent (a burst sends one request N times). */
  times: number;
}

export interface PlannedAttack {
  attack: AttackPlan['id'];
  skip?: string;
  requests: PlannedRequest[];
  /** Oracle reads, at least (settling polls more). */
  oracleReads: number;
  /** Side effects on an API that handles keys correctly, and at most on one that ignores them. */
  effects: { correct: number; atMost: number };
}

/** Requests to the operation, per attack, with fresh keys as a real run would use. */
export function plannedRequests(plan: ScenarioPlan, scope: TemplateScope): PlannedAttack[] {
  return plan.attacks.map((attack) => {
    if (attack.skip) return { attack: attack.id, skip: attack.skip, requests: [], oracleReads: 0, effects: { correct: 0, atMost: 0 } };
    return plannedAttack(plan.scenario, attack, scope, plan.responseOnly);
  });
}

function plannedAttack(s: Scenario, attack: AttackPlan, scope: TemplateScope, responseOnly: boolean): PlannedAttack {
  const captures = previewCaptures(s);
  const run = (): RenderContext => ({ scope, run: newRun(), captures });
  // Per run: one read before, and after it the settle polls (every 50 ms until the count held for settleMs).
  const settlePolls = 1 + Math.ceil((s.effects?.settleMs ?? 0) / 50);
  const reads = (runs: number) => (responseOnly ? 0 : runs * (1 + settlePolls));
  switch (attack.id) {
    case 'replay': {
      const req = renderOperation(s, run());
      return planned(attack.id, [p('original', req), p('retry (same key)', req)], reads(1), 1, 2);
    }
    case 'concurrent': {
      const { requests: n, bursts, engine } = attack.config;
      // Warming sends the oracle request, so only an HTTP oracle warms.
      const warm = !responseOnly && s.effects?.count?.kind === 'request' ? attack.config.warm : 0;
      const list = Array.from({ length: bursts }, (_, b) => {
        const where = bursts > 1 ? `burst ${b + 1}/${bursts}: ` : '';
        const after = warm > 0 ? `, after ${warm} warming request${warm === 1 ? '' : 's'} (the oracle request)` : '';
        return p(`${where}${n} duplicates, released together (engine ${engine})${after}`, renderOperation(s, run()), n);
      });
      return planned(attack.id, list, reads(bursts) + warm * bursts, bursts, n * bursts);
    }
    case 'reuse': {
      const ctx = run();
      const req = renderOperation(s, ctx);
      const rendered = JSON.parse(req.body!.toString('utf8')) as unknown;
      const change = attack.config.change ? (renderValue(attack.config.change, ctx) as Record<string, unknown>) : undefined;
      const changed = renderOperation(s, ctx, changedPayload(s.request.json, change, rendered));
      return planned(attack.id, [p('original', req), p('same key, changed payload', changed)], reads(1), 1, 2);
    }
    case 'expiry': {
      const a = renderOperation(s, run());
      const b = renderOperation(s, run());
      const list = [p('key A: original', a), p('key A: retry before the ttl', a), p('key B: original', b), p('key B: retry after ttl + margin', b)];
      return planned(attack.id, list, reads(2), s.expect.afterExpiry === 'new' ? 3 : 2, 4);
    }
    case 'drop': {
      const cuts = attack.config.at.flatMap((point) => (point === 'mid-body' ? ['mid-body-first', 'mid-body-middle', 'mid-body-last'] : [point]));
      const list = cuts.flatMap((cut) => {
        const req = renderOperation(s, run());
        return [p(`cut ${cut}`, req), p('retry (same key; again while in flight, up to 10 s)', req)];
      });
      const midBody = cuts.filter((c) => c.startsWith('mid-body')).length;
      return planned(attack.id, list, reads(cuts.length) + (responseOnly ? 0 : midBody * settlePolls), cuts.length, cuts.length * 2);
    }
  }
}

function p(label: string, request: HttpRequest, times = 1): PlannedRequest {
  return { label, request, times };
}

function planned(attack: AttackPlan['id'], requests: PlannedRequest[], oracleReads: number, correct: number, atMost: number): PlannedAttack {
  return { attack, requests, oracleReads, effects: { correct, atMost } };
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
