// concurrent: N identical requests with the same key released together, in
// several bursts, each with a fresh key and run.id.
import { renderOperation } from '../../scenario/render.js';
import { ENGINE_NAMES, type EngineName } from '../../scenario/types.js';
import type { Exchange } from '../../model/http.js';
import type { AttackMetrics, TimelinePoint } from '../../model/results.js';
import { defineAttack, type PlannedRead, type PlannedRequest, type Run } from '../contract.js';
import { planned, preview } from '../preview.js';
import { judge } from './judge.js';
import { canWarm, warmingRequest } from './requests.js';

/** The bound the schema puts on `attacks.concurrent.requests`, and so on `--requests`. */
export const MAX_CONCURRENT_REQUESTS = 1000;

export interface ConcurrentConfig {
  requests: number;
  engine: EngineName;
  /** Separate bursts, each with a fresh key and run.id. */
  bursts: number;
  /** Harmless warming requests (the oracle request) before each burst. */
  warm: number;
}

/** One burst: its own key, run.id and oracle readings. */
export interface BurstObservation {
  run: Run;
  /** The duplicates, in request order. */
  exchanges: Exchange[];
  /** Client-side spread of the releases, ms. */
  releaseSkewMs: number;
  /** Connections the burst was released over (h2). */
  connections?: number;
  /** Why an h2 burst was split over several connections. */
  split?: string;
  /** Bytes of each connection's release write (h2). */
  finalWrites?: number[];
  /** The warming requests sent before it. */
  warm?: Exchange[];
}

export interface ConcurrentObservation {
  attack: 'concurrent';
  /** The engine that sent the bursts (`auto` resolved). */
  engine: string;
  /** Requests per burst; default: the first burst's exchanges. */
  requests?: number;
  /** At least one; fewer than configured when the server fell over (see notes). */
  bursts: BurstObservation[];
  /** How the engine was chosen, warming skipped, bursts stopped early. */
  notes?: string[];
}

export interface BodyHistogram {
  distinct: number;
  distinctByBurst: number[];
  /** Most frequent first: how many responses carried each body, and its text (up to 64 KiB). */
  top: { responses: number; text: string }[];
  /** Distinct bodies beyond those listed. */
  more?: number;
}

export interface ConcurrentMetrics extends AttackMetrics {
  engine: string;
  requests: number;
  bursts: number;
  duplicateBursts: number;
  releaseSkewMs: number;
  releaseSkewMsByBurst: number[];
  responseSpreadMs: number;
  responseSpreadMsByBurst: number[];
  statuses: Record<string, number>;
  bodies: BodyHistogram;
  /** The worst burst: side effects one key made; absent without an oracle. */
  effects?: number;
  effectsByBurst: (number | null)[];
  connections?: number;
  split?: string;
  warm?: number;
  notes?: string[];
  /** The first burst's timeline (kept for older readers of the report). */
  timeline?: TimelinePoint[];
}

const DEFAULTS: ConcurrentConfig = { requests: 20, engine: 'auto', bursts: 3, warm: 0 };

