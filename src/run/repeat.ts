// `--repeat N`: an attack run N times over, for races that show only
// sometimes, and the N results folded into one that reports the rate.
import { FINDING_KINDS, type AttackResult, type Finding } from '../model/results.js';

/**
 * Runs `once` up to `times` times (each with fresh keys and run ids, as
 * every attack run has) and folds the results. `once` is told how many
 * requests the earlier runs sent, so progress counts on. A skipped attack is
 * not repeated, and an unreachable target ends the repeats.
 */
export async function repeated(times: number, once: (sentBefore: number) => Promise<AttackResult>): Promise<AttackResult> {
  const results: AttackResult[] = [];
  let sent = 0;
  for (let i = 0; i < times; i++) {
    const result = await once(sent);
    if (result.verdict === 'skip' || times === 1) return result;
    results.push(result);
    sent += result.metrics.requestsSent ?? 0;
    if (result.unreachable) break;
  }
  return foldRepeats(results);
}

/**
 * One result for N runs: fail if any run failed, else error if any could not
 * be tested, else pass. Each finding kind is shown once, from the first run
 * that had it, its message saying in how many runs it showed; the metrics
 * are those of the first run that failed (else the first that could not be
 * tested, else the first), with the requests of every run.
 */
export function foldRepeats(results: AttackResult[]): AttackResult {
  const total = results.length;
  const failed = results.filter((r) => r.verdict === 'fail');
  const errored = results.filter((r) => r.verdict === 'error');
  const shown = failed[0] ?? errored[0] ?? results[0]!;
  const findings: Finding[] = [];
  for (const kind of FINDING_KINDS) {
    const runs = results.map((r, i) => ({ i, f: r.findings.find((f) => f.kind === kind) })).filter((x) => x.f);
    if (runs.length === 0) continue;
    const first = runs[0]!;
    const where = runs.length === 1 ? `in run ${first.i + 1} of ${total}` : `in ${runs.length} of ${total} runs (run ${first.i + 1} shown)`;
    findings.push({ ...first.f!, message: `${where}: ${first.f!.message}` });
  }
  const out: AttackResult = {
    attack: shown.attack,
    verdict: failed.length > 0 ? 'fail' : errored.length > 0 ? 'error' : 'pass',
    responseOnly: shown.responseOnly,
    durationMs: results.reduce((n, r) => n + r.durationMs, 0),
    metrics: { ...shown.metrics, requestsSent: results.reduce((n, r) => n + (r.metrics.requestsSent ?? 0), 0) },
    findings,
    repeats: results.map((r) => ({ verdict: r.verdict, findings: r.findings.map((f) => f.kind), durationMs: r.durationMs })),
  };
  if (out.verdict === 'error') {
    const first = errored[0]!;
    const at = results.indexOf(first) + 1;
    out.reason = errored.length === total ? first.reason ?? 'could not test' : `run ${at} of ${total} could not be tested: ${first.reason ?? ''}`;
    if (first.errorEvidence) out.errorEvidence = first.errorEvidence;
  } else if (shown.reason !== undefined) {
    out.reason = shown.reason;
  }
  if (out.verdict === 'pass') out.evidence = { exchanges: results.flatMap((r) => r.evidence?.exchanges ?? []) };
  if (out.verdict === 'error' && results.some((r) => r.unreachable)) out.unreachable = true;
  return out;
}
