// The judging rules, one function per attack. Pure: observations in, findings
// and metrics out, so every rule is testable without a network.
import { selectId } from '../engine/oracle.js';
import type {
  BurstObservation,
  ConcurrentObservation,
  DropObservation,
  ExpiryKeyObservation,
  ExpiryObservation,
  Observation,
  ReplayObservation,
  ReuseObservation,
  Run,
} from '../engine/attacks/types.js';
import type { Exchange } from '../model/http.js';
import type { Scenario } from '../scenario/types.js';
import { formatStatusSet } from '../scenario/status.js';
import { compareResponses, normalizedBody } from './compare.js';
import {
  checkStatus,
  checkStatuses,
  counts,
  effectsOf,
  Findings,
  isSuccess,
  missingReplayHeader,
  plural,
  status,
} from './findings.js';
import { FINDING_KINDS, type Evidence, type Finding } from '../model/results.js';

export interface Judgement {
  findings: Finding[];
  metrics: Record<string, unknown>;
}

interface Judge {
  scenario: Scenario;
  /** The target with templates rendered, for resolving Location headers. */
  baseUrl: string;
  findings: Findings;
}

export function judge(scenario: Scenario, baseUrl: string, obs: Observation): Judgement {
  const j: Judge = { scenario, baseUrl, findings: new Findings() };
  let metrics: Record<string, unknown>;
  switch (obs.attack) {
    case 'replay':
      metrics = judgeReplay(j, obs);
      break;
    case 'concurrent':
      metrics = judgeConcurrent(j, obs);
      break;
    case 'reuse':
      metrics = judgeReuse(j, obs);
      break;
    case 'expiry':
      metrics = judgeExpiry(j, obs);
      break;
    case 'drop':
      metrics = judgeDrop(j, obs);
      break;
  }
  return { findings: j.findings.list(), metrics };
}

function judgeReplay(j: Judge, obs: ReplayObservation): Record<string, unknown> {
  const { original, retry, run } = obs;
  const exchanges = [original, retry];
  expectOneEffect(j, run, exchanges, [original, retry]);
  if (checkStatus(j.findings, retry, [j.scenario.expect.success], `a replay (${j.scenario.expect.success.text})`)) {
    checkReplay(j, original, retry, run);
  }
  return { effects: effectsOf(run) };
}

/** What one burst showed, for merging the bursts' findings and for the metrics. */
interface BurstJudgement {
  findings: Finding[];
  /** Side effects of the burst's key; undefined without an oracle reading after. */
  effects: number | undefined;
  /** Distinct resource ids among the successes (response-only). */
  ids: number;
  /** Every success response of the burst looked the same. */
  alike: boolean;
}

/** Every burst is judged by the same rules; several bursts' findings merge into one per kind. */
function judgeConcurrent(j: Judge, obs: ConcurrentObservation): Record<string, unknown> {
  const judged = obs.bursts.map((burst) => judgeBurst({ ...j, findings: new Findings() }, burst));
  if (judged.length === 1) {
    for (const f of judged[0]!.findings) j.findings.add(f.kind, f.message, f.evidence);
  } else {
    mergeBursts(j, judged);
  }
  return concurrentMetrics(j, obs, judged);
}

