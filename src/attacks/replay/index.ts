// replay: the same request with the same key once the first was answered.
import { renderOperation } from '../../scenario/render.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { judge } from './judge.js';

export interface ReplayObservation {
  attack: 'replay';
  run: Run;
  original: Exchange;
  retry: Exchange;
}

export interface ReplayMetrics extends AttackMetrics {
  /** New side effects of the key; absent without an oracle. */
  effects?: number;
}

export const LABELS = { original: 'original', retry: 'retry (same key)' } as const;

export const replay = defineAttack({
  id: 'replay',
  summary: 'the same request with the same key after the first was answered: one effect, the same response',
  schema: {
    description: 'Send the request, then send it again with the same key: the second must replay the first.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {},
  },
  metricsSchema: { type: 'object', properties: { effects: { type: 'number' } } },
  defaults: {} as Record<string, never>,
  normalize: () => ({}),
  skip: () => undefined,
  preview(scenario, _config, ctx) {
    const run = ctx.newRun();
    const request = renderOperation(scenario, run);
    return preview([planned(LABELS.original, request), planned(LABELS.retry, request)], ctx.reads(run, ctx.readsPerRun, 'before and after the run'), 1, 2);
  },
  execute: async (env) => (await import('./execute.js')).execute(env),
  judge,
});
