// expiry: retries shortly before the declared ttl (must replay) and after it
// (must follow expect.afterExpiry).
import { renderOperation } from '../../scenario/render.js';
import { checkMargin, parseMargin, type Margin } from '../../scenario/duration.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { judge } from './judge.js';

export interface ExpiryConfig {
  /** Margin past the ttl for key B: an absolute duration or a fraction of the ttl. */
  margin: Margin;
}

export interface ExpiryKeyObservation {
  run: Run;
  original: Exchange;
  retry: Exchange;
  /** When the retry was scheduled, relative to the original's send (A) or response (B). */
  retryAfterMs: number;
}

export interface ExpiryObservation {
  attack: 'expiry';
  ttlMs: number;
  /** Retried shortly before the ttl: must still replay. */
  before: ExpiryKeyObservation;
  /** Retried after ttl + margin: must follow `afterExpiry`. */
  after: ExpiryKeyObservation;
}

export interface ExpiryMetrics extends AttackMetrics {
  ttlMs: number;
  retryBeforeTtlMs: number;
  retryAfterTtlMs: number;
  effectsBeforeTtl?: number;
  effectsAfterTtl?: number;
}

export const LABELS = {
  A: { original: 'key A: original', retry: 'key A: retry before the ttl' },
  B: { original: 'key B: original', retry: 'key B: retry after ttl + margin' },
} as const;

/** Key A is retried ttl − max(10 % of ttl, 200 ms) after its first request was sent. */
export function retryBeforeTtlMs(ttlMs: number): number {
  return ttlMs - Math.max(ttlMs * 0.1, 200);
}

const DEFAULTS: ExpiryConfig = { margin: { fraction: 0.2 } };

export const expiry = defineAttack({
  id: 'expiry',
  summary: 'retries just before idempotency.ttl (must replay) and after ttl + margin (must follow expect.afterExpiry)',
  schema: {
    description: 'Reuse the key after idempotency.ttl has passed.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      margin: { description: 'How long past the ttl to wait: a duration or a percentage of the ttl.', $ref: '#/definitions/margin', default: '20%' },
    },
  },
  metricsSchema: {
    type: 'object',
    required: ['ttlMs', 'retryBeforeTtlMs', 'retryAfterTtlMs'],
    properties: {
      ttlMs: { type: 'number' },
      retryBeforeTtlMs: { type: 'number' },
      retryAfterTtlMs: { type: 'number' },
      effectsBeforeTtl: { type: 'number' },
      effectsAfterTtl: { type: 'number' },
    },
  },
  defaults: DEFAULTS,
  normalize: (raw): ExpiryConfig => ({ margin: raw.margin === undefined ? { ...DEFAULTS.margin } : parseMargin(String(raw.margin)) }),
  check: checkMargin,
  // An expiry attack without a ttl is not a scenario error: it is skipped with the reason.
  skip: (scenario) => (scenario.idempotency.ttlMs === undefined ? 'declare `idempotency.ttl` (the retention the API documents)' : undefined),
  preview(scenario, _config, ctx) {
    const [runA, runB] = [ctx.newRun(), ctx.newRun()];
    const a = renderOperation(scenario, runA);
    const b = renderOperation(scenario, runB);
    const list = [planned(LABELS.A.original, a), planned(LABELS.A.retry, a), planned(LABELS.B.original, b), planned(LABELS.B.retry, b)];
    const reads = [...ctx.reads(runA, ctx.readsPerRun, 'key A: before and after'), ...ctx.reads(runB, ctx.readsPerRun, 'key B: before and after')];
    return preview(list, reads, scenario.expect.afterExpiry === 'new' ? 3 : 2, 4);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
});
