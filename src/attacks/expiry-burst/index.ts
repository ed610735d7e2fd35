// expiry-burst: concurrent duplicates right after a key expired.
import { renderOperation } from '../../scenario/render.js';
import { checkMargin, parseMargin, type Margin } from '../../scenario/duration.js';
import { ENGINE_NAMES, type EngineName } from '../../scenario/types.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { judge } from './judge.js';

export interface ExpiryBurstConfig {
  requests: number;
  margin: Margin;
  engine: EngineName;
}

export interface ExpiryBurstObservation {
  attack: 'expiry-burst';
  ttlMs: number;
  engine: string;
  run: Run;
  original: Exchange;
  exchanges: Exchange[];
  releaseSkewMs: number;
  /** From the first response to the burst's first release. */
  burstAfterMs: number;
}

export interface ExpiryBurstMetrics extends AttackMetrics {
  engine: string;
  requests: number;
  ttlMs: number;
  burstAfterMs: number;
  releaseSkewMs: number;
  statuses: Record<string, number>;
  /** Effects the burst added to the original's; null without an oracle. */
  newEffects: number | null;
}

export const LABEL_ORIGINAL = 'original';
export const burstLabels = (n: number): string[] => Array.from({ length: n }, (_, i) => `after expiry: duplicate ${i + 1}/${n}`);

const DEFAULTS: ExpiryBurstConfig = { requests: 10, margin: { fraction: 0.2 }, engine: 'auto' };

export const expiryBurst = defineAttack({
  id: 'expiry-burst',
  summary: 'a key used once, then N duplicates released together after ttl + margin: at most one new effect (needs idempotency.ttl)',
  schema: {
    description: 'Use a key once, wait past idempotency.ttl, then release a burst of duplicates with it: expired records handled in two steps let them all through.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      requests: { description: 'Duplicates in the burst after the expiry.', type: 'integer', minimum: 2, maximum: 1000, default: DEFAULTS.requests },
      margin: { description: 'How long past the ttl to wait: a duration or a percentage of the ttl.', $ref: '#/definitions/margin', default: '20%' },
      engine: { description: 'How the burst is released, as for concurrent (--engine overrides it).', type: 'string', enum: [...ENGINE_NAMES], default: DEFAULTS.engine },
    },
  },
  metricsSchema: {
    type: 'object',
    required: ['engine', 'requests', 'ttlMs', 'statuses'],
    properties: { engine: { type: 'string' }, requests: { type: 'number' }, ttlMs: { type: 'number' }, statuses: { type: 'object' }, newEffects: { type: ['number', 'null'] } },
  },
  defaults: DEFAULTS,
  drawsTimelines: true,
  normalize: (raw): ExpiryBurstConfig => ({
    requests: typeof raw.requests === 'number' ? raw.requests : DEFAULTS.requests,
    margin: raw.margin === undefined ? { ...DEFAULTS.margin } : parseMargin(String(raw.margin)),
    engine: (ENGINE_NAMES as readonly unknown[]).includes(raw.engine) ? (raw.engine as EngineName) : DEFAULTS.engine,
  }),
  check: checkMargin,
  configure: (_scenario, config, flags) => (flags.engine !== undefined ? { ...config, engine: flags.engine as EngineName } : config),
  skip: (scenario) => (scenario.idempotency.ttlMs === undefined ? 'declare `idempotency.ttl` (the retention the API documents)' : undefined),
  preview(scenario, config, ctx) {
    const run = ctx.newRun();
    const request = renderOperation(scenario, run);
    const after = scenario.expect.afterExpiry === 'new' || scenario.expect.afterExpiry === 'any' ? 2 : 1;
    return preview([planned(LABEL_ORIGINAL, request), planned(`${config.requests} duplicates released together after ttl + margin (engine ${config.engine})`, request, config.requests)], ctx.reads(run, ctx.readsPerRun, 'before and after the run'), after, 1 + config.requests);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
  describe: (m) => `${m.engine}: ${m.requests} duplicates ${m.burstAfterMs} ms after the first response, release skew ≤ ${m.releaseSkewMs.toFixed(2)} ms`,
});
