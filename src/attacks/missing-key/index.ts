// missing-key: what the API does with no key, an empty key, a key one
// character over its documented maximum, and one of exactly the maximum.
import { renderOperation } from '../../scenario/render.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { judge } from './judge.js';
import { keyProbes, withKey, type KeyCase } from './requests.js';

export interface KeyProbeObservation {
  case: KeyCase;
  run: Run;
  exchange: Exchange;
}

export interface MissingKeyObservation {
  attack: 'missing-key';
  probes: KeyProbeObservation[];
}

export interface MissingKeyMetrics extends AttackMetrics {
  /** Status per case ("no key", "empty key", ...). */
  statuses: Record<string, number>;
  /** New side effects per case; null without an oracle. */
  effects: Record<string, number | null>;
}

export const missingKey = defineAttack({
  id: 'missing-key',
  summary: 'no key, an empty key, a key one character over idempotency.maxLength, one of exactly the maximum: refused (or processed once under missingKey: allow)',
  schema: {
    description: 'Send the request without a key, with an empty key, with a key one character over idempotency.maxLength and one of exactly that length.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {},
  },
  metricsSchema: {
    type: 'object',
    required: ['statuses', 'effects'],
    properties: { statuses: { type: 'object' }, effects: { type: 'object' } },
  },
  defaults: {} as Record<string, never>,
  normalize: () => ({}),
  skip: () => undefined,
  preview(scenario, _config, ctx) {
    const probes = keyProbes(scenario);
    const runs = probes.map(() => ctx.newRun());
    const list = probes.map((p, i) => planned(p.label, withKey(renderOperation(scenario, runs[i]!), scenario.idempotency.header, p.key)));
    const reads = probes.flatMap((p, i) => ctx.reads(runs[i]!, ctx.readsPerRun, `${p.case}: before and after`));
    const allow = scenario.expect.missingKey === 'allow';
    // Correct: (d), and under allow (a) and perhaps (b); at most one per request.
    const hasMax = scenario.idempotency.maxLength !== undefined;
    return preview(list, reads, (hasMax ? 1 : 0) + (allow ? 2 : 0), probes.length);
  },
  execute: async (env) => (await import('./execute.js')).execute(env),
  judge,
  describe: (m) =>
    Object.entries(m.statuses)
      .map(([c, s]) => `${c} ${s}`)
      .join(', '),
});