export const concurrent = defineAttack({
  id: 'concurrent',
  summary: 'N duplicates with one key released together (last-byte sync on h1, single packet on h2), in bursts: exactly one effect',
  schema: {
    description: 'Send the same request with the same key many times at once: exactly one effect.',
    type: ['object', 'null'],
    additionalProperties: false,
    properties: {
      requests: {
        description: 'How many identical requests to send at once, per burst (--requests overrides it).',
        type: 'integer',
        minimum: 1,
        maximum: MAX_CONCURRENT_REQUESTS,
        default: DEFAULTS.requests,
      },
      engine: {
        description:
          'How the burst is released (--engine overrides it). auto: h2 when an https target offers HTTP/2 by ALPN, else h1. h1: last-byte synchronisation, one raw HTTP/1.1 connection per request. h2: the single-packet attack, every request\'s final DATA frame in one write per connection (h2c with prior knowledge for http targets). naive: the baseline, the requests sent at once as a typical client would (undici, Promise.all).',
        type: 'string',
        enum: [...ENGINE_NAMES],
        default: DEFAULTS.engine,
      },
      bursts: {
        description:
          'How many bursts to send, one after the other, each with a fresh key and run.id and its own oracle readings: a race that wins only sometimes shows as a rate (2 of 3 bursts created duplicates).',
        type: 'integer',
        minimum: 1,
        maximum: 100,
        default: DEFAULTS.bursts,
      },
      warm: {
        description:
          'Harmless warming requests sent one after the other before each burst: the oracle request (a GET), so caches and connection pools are warm when the burst lands. Skipped, with a note, when the oracle is a command. Default 0: no warming.',
        type: 'integer',
        minimum: 0,
        maximum: 20,
        default: DEFAULTS.warm,
      },
    },
  },
  metricsSchema: {
    type: 'object',
    required: ['engine', 'requests', 'bursts', 'duplicateBursts', 'releaseSkewMs'],
    properties: {
      engine: { type: 'string' },
      requests: { type: 'number' },
      bursts: { type: 'number' },
      duplicateBursts: { type: 'number' },
      releaseSkewMs: { type: 'number' },
      releaseSkewMsByBurst: { type: 'array', items: { type: 'number' } },
      responseSpreadMs: { type: 'number' },
      responseSpreadMsByBurst: { type: 'array', items: { type: 'number' } },
      statuses: { type: 'object', additionalProperties: { type: 'number' } },
      bodies: { type: 'object' },
      effects: { type: 'number' },
      effectsByBurst: { type: 'array', items: { type: ['number', 'null'] } },
      connections: { type: 'number' },
      split: { type: 'string' },
      warm: { type: 'number' },
      notes: { type: 'array', items: { type: 'string' } },
      timeline: { type: 'array' },
    },
  },
  defaults: DEFAULTS,
  drawsTimelines: true,
  normalize(raw): ConcurrentConfig {
    const int = (v: unknown, fallback: number): number => (typeof v === 'number' ? v : fallback);
    return {
      requests: int(raw.requests, DEFAULTS.requests),
      engine: (ENGINE_NAMES as readonly unknown[]).includes(raw.engine) ? (raw.engine as EngineName) : DEFAULTS.engine,
      bursts: int(raw.bursts, DEFAULTS.bursts),
      warm: int(raw.warm, DEFAULTS.warm),
    };
  },
  // The flags win over the scenario.
  configure(_scenario, config, flags) {
    const out = { ...config };
    if (flags.engine !== undefined) out.engine = flags.engine as EngineName;
    if (flags.requests !== undefined) out.requests = flags.requests;
    return out;
  },
  skip: () => undefined,
  preview(scenario, config, ctx) {
    const { requests: n, bursts, engine } = config;
    const warm = ctx.readsPerRun > 0 && canWarm(scenario) ? config.warm : 0;
    const list: PlannedRequest[] = [];
    const reads: PlannedRead[] = [];
    for (let b = 0; b < bursts; b++) {
      const run = ctx.newRun();
      const where = bursts > 1 ? `burst ${b + 1}/${bursts}: ` : '';
      const after = warm > 0 ? `, after ${warm} warming request${warm === 1 ? '' : 's'} (the oracle request)` : '';
      list.push(planned(`${where}${n} duplicates, released together (engine ${engine})${after}`, renderOperation(scenario, run), n));
      if (warm > 0) reads.push({ label: `${where}warm-up before the burst`, request: warmingRequest(scenario, run), times: warm });
      reads.push(...ctx.reads(run, ctx.readsPerRun, `${where}before and after the burst`));
    }
    return preview(list, reads, bursts, n * bursts);
  },
  execute: async (env, config) => (await import('./execute.js')).execute(env, config),
  judge,
  /** "h1: 3 bursts × 20, 2 with duplicates, release skew ≤ 0.21 ms"; tolerant of reports that lack a field. */
  describe(m) {
    if (typeof m.engine !== 'string' || typeof m.bursts !== 'number') return '';
    const parts = [`${m.engine}: ${m.bursts === 1 ? '1 burst' : `${m.bursts} bursts`} × ${m.requests}`];
    if (m.duplicateBursts > 0) parts.push(`${m.duplicateBursts} with duplicates`);
    if (typeof m.releaseSkewMs === 'number') parts.push(`release skew ≤ ${m.releaseSkewMs.toFixed(2)} ms`);
    if (m.connections !== undefined && m.connections > 1) parts.push(`${m.connections} connections`);
    return parts.join(', ');
  },
});
