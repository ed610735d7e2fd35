// reuse: the same key with another payload once the first was answered.
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { isPlainObject } from '../../model/values.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { judge } from './judge.js';
import { changedPayload, reuseRequests } from './payload.js';

export interface ReuseConfig {
  /** Fields merged into the rendered `request.json` for the second request. */
  change?: Record<string, unknown>;
}

export interface ReuseObservation {
  attack: 'reuse';
  run: Run;
  original: Exchange;
  changed: Exchange;
}

export interface ReuseMetrics extends AttackMetrics {
  effects?: number;
}

export const LABELS = { original: 'original', changed: 'same key, changed payload' } as const;

export const reuse = defineAttack({
  id: 'reuse',
  summary: 'the same key with a changed payload: refused (expect.mismatch), no second effect',
  schema: {
    description: 'Reuse the key with a different body: it must be rejected.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      change: { description: 'Fields merged into request.json for the second request (needs request.json to be an object).', type: 'object' },
    },
  },
  metricsSchema: { type: 'object', properties: { effects: { type: 'number' } } },
  defaults: {} as ReuseConfig,
  normalize: (raw): ReuseConfig => (isPlainObject(raw.change) ? { change: raw.change } : {}),
  check(raw, at) {
    if (!isPlainObject(raw.change)) return;
    const request = isPlainObject(at.scenario.request) ? at.scenario.request : undefined;
    const json = request?.json;
    if (isPlainObject(json)) return;
    const what =
      request && 'body' in request && !('json' in request)
        ? 'this scenario sends a raw body'
        : json === undefined
          ? 'request.json is missing'
          : `request.json is ${kindOf(json)}`;
    at.error(['change'], `reuse.change is merged into request.json, which must be a map; ${what}`);
  },
  skip(scenario, config) {
    if (scenario.request.body !== undefined) {
      return config.change
        ? '`attacks.reuse.change` merges into `request.json`; this scenario sends a raw `body:`'
        : 'a raw `body:` needs `attacks.reuse.change` to say what differs';
    }
    if (config.change) return undefined;
    if (changedPayload(scenario.request.json, undefined) === undefined) return 'no field of `request.json` is free of templates to change; give `attacks.reuse.change`';
    return undefined;
  },
  preview(scenario, config, ctx) {
    const run = ctx.newRun();
    const { original, changed } = reuseRequests(scenario, config, run);
    return preview([planned(LABELS.original, original), planned(LABELS.changed, changed)], ctx.reads(run, ctx.readsPerRun, 'before and after the run'), 1, 2);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
});

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
