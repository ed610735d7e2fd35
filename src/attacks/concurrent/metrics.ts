// What the bursts of one concurrent attack measured: release skew, response
// spread, status and body histograms, and the timeline of every burst.
import { normalizedBody } from '../../judge/compare.js';
import { isSuccess, status } from '../../judge/findings.js';
import { roundMs, type Judge } from '../../judge/rules.js';
import type { Exchange } from '../../model/http.js';
import type { Finding, TimelinePoint } from '../../model/results.js';
import type { BodyHistogram, BurstObservation, ConcurrentMetrics, ConcurrentObservation } from './index.js';

/** What one burst showed, for merging the bursts' findings and for the metrics. */
export interface BurstJudgement {
  findings: Finding[];
  /** Side effects of the burst's key; undefined without an oracle reading after. */
  effects: number | undefined;
  /** Distinct resource ids among the successes (response-only). */
  ids: number;
  /** Every success response of the burst looked the same. */
  alike: boolean;
}

export function concurrentMetrics(j: Judge, obs: ConcurrentObservation, judged: BurstJudgement[]): ConcurrentMetrics {
  const { bursts } = obs;
  const all = bursts.flatMap((b) => b.exchanges);
  const skews = bursts.map((b) => roundMs(b.releaseSkewMs));
  const spreads = bursts.map((b) => roundMs(spread(b.exchanges.map((e) => e.endedAt ?? e.startedAt))));
  const effects = judged.map((b) => b.effects);
  const known = effects.filter((e): e is number => e !== undefined);
  const metrics: ConcurrentMetrics = {
    engine: obs.engine,
    requests: obs.requests ?? bursts[0]?.exchanges.length ?? 0,
    bursts: bursts.length,
    duplicateBursts: judged.filter((b) => b.findings.some((f) => f.kind === 'duplicate-effect')).length,
    releaseSkewMs: Math.max(0, ...skews),
    releaseSkewMsByBurst: skews,
    responseSpreadMs: Math.max(0, ...spreads),
    responseSpreadMsByBurst: spreads,
    statuses: histogram(all.map((e) => (e.response ? String(status(e)) : 'no response'))),
    bodies: bodyHistogram(j, bursts),
    // The worst burst: side effects one key made.
    effects: known.length > 0 ? Math.max(...known) : undefined,
    effectsByBurst: effects.map((e) => e ?? null),
  };
  const connections = bursts.map((b) => b.connections).filter((c): c is number => c !== undefined);
  if (connections.length > 0) metrics.connections = Math.max(...connections);
  const splits = [...new Set(bursts.map((b) => b.split).filter((s): s is string => s !== undefined))];
  if (splits.length > 0) metrics.split = splits.join('; ');
  const warm = bursts.map((b) => b.warm?.length ?? 0);
  if (warm.some((n) => n > 0)) metrics.warm = Math.max(...warm);
  if (obs.notes && obs.notes.length > 0) metrics.notes = obs.notes;
  metrics.timeline = timeline(bursts[0]?.exchanges ?? []);
  metrics.timelines = bursts.map((b) => timeline(b.exchanges));
  return metrics;
}

/** At most this many distinct success bodies are listed in the metrics. */
const MAX_LISTED_BODIES = 10;

/**
 * The distinct success bodies over every burst (compared as replays are:
 * JSON regardless of key order, minus expect.ignore), most frequent first,
 * each with how many responses carried it and its text (up to 64 KiB: cut only
 * after redaction, by whoever renders it, so no secret is left half-masked).
 * Each burst has its own key, so a correct API shows one body per burst.
 */
function bodyHistogram(j: Judge, bursts: BurstObservation[]): BodyHistogram {
  const counts = new Map<string, { responses: number; text: string }>();
  const perBurst: number[] = [];
  for (const burst of bursts) {
    const seen = new Set<string>();
    for (const e of burst.exchanges) {
      if (!e.response || !isSuccess(j.scenario.expect, e)) continue;
      const key = normalizedBody(e.response.body, j.scenario.expect.ignore);
      seen.add(key);
      const entry = counts.get(key);
      if (entry) entry.responses++;
      else counts.set(key, { responses: 1, text: e.response.body.subarray(0, 64 * 1024).toString('utf8') });
    }
    perBurst.push(seen.size);
  }
  const list = [...counts.values()].sort((a, b) => b.responses - a.responses);
  const out: BodyHistogram = { distinct: list.length, distinctByBurst: perBurst, top: list.slice(0, MAX_LISTED_BODIES) };
  if (list.length > MAX_LISTED_BODIES) out.more = list.length - MAX_LISTED_BODIES;
  return out;
}

/** When each duplicate was released and answered, in ms from the first release. */
function timeline(exchanges: Exchange[]): TimelinePoint[] {
  const t0 = Math.min(...exchanges.map((e) => e.sentAt ?? e.startedAt));
  const rel = (t: number | undefined) => (t === undefined ? undefined : roundMs(t - t0));
  return exchanges.map((e, i) => ({
    request: i + 1,
    status: e.response?.status ?? 0,
    releasedMs: rel(e.sentAt ?? e.startedAt)!,
    ...(e.firstByteAt !== undefined ? { firstByteMs: rel(e.firstByteAt)! } : {}),
    ...(e.endedAt !== undefined ? { endedMs: rel(e.endedAt)! } : {}),
  }));
}

function histogram(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

function spread(values: number[]): number {
  return values.length === 0 ? 0 : Math.max(...values) - Math.min(...values);
}
