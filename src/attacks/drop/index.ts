// drop: cut the connection at chosen points of the first exchange, then retry
// with the same key.
import { renderOperation } from '../../scenario/render.js';
import type { CutPoint } from '../../engine/h1/index.js';
import type { OracleReading } from '../../engine/oracle.js';
import type { Scenario } from '../../scenario/types.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { defineAttack, type PlannedRead, type PlannedRequest, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { cutsOf, DROP_POINTS, isMidBody, type DropPoint } from './cuts.js';
import { IN_FLIGHT_BOUND_MS } from '../run.js';
import { judge } from './judge.js';

export interface DropConfig {
  at: DropPoint[];
}

export interface DropCutObservation {
  point: CutPoint;
  run: Run;
  cut: Exchange;
  /** Mid-body cuts: the oracle right after the cut (must show no effect). */
  afterCut?: OracleReading;
  /** The retries with the full request, last one final. */
  retries: Exchange[];
  /** True when the last retry was still answered "in flight" at the bound. */
  stuck: boolean;
}

export interface DropObservation {
  attack: 'drop';
  cuts: DropCutObservation[];
}

export interface DropMetrics extends AttackMetrics {
  cuts: string[];
  retries: number;
}

export const cutLabel = (point: CutPoint): string => `cut ${point}`;
export const retryLabel = (attempt: number): string => `retry ${attempt} (same key)`;

export const drop = defineAttack({
  id: 'drop',
  summary: 'a TCP reset after the request is sent, mid-body or mid-response, then a retry with the same key: one effect, none from a cut body',
  schema: {
    description: 'Cut the connection at points of the first exchange, then retry with the same key.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      at: {
        description: 'Where to cut: after the request is sent, in the middle of the body, in the middle of the response.',
        type: 'array',
        minItems: 1,
        uniqueItems: true,
        items: { type: 'string', enum: [...DROP_POINTS] },
        default: [...DROP_POINTS],
      },
    },
  },
  metricsSchema: {
    type: 'object',
    required: ['cuts', 'retries'],
    properties: { cuts: { type: 'array', items: { type: 'string' } }, retries: { type: 'number' } },
  },
  defaults: { at: [...DROP_POINTS] } as DropConfig,
  normalize: (raw): DropConfig => ({ at: Array.isArray(raw.at) ? (raw.at as DropPoint[]) : [...DROP_POINTS] }),
  // A mid-body cut needs a body to cut.
  configure: (scenario, config) => (hasBody(scenario) ? config : { at: config.at.filter((p) => p !== 'mid-body') }),
  skip: (_scenario, config) =>
    config.at.length === 0 ? 'the request has no body to cut mid-body; add after-send or mid-response to `attacks.drop.at`' : undefined,
  preview(scenario, config, ctx) {
    const cuts = cutsOf(config.at);
    const list: PlannedRequest[] = [];
    const reads: PlannedRead[] = [];
    for (const cut of cuts) {
      const run = ctx.newRun();
      const request = renderOperation(scenario, run);
      list.push(planned(cutLabel(cut), request), planned(`retry (same key; again while in flight, up to ${IN_FLIGHT_BOUND_MS / 1000} s)`, request));
      // A mid-body cut settles the oracle once more, right after the cut.
      const when = isMidBody(cut) ? 'before, after the cut and after the retry' : 'before and after';
      reads.push(...ctx.reads(run, ctx.readsPerRun + (isMidBody(cut) ? ctx.settleReads : 0), `${cutLabel(cut)}: ${when}`));
    }
    return preview(list, reads, cuts.length, cuts.length * 2);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
});

function hasBody(scenario: Scenario): boolean {
  const { json, body } = scenario.request;
  return json !== undefined || (body !== undefined && body.length >= 2);
}