function judgeBurst(j: Judge, burst: BurstObservation): BurstJudgement {
  const { expect } = j.scenario;
  const { run, exchanges } = burst;
  const answered = exchanges.filter((e) => e.response);
  const dropped = exchanges.filter((e) => !e.response);
  const successes = answered.filter((e) => isSuccess(expect, e));
  const allowed = `a success (${expect.success.text}) or in-flight status (${expect.inFlight.text})`;
  checkStatuses(j.findings, answered, [expect.success, expect.inFlight], allowed, 'duplicates', exchanges.length);
  if (dropped.length > 0) {
    j.findings.add('server-error', `${dropped.length} of ${exchanges.length} duplicates were never answered: ${dropped[0]!.error}`, {
      exchanges: dropped.slice(0, 3),
    });
  }
  const [first, ...others] = successes;
  const differing = first ? others.filter((e) => compare(j, first, e).length > 0) : [];
  // The classic check-then-act symptom: every answer looks idempotent, the database does not.
  const alike = successes.length > 1 && differing.length === 0;
  const note = alike ? `, though all ${successes.length} success responses were identical` : '';
  expectOneEffect(j, run, exchanges, successes, `${exchanges.length} concurrent duplicates`, note);

  if (differing.length > 0) {
    j.findings.add('wrong-replay', `${differing.length} of ${successes.length} success responses differ from the first`, {
      exchanges: [first!, differing[0]!],
      diff: compare(j, first!, differing[0]!),
    });
  }
  const unmarked = successes.filter((e) => missingReplayHeader(expect, e));
  if (unmarked.length > 1) {
    j.findings.add('wrong-replay', `${unmarked.length - 1} replays lack ${expect.replayHeader!.name}: ${expect.replayHeader!.value}`, {
      exchanges: unmarked.slice(0, 2),
    });
  }
  return { findings: j.findings.list(), effects: effectsOf(run), ids: distinctIds(j, successes), alike };
}

/**
 * One finding per kind over several bursts. Duplicates read as a rate ("2 of
 * 3 bursts created duplicates (5, 1, 3 side effects for one key each)");
 * every other rule keeps its per-burst messages, each saying which bursts.
 */
function mergeBursts(j: Judge, judged: BurstJudgement[]): void {
  const total = judged.length;
  const kinds = FINDING_KINDS.filter((kind) => judged.some((b) => b.findings.some((f) => f.kind === kind)));
  for (const kind of kinds) {
    const hits = judged.flatMap((b, i) => b.findings.filter((f) => f.kind === kind).map((finding) => ({ burst: i, finding, judged: b })));
    const first = hits[0]!.finding.evidence;
    const evidence: Evidence = { exchanges: hits.flatMap((h) => h.finding.evidence.exchanges) };
    if (first.diff) evidence.diff = first.diff;
    const oracles = hits.filter((h) => h.finding.evidence.oracle);
    if (oracles.length > 0) {
      evidence.oracle = { ...oracles[0]!.finding.evidence.oracle! };
      if (oracles.length > 1) {
        evidence.oracle.note = oracles.map((h) => `burst ${h.burst + 1}: ${h.finding.evidence.oracle!.before} → ${h.finding.evidence.oracle!.after}`).join('; ');
      }
    }
    let message: string;
    if (kind === 'duplicate-effect') {
      const responseOnly = judged.every((b) => b.effects === undefined);
      const counts = judged.map((b) => (responseOnly ? String(b.ids) : b.effects === undefined ? '?' : String(b.effects))).join(', ');
      const unit = responseOnly ? 'different resource ids for one key each; response-only: no oracle declared' : 'side effects for one key each';
      const alike = hits.every((h) => h.judged.alike) ? ', though within each burst all success responses were identical' : '';
      message = `${hits.length} of ${total} bursts created duplicates (${counts} ${unit})${alike}`;
    } else {
      const byMessage = new Map<string, number[]>();
      for (const h of hits) byMessage.set(h.finding.message, [...(byMessage.get(h.finding.message) ?? []), h.burst + 1]);
      message = [...byMessage].map(([text, bursts]) => `${inBursts(bursts, total)}: ${text}`).join('; ');
    }
    j.findings.add(kind, message, evidence);
  }
}

/** "in burst 2 of 3", "in bursts 1 and 3 of 3", "in all 3 bursts". */
function inBursts(bursts: number[], total: number): string {
  if (bursts.length === total) return `in all ${total} bursts`;
  if (bursts.length === 1) return `in burst ${bursts[0]} of ${total}`;
  return `in bursts ${bursts.slice(0, -1).join(', ')} and ${bursts[bursts.length - 1]} of ${total}`;
}

