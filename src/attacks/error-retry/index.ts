// error-retry: a key used with an invalid payload, then retried, then
// corrected: it must not stay locked.
import type { OracleReading } from '../../engine/oracle.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { isPlainObject } from '../../model/values.js';
import { defineAttack, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { IN_FLIGHT_BOUND_MS } from '../run.js';
import { judge } from './judge.js';
import { errorRetryRequests, LABELS } from './requests.js';

export interface ErrorRetryConfig {
  /** Merged into request.json (`json`), or the raw body to send instead (`body`). */
  invalid?: { json: Record<string, unknown> } | { body: string };
}

export interface ErrorRetryObservation {
  attack: 'error-retry';
  run: Run;
  first: Exchange;
  /** The identical invalid request again, through in-flight answers; the last is final. */
  again: Exchange[];
  againStuck: boolean;
  /** The corrected request, same key, through in-flight answers. */
  corrected: Exchange[];
  correctedStuck: boolean;
  /** The oracle after the invalid requests, before the corrected one. */
  afterInvalid?: OracleReading;
}

export interface ErrorRetryMetrics extends AttackMetrics {
  invalidStatus: number;
  againStatus: number;
  correctedStatus: number;
  /** Requests answered "in flight" and retried after Retry-After. */
  inFlightRetries: number;
}

export const errorRetry = defineAttack({
  id: 'error-retry',
  summary: 'a key used with an invalid payload, the same again, then the corrected request: never locked, corrected as expect.afterError says (needs invalid:)',
  schema: {
    description: 'Use a key with an invalid payload (refused), send it again, then send the corrected request with the same key: the key must not stay locked after the error.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      invalid: {
        description: 'The invalid payload: `json` fields merged into request.json (as reuse.change is), or a raw `body` sent instead.',
        type: 'object',
        additionalProperties: false,
        minProperties: 1,
        maxProperties: 1,
        properties: { json: { description: 'Fields merged into request.json.', type: 'object' }, body: { description: 'The raw body to send instead.', type: 'string' } },
      },
    },
  },
  metricsSchema: {
    type: 'object',
    required: ['invalidStatus', 'againStatus', 'correctedStatus'],
    properties: { invalidStatus: { type: 'number' }, againStatus: { type: 'number' }, correctedStatus: { type: 'number' }, inFlightRetries: { type: 'number' } },
  },
  defaults: {} as ErrorRetryConfig,
  normalize(raw): ErrorRetryConfig {
    const invalid = isPlainObject(raw.invalid) ? raw.invalid : undefined;
    if (invalid && isPlainObject(invalid.json)) return { invalid: { json: invalid.json } };
    if (invalid && typeof invalid.body === 'string') return { invalid: { body: invalid.body } };
    return {};
  },
  check(raw, at) {
    const invalid = isPlainObject(raw.invalid) ? raw.invalid : undefined;
    if (!invalid || !('json' in invalid)) return;
    if (!isPlainObject(isPlainObject(at.scenario.request) ? at.scenario.request.json : undefined)) {
      at.error(['invalid', 'json'], 'error-retry.invalid.json is merged into request.json, which must be a map; use invalid.body for a raw body');
    }
  },
  skip: (_scenario, config) => (config.invalid ? undefined : 'give `attacks.error-retry.invalid` (a payload the API refuses: `json` fields merged into the request, or a raw `body`)'),
  preview(scenario, config, ctx) {
    const run = ctx.newRun();
    const { invalid, valid } = errorRetryRequests(scenario, config, run);
    const through = ` (again while in flight, up to ${IN_FLIGHT_BOUND_MS / 1000} s)`;
    const list = [planned(LABELS.invalid, invalid), planned(LABELS.again(1) + through, invalid), planned(LABELS.valid(1) + through, valid)];
    // Read before, settled after the invalid requests, settled again after the corrected one.
    return preview(list, [...ctx.reads(run, ctx.readsPerRun, 'before and after the invalid payloads'), ...ctx.reads(run, ctx.settleReads, 'after the corrected payload')], 1, 3);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
  describe: (m) => `invalid ${m.invalidStatus}, again ${m.againStatus}, corrected ${m.correctedStatus}`,
});
