// reuse: the same key with another payload once the first was answered, one
// run per field changed; and, when every original took long enough, a
// changed payload with a key whose original is still in flight.
import { defineAttack, type PlannedRead, type PlannedRequest, type Run } from '../contract.js';
import { conditional, planned, preview } from '../preview.js';
import { isPlainObject } from '../../model/values.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics } from '../../model/results.js';
import { judge } from './judge.js';
import { changeableFields, MAX_FIELDS, reuseRequests, reuseVariants } from './payload.js';

export interface ReuseConfig {
  /** Fields merged into the rendered `request.json` for the second request. */
  change?: Record<string, unknown>;
}

/** One run: its own key and run.id, the original, then the same key with `fields` changed. */
export interface ReuseVariantObservation {
  fields: string[];
  run: Run;
  original: Exchange;
  changed: Exchange;
}

/** The in-flight step: a fresh key's original, and the changed payload with that key sent while the original runs. */
export interface ReuseInFlightObservation {
  run: Run;
  original: Exchange;
  changed: Exchange;
  /** When the changed payload was sent, ms after the original was (half the fastest original's duration). */
  sentAfterMs: number;
}

export interface ReuseObservation {
  attack: 'reuse';
  /** The payload came from `change:` (one variant), not from changing each field in turn. */
  change: boolean;
  variants: ReuseVariantObservation[];
  /** How long the first original took, ms. */
  firstMs: number;
  /** How long the fastest original took, ms: the in-flight step runs when it is IN_FLIGHT_MIN_MS or more. */
  fastestMs: number;
  inFlight?: ReuseInFlightObservation;
}

export interface ReuseMetrics extends AttackMetrics {
  /** The most side effects one key of the attack made (1 on an API that handles keys correctly). */
  effects?: number;
  /** Every field changed, in order (one run per field; the keys of `change:` when given). */
  fields?: string[];
  /** The fields whose change was accepted (replayed or processed): the key's fingerprint ignores them. */
  ignored?: string[];
  /** Each run: the fields it changed, the answer to the changed payload, its key's side effects. */
  variants?: { fields: string[]; status: number; effects?: number }[];
  /** How long the first original took, ms. */
  firstMs?: number;
  /** How long the fastest original took, ms: the in-flight step runs when it is IN_FLIGHT_MIN_MS or more. */
  fastestMs?: number;
  /** The in-flight step, when it ran; `overlapped`: sent before the original's first byte came back. */
  inFlight?: { sentAfterMs: number; originalStatus: number; status: number; effects?: number; overlapped: boolean };
}

/** Every original must take this long for the in-flight step to run: shorter work leaves no window to hit. */
export const IN_FLIGHT_MIN_MS = 50;

export const LABELS = {
  original: (prefix: string) => `${prefix}original`,
  changed: (prefix: string) => `${prefix}same key, changed payload`,
  inFlightOriginal: 'in flight: original',
  inFlightChanged: 'in flight: same key, changed payload, sent while the original runs',
} as const;

/** How --dry-run says when the in-flight step runs. */
export const IN_FLIGHT_CONDITION = `every original took ≥ ${IN_FLIGHT_MIN_MS} ms`;

export const reuse = defineAttack({
  id: 'reuse',
  summary: `the same key with a changed payload (each field in turn, each with its own key; and while the original is in flight when every original takes ≥ ${IN_FLIGHT_MIN_MS} ms): refused (expect.mismatch, or expect.inFlight while in flight), no second effect`,
  schema: {
    description: `Reuse a key with a different body: it must be rejected. Without change, each template-free top-level field of request.json (up to ${MAX_FIELDS}) is changed in its own run; when every original takes ${IN_FLIGHT_MIN_MS} ms or more, a changed payload is also sent while its key's original is in flight.`,
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      change: { description: 'Fields merged into request.json for the second request (needs request.json to be an object); one run instead of one per field.', type: 'object' },
    },
  },
  metricsSchema: {
    type: 'object',
    properties: {
      effects: { type: 'number' },
      fields: { type: 'array', items: { type: 'string' } },
      ignored: { type: 'array', items: { type: 'string' } },
      variants: { type: 'array', items: { type: 'object', required: ['fields', 'status'], properties: { fields: { type: 'array', items: { type: 'string' } }, status: { type: 'number' }, effects: { type: 'number' } } } },
      firstMs: { type: 'number' },
      fastestMs: { type: 'number' },
      inFlight: {
        type: 'object',
        required: ['sentAfterMs', 'originalStatus', 'status', 'overlapped'],
        properties: { sentAfterMs: { type: 'number' }, originalStatus: { type: 'number' }, status: { type: 'number' }, effects: { type: 'number' }, overlapped: { type: 'boolean' } },
      },
    },
  },
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
    if (changeableFields(scenario.request.json).length === 0) return 'no field of `request.json` is free of templates to change; give `attacks.reuse.change`';
    return undefined;
  },
  preview(scenario, config, ctx) {
    const list: PlannedRequest[] = [];
    const reads: PlannedRead[] = [];
    for (const variant of reuseVariants(scenario, config)) {
      const run = ctx.newRun();
      const { original, changed } = reuseRequests(scenario, config, run, variant.fields);
      list.push(planned(LABELS.original(variant.prefix), original), planned(LABELS.changed(variant.prefix), changed));
      reads.push(...ctx.reads(run, ctx.readsPerRun, `${variant.prefix}before and after the run`));
    }
    const variants = list.length / 2;
    // The in-flight step, a run of its own, only if every original takes long enough.
    const run = ctx.newRun();
    const { original, changed } = reuseRequests(scenario, config, run, 'all');
    list.push(...conditional(IN_FLIGHT_CONDITION, [planned(LABELS.inFlightOriginal, original), planned(`${LABELS.inFlightChanged} (half the fastest original's time after it)`, changed)]));
    reads.push(...conditional(IN_FLIGHT_CONDITION, ctx.reads(run, ctx.readsPerRun, 'in flight: before and after the run')));
    return preview(list, reads, variants, 2 * variants + 2);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
  describe(m) {
    if (!m.fields) return '';
    const runs = m.variants && m.variants.length > 1 ? `${m.variants.length} keys, one per field changed` : `changed ${m.fields.join(', ')}`;
    const statuses = m.variants ? `: ${m.variants.map((v) => v.status).join(', ')}` : '';
    // A report from before fastestMs was measured has only the first original's time.
    const [which, tookMs] = m.fastestMs !== undefined ? ['fastest', m.fastestMs] : ['first', m.firstMs];
    const inFlight = m.inFlight
      ? `; in flight: ${m.inFlight.status}, sent ${Math.round(m.inFlight.sentAfterMs)} ms after its original${m.inFlight.overlapped ? '' : ', whose answer had already begun (status not judged)'}`
      : tookMs !== undefined
        ? `; no in-flight step: the ${which} original took ${Math.round(tookMs)} ms (under ${IN_FLIGHT_MIN_MS})`
        : '';
    return `${runs}${statuses}${inFlight}`;
  },
});

function kindOf(value: unknown): string {
  if (value === null) return 'empty';
  if (Array.isArray(value)) return 'a list';
  return `a ${typeof value}`;
}