function concurrentMetrics(j: Judge, obs: ConcurrentObservation, judged: BurstJudgement[]): Record<string, unknown> {
  const { bursts } = obs;
  const all = bursts.flatMap((b) => b.exchanges);
  const skews = bursts.map((b) => round(b.releaseSkewMs));
  const spreads = bursts.map((b) => round(spread(b.exchanges.map((e) => e.endedAt ?? e.startedAt))));
  const effects = judged.map((b) => b.effects);
  const known = effects.filter((e): e is number => e !== undefined);
  const metrics: Record<string, unknown> = {
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
  if (connections.length > 0) metrics['connections'] = Math.max(...connections);
  const splits = [...new Set(bursts.map((b) => b.split).filter((s): s is string => s !== undefined))];
  if (splits.length > 0) metrics['split'] = splits.join('; ');
  const warm = bursts.map((b) => b.warm?.length ?? 0);
  if (warm.some((n) => n > 0)) metrics['warm'] = Math.max(...warm);
  if (obs.notes && obs.notes.length > 0) metrics['notes'] = obs.notes;
  metrics['timeline'] = timeline(bursts[0]?.exchanges ?? []);
  metrics['timelines'] = bursts.map((b) => timeline(b.exchanges));
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
function bodyHistogram(j: Judge, bursts: BurstObservation[]): Record<string, unknown> {
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
  const out: Record<string, unknown> = { distinct: list.length, distinctByBurst: perBurst, top: list.slice(0, MAX_LISTED_BODIES) };
  if (list.length > MAX_LISTED_BODIES) out['more'] = list.length - MAX_LISTED_BODIES;
  return out;
}

function judgeReuse(j: Judge, obs: ReuseObservation): Record<string, unknown> {
  const { expect } = j.scenario;
  const { original, changed, run } = obs;
  const code = status(changed);
  if (code < 500 && isSuccess(expect, changed)) {
    const replayed = compare(j, original, changed).length === 0;
    j.findings.add(
      'mismatch-accepted',
      replayed
        ? `the same key with a changed payload was answered ${code} with the first request's response: the key's fingerprint ignores the change`
        : `the same key with a changed payload was answered ${code} and processed, expected ${formatStatusSet(expect.mismatch)}`,
      { exchanges: [original, changed], oracle: counts(run) },
    );
  } else {
    checkStatus(j.findings, changed, [expect.mismatch], `a mismatch status (${expect.mismatch.text})`);
  }
  expectOneEffect(j, run, [original, changed], [original]);
  return { effects: effectsOf(run) };
}

function judgeExpiry(j: Judge, obs: ExpiryObservation): Record<string, unknown> {
  judgeBeforeTtl(j, obs.before, obs.ttlMs);
  judgeAfterTtl(j, obs.after);
  return {
    ttlMs: obs.ttlMs,
    retryBeforeTtlMs: obs.before.retryAfterMs,
    retryAfterTtlMs: obs.after.retryAfterMs,
    effectsBeforeTtl: effectsOf(obs.before.run),
    effectsAfterTtl: effectsOf(obs.after.run),
  };
}

/** Key A: retried inside the ttl, it must still be a replay with no new effect. */
function judgeBeforeTtl(j: Judge, k: ExpiryKeyObservation, ttlMs: number): void {
  const { original, retry, run } = k;
  const exchanges = [original, retry];
  const effects = effectsOf(run);
  const forgotten = effects !== undefined ? effects > 1 : differentIds(j, [original, retry]);
  if (forgotten) {
    j.findings.add(
      'early-expiry',
      `the key was processed afresh ${k.retryAfterMs} ms after the first request, inside the declared ttl of ${ttlMs} ms${effects === undefined ? ' (response-only: the retry named another resource)' : ''}`,
      { exchanges, oracle: counts(run) },
    );
  }
  const replayed = checkStatus(j.findings, retry, [j.scenario.expect.success], `a replay (${j.scenario.expect.success.text})`);
  if (forgotten) return;
  describesEffect(j, run, original, exchanges);
  if (replayed) checkReplay(j, original, retry, run);
}

/** Key B: retried after ttl + margin, it must follow `expect.afterExpiry`. */
function judgeAfterTtl(j: Judge, k: ExpiryKeyObservation): void {
  const { expect } = j.scenario;
  const { original, retry, run } = k;
  const exchanges = [original, retry];
  const effects = effectsOf(run);
  const code = status(retry);
  const oracle = counts(run);
  const processedAgain = effects !== undefined ? effects >= 2 : differentIds(j, exchanges);
  if (code >= 500) {
    checkStatus(j.findings, retry, [], '');
  } else {
    switch (expect.afterExpiry) {
      case 'new':
        // Retention is a minimum: a key kept longer is no bug, but a failure is.
        checkStatus(j.findings, retry, [expect.success], `the expired key to be processed afresh (${expect.success.text})`);
        break;
      case 'reject':
        if (code < 400 || code > 499) {
          j.findings.add('unexpected-status', `after the ttl the retry was answered ${code}, expected a 4xx rejection`, { exchanges, oracle });
        }
        break;
      case 'replay':
        if (!processedAgain && checkStatus(j.findings, retry, [expect.success], `a replay (${expect.success.text})`)) {
          checkReplay(j, original, retry, run);
        }
        break;
      case 'any':
        break;
    }
  }
  if (processedAgain && expect.afterExpiry === 'replay') {
    j.findings.add('early-expiry', `the key was processed afresh ${k.retryAfterMs} ms after the first response, but the API declares keys never expire (afterExpiry: replay)`, { exchanges, oracle });
  }
  if (effects !== undefined && effects > 2) {
    j.findings.add('duplicate-effect', `one key made ${plural(effects, 'side effect')} across its expiry (at most 2)`, { exchanges, oracle });
  } else if (effects !== undefined && effects >= 2 && expect.afterExpiry === 'reject') {
    j.findings.add('duplicate-effect', 'the retry after the ttl created a second side effect, though the API declares it rejects expired keys', { exchanges, oracle });
  }
  if (effects === 0) return lostEffect(j, run, exchanges);
  if (!isSuccess(expect, retry)) return;
  if (effects !== undefined && effects >= 2) staleReplay(j, k);
  else describesEffect(j, run, retry, exchanges);
}

/** A new effect must be answered with the new resource, not the old response. */
function staleReplay(j: Judge, k: ExpiryKeyObservation): void {
  const { original, retry, run } = k;
  const idPath = j.scenario.effects?.id;
  const ids = run.after?.ids;
  const evidence = { exchanges: [original, retry], oracle: counts(run) };
  if (idPath && ids) {
    const oldId = selectId(original.response!.body, idPath);
    const answered = selectId(retry.response!.body, idPath);
    if (answered !== undefined && answered === oldId) {
      j.findings.add('wrong-replay', `after the ttl the key was processed afresh (a new side effect) but answered with the old resource ${answered}`, evidence);
    } else if (answered === undefined || !ids.includes(answered)) {
      j.findings.add('lost-effect', `${retry.label} names ${answered ?? 'no resource'}, which the oracle does not list (${ids.join(', ') || 'none'})`, evidence);
    }
    return;
  }
  if (compare(j, original, retry).length === 0) {
    j.findings.add('wrong-replay', 'after the ttl the key was processed afresh (a new side effect) but answered with the old response', evidence);
  }
}

function judgeDrop(j: Judge, obs: DropObservation): Record<string, unknown> {
  const { expect } = j.scenario;
  for (const cut of obs.cuts) {
    const { run, retries } = cut;
    const final = retries[retries.length - 1]!;
    const exchanges = [cut.cut, ...retries];
    if (cut.afterCut && run.before && cut.afterCut.count > run.before.count) {
      j.findings.add('duplicate-effect', `a request cut ${cut.point} (its body never fully arrived) created a side effect`, {
        exchanges: [cut.cut],
        oracle: { before: run.before.count, after: cut.afterCut.count },
      });
    }
    if (cut.stuck) {
      j.findings.add('unexpected-status', `after the cut ${cut.point} the key is stuck in flight: still answered ${status(final)} after ${retries.length} retries`, {
        exchanges,
        oracle: counts(run),
      });
    } else {
      checkStatus(j.findings, final, [expect.success], `a success after the cut ${cut.point} (${expect.success.text})`, { oracle: counts(run) });
    }
    const effects = effectsOf(run);
    if (effects !== undefined && effects > 1) {
      j.findings.add('duplicate-effect', `cut ${cut.point}, then a retry with the same key: ${plural(effects, 'side effect')} (expected 1)`, {
        exchanges,
        oracle: counts(run),
      });
    }
    if (isSuccess(expect, final) && !cut.stuck) describesEffect(j, run, final, exchanges);
  }
  return { cuts: obs.cuts.map((c) => c.point), retries: obs.cuts.reduce((n, c) => n + c.retries.length, 0) };
}

// --- shared rules ---------------------------------------------------------

/** Exactly one effect for one key: more is a duplicate, none is lost. */
function expectOneEffect(j: Judge, run: Run, exchanges: Exchange[], successes: Exchange[], what = 'one key', note = ''): void {
  const effects = effectsOf(run);
  if (effects === undefined) {
    if (differentIds(j, successes)) {
      const ids = new Set(successes.map((e) => selectId(e.response!.body, j.scenario.effects!.id!)));
      j.findings.add('duplicate-effect', `${what}: the success responses named ${ids.size} different resources (response-only: no oracle declared)`, { exchanges });
    }
    return;
  }
  if (effects > 1) {
    j.findings.add('duplicate-effect', `${what} made ${plural(effects, 'side effect')} (expected 1)${note}`, { exchanges, oracle: counts(run) });
  } else if (successes.length > 0) {
    describesEffect(j, run, successes[0]!, exchanges);
  }
}

/** A success must describe an effect that exists. */
function describesEffect(j: Judge, run: Run, success: Exchange, exchanges: Exchange[]): void {
  const effects = effectsOf(run);
  if (effects === 0) return lostEffect(j, run, exchanges);
  const idPath = j.scenario.effects?.id;
  const ids = run.after?.ids;
  if (!idPath || !ids) return;
  const id = selectId(success.response!.body, idPath);
  if (id !== undefined && !ids.includes(id)) {
    j.findings.add('lost-effect', `${success.label} names ${id}, which the oracle does not list (${ids.join(', ') || 'none'})`, {
      exchanges,
      oracle: counts(run),
    });
  }
}

function lostEffect(j: Judge, run: Run, exchanges: Exchange[]): void {
  j.findings.add('lost-effect', 'the API answered with a success but no side effect exists', { exchanges, oracle: counts(run) });
}

/** The replay must equal its original and carry the replay marker when declared. */
function checkReplay(j: Judge, original: Exchange, retry: Exchange, run: Run): void {
  const diff = compare(j, original, retry);
  const marker = missingReplayHeader(j.scenario.expect, retry);
  if (marker) diff.push(marker);
  if (diff.length > 0) {
    j.findings.add('wrong-replay', `${retry.label} differs from the original`, { exchanges: [original, retry], oracle: counts(run), diff });
  }
}

function compare(j: Judge, a: Exchange, b: Exchange): string[] {
  return compareResponses(a.response!, b.response!, { ignore: j.scenario.expect.ignore, baseUrl: j.baseUrl });
}

/** How many resources the successes name at `effects.id` (0 when it is not declared). */
function distinctIds(j: Judge, exchanges: Exchange[]): number {
  const idPath = j.scenario.effects?.id;
  if (!idPath) return 0;
  const ids = exchanges
    .filter((e) => e.response && isSuccess(j.scenario.expect, e))
    .map((e) => selectId(e.response!.body, idPath))
    .filter((id) => id !== undefined);
  return new Set(ids).size;
}

/** Response-only duplicate check: the successes name more than one resource at `effects.id`. */
function differentIds(j: Judge, exchanges: Exchange[]): boolean {
  const idPath = j.scenario.effects?.id;
  if (!idPath) return false;
  const ids = exchanges
    .filter((e) => isSuccess(j.scenario.expect, e))
    .map((e) => selectId(e.response!.body, idPath))
    .filter((id) => id !== undefined);
  return new Set(ids).size > 1;
}

/** When each duplicate was released and answered, in ms from the first release: the HTML report draws it. */
function timeline(exchanges: Exchange[]): { request: number; status: number; releasedMs: number; firstByteMs?: number; endedMs?: number }[] {
  const t0 = Math.min(...exchanges.map((e) => e.sentAt ?? e.startedAt));
  const rel = (t: number | undefined) => (t === undefined ? undefined : round(t - t0));
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

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
