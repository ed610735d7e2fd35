// N duplicates released together must make exactly one effect, and every
// success must answer like the first. Several bursts are judged alike and
// their findings merged, one per kind.
import { checkStatuses, effectsOf, Findings, isSuccess, missingReplayHeader } from '../../judge/findings.js';
import { compare, expectOneEffect, newJudge, resourceIds, type Judge } from '../../judge/rules.js';
import { FINDING_KINDS, type Evidence, type Finding } from '../../model/results.js';
import type { JudgeContext, Judgement } from '../contract.js';
import type { BurstObservation, ConcurrentMetrics, ConcurrentObservation } from './index.js';
import { concurrentMetrics, type BurstJudgement } from './metrics.js';

export function judge(obs: ConcurrentObservation, ctx: JudgeContext): Judgement<ConcurrentMetrics> {
  const j = newJudge(ctx);
  const judged = obs.bursts.map((burst) => judgeBurst({ ...j, findings: new Findings() }, burst));
  if (judged.length === 1) {
    for (const f of judged[0]!.findings) j.findings.add(f.kind, f.message, f.evidence);
  } else {
    mergeBursts(j, judged);
  }
  return { findings: j.findings.list(), metrics: concurrentMetrics(j, obs, judged) };
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
  const lacking = unmarkedReplays(unmarked.length, successes.length, effectsOf(run));
  if (lacking) {
    j.findings.add('wrong-replay', `${lacking} lack ${expect.replayHeader!.name}: ${expect.replayHeader!.value}`, {
      exchanges: unmarked.slice(0, 2),
    });
  }
  return { findings: j.findings.list(), effects: effectsOf(run), ids: resourceIds(j, successes).size, alike };
}

/**
 * Which successes without the replay marker were replays that should carry
 * it, worded from what the oracle shows ("3 replays", "2 of the 5 replays
 * (…)"); undefined when none. A success that created an effect is no replay:
 * with N side effects, N of the successes were fresh creations and only the
 * rest are replays, so a race whose unmarked successes are all fresh
 * creations is a duplicate effect alone. Without an oracle (or with one that
 * counts no effect) one success is taken for the original, as ever.
 */
function unmarkedReplays(unmarked: number, successes: number, effects: number | undefined): string | undefined {
  const fresh = effects !== undefined && effects > 1 ? effects : 1;
  const lacking = unmarked - fresh;
  if (lacking <= 0) return undefined;
  if (fresh === 1) return `${lacking} replays`;
  return `${lacking} of the ${successes - fresh} replays (successes beyond the ${fresh} fresh creations the oracle counts)`;
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
    j.findings.add(kind, mergedMessage(kind, hits, judged), mergedEvidence(hits));
  }
}

interface Hit {
  burst: number;
  finding: Finding;
  judged: BurstJudgement;
}

function mergedEvidence(hits: Hit[]): Evidence {
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
  return evidence;
}

function mergedMessage(kind: Finding['kind'], hits: Hit[], judged: BurstJudgement[]): string {
  const total = judged.length;
  if (kind === 'duplicate-effect') {
    const responseOnly = judged.every((b) => b.effects === undefined);
    const counts = judged.map((b) => (responseOnly ? String(b.ids) : b.effects === undefined ? '?' : String(b.effects))).join(', ');
    const unit = responseOnly ? 'different resource ids for one key each; response-only: no oracle declared' : 'side effects for one key each';
    const alike = hits.every((h) => h.judged.alike) ? ', though within each burst all success responses were identical' : '';
    return `${hits.length} of ${total} bursts created duplicates (${counts} ${unit})${alike}`;
  }
  const byMessage = new Map<string, number[]>();
  for (const h of hits) byMessage.set(h.finding.message, [...(byMessage.get(h.finding.message) ?? []), h.burst + 1]);
  return [...byMessage].map(([text, bursts]) => `${inBursts(bursts, total)}: ${text}`).join('; ');
}

/** "in burst 2 of 3", "in bursts 1 and 3 of 3", "in all 3 bursts". */
function inBursts(bursts: number[], total: number): string {
  if (bursts.length === total) return `in all ${total} bursts`;
  if (bursts.length === 1) return `in burst ${bursts[0]} of ${total}`;
  return `in bursts ${bursts.slice(0, -1).join(', ')} and ${bursts[bursts.length - 1]} of ${total}`;
}
