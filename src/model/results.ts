// What a judged attack looks like: the plain result the runner hands to every
// reporter. Reporters render these and never touch the network.
import { retainedExchange, type Exchange } from './http.js';
import type { ProxySession } from './proxy.js';

export const FINDING_KINDS = [
  'server-error',
  'unexpected-status',
  'duplicate-effect',
  'lost-effect',
  'wrong-replay',
  'mismatch-accepted',
  'early-expiry',
  'key-not-enforced',
  'cross-operation-replay',
  'tenant-leak',
  // The client's half, judged by `idemchaos proxy`:
  'key-changed',
  'unsafe-retry',
  'retry-changed',
  'key-reused',
  'weak-key',
  'ignored-retry-after',
  'retried-mismatch',
  'retry-storm',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

export type Severity = 'critical' | 'major' | 'minor';
export const SEVERITIES: readonly Severity[] = ['critical', 'major', 'minor'];

/** How bad each kind is: a duplicate charge or another caller's data first, a wrong status last. */
export const SEVERITY: Record<FindingKind, Severity> = {
  'duplicate-effect': 'critical',
  'lost-effect': 'critical',
  'tenant-leak': 'critical',
  'cross-operation-replay': 'critical',
  'wrong-replay': 'major',
  'mismatch-accepted': 'major',
  'early-expiry': 'major',
  'key-not-enforced': 'major',
  'server-error': 'major',
  'unexpected-status': 'minor',
  // The client's half: a retry the server will run twice first.
  'key-changed': 'critical',
  'unsafe-retry': 'critical',
  'retry-changed': 'major',
  'key-reused': 'major',
  'weak-key': 'major',
  'retry-storm': 'major',
  'ignored-retry-after': 'minor',
  'retried-mismatch': 'minor',
};

/** Most severe first; within a severity, the order given (stable). */
export function bySeverity<T extends { kind: FindingKind }>(findings: readonly T[]): T[] {
  return [...findings].sort((a, b) => SEVERITIES.indexOf(SEVERITY[a.kind]) - SEVERITIES.indexOf(SEVERITY[b.kind]));
}

export type Verdict = 'pass' | 'fail' | 'error' | 'skip';

export interface OracleCounts {
  before: number;
  after: number;
  ids?: string[];
  /** Extra readings worth showing, e.g. after a mid-body cut. */
  note?: string;
}

export interface Evidence {
  exchanges: Exchange[];
  oracle?: OracleCounts;
  /** Original against replay, one line per difference. */
  diff?: string[];
}

export interface Finding {
  kind: FindingKind;
  message: string;
  evidence: Evidence;
}

/** When one request of a burst was released and answered, in ms from the burst's first release: the HTML report draws it. */
export interface TimelinePoint {
  request: number;
  /** 0: no response. */
  status: number;
  releasedMs: number;
  firstByteMs?: number;
  endedMs?: number;
}

/**
 * The metrics every reporter may read. Each attack's metrics extend these
 * with fields of its own, which only that attack's `describe` reads.
 */
export interface AttackMetrics {
  /** Requests the attack sent (oracle reads aside). */
  requestsSent?: number;
  /** One timeline per burst, for attacks that release bursts. */
  timelines?: TimelinePoint[][];
}

export interface AttackResult {
  attack: string;
  verdict: Verdict;
  /** Why it was skipped or could not be tested; a one-line summary otherwise. */
  reason?: string;
  responseOnly: boolean;
  durationMs: number;
  metrics: AttackMetrics;
  findings: Finding[];
  /** For `error`: what could not be tested, with the exchanges that show it. */
  errorEvidence?: Evidence;
  /** For `pass`: the exchanges the attack made, so a sign-off has its evidence too. */
  evidence?: Evidence;
  /** The error was a connection or TLS failure: the target could not be reached. */
  unreachable?: boolean;
  /**
   * With `--repeat N` (N > 1): each run of the attack, in order. The verdict
   * is then fail if any run failed, else error if any could not be tested;
   * findings, metrics and evidence are those of the runs that showed them.
   */
  repeats?: AttackRepeat[];
}

/** One run of a repeated attack. */
export interface AttackRepeat {
  verdict: Verdict;
  /** The kinds of its findings, in order. */
  findings: FindingKind[];
  durationMs: number;
}

/** "caught in 7 of 10 runs" (and how many could not be tested); undefined when the attack ran once. */
export function repeatRate(a: Pick<AttackResult, 'repeats'>): string | undefined {
  const runs = a.repeats;
  if (!runs || runs.length < 2) return undefined;
  const caught = runs.filter((r) => r.verdict === 'fail').length;
  const errored = runs.filter((r) => r.verdict === 'error').length;
  return `caught in ${caught} of ${runs.length} runs${errored > 0 ? ` (${errored} could not be tested)` : ''}`;
}

export interface ScenarioResult {
  name: string;
  /** The scenario file; for a probe, its command line (redacted). */
  file: string;
  /** 0 when `file` is not a file (a probe). */
  line: number;
  /** The target as rendered (secrets redacted by the reporters). */
  target: string;
  attacks: AttackResult[];
  /** Line of each attack's entry under `attacks:`, for CI annotations. */
  attackLines?: Record<string, number>;
  /** Set when the scenario as a whole could not be tested. */
  error?: string;
}

export interface RunSummary {
  scenarios: number;
  attacks: number;
  passed: number;
  failed: number;
  errored: number;
  skipped: number;
}

export interface RunResult {
  startedAt: string;
  durationMs: number;
  scenarios: ScenarioResult[];
  summary: RunSummary;
  /** No finding and nothing that could not be tested: `runOk(summary)`. */
  ok: boolean;
  /** The run was interrupted (SIGINT, SIGTERM): attacks that had not finished are errors with the reason "interrupted". */
  interrupted?: boolean;
  /** Set for `idemchaos proxy`: its one scenario's attacks are these operations. */
  proxy?: ProxySession;
}

/** RunResult.ok: no finding and nothing that could not be tested. */
export function runOk(summary: RunSummary): boolean {
  return summary.failed === 0 && summary.errored === 0;
}

export function summarize(scenarios: ScenarioResult[]): RunSummary {
  const all = scenarios.flatMap((s) => s.attacks);
  const count = (v: Verdict) => all.filter((a) => a.verdict === v).length;
  return {
    scenarios: scenarios.length,
    attacks: all.length,
    passed: count('pass'),
    failed: count('fail'),
    errored: count('error'),
    skipped: count('skip'),
  };
}

/**
 * The result as it is kept until the reports: every exchange of its evidence
 * through retainedExchange (one copy per exchange, shared where the
 * evidence shared it).
 */
export function retainedResult(result: AttackResult): AttackResult {
  const copies = new Map<Exchange, Exchange>();
  const keep = (e: Exchange): Exchange => {
    let copy = copies.get(e);
    if (!copy) copies.set(e, (copy = retainedExchange(e)));
    return copy;
  };
  const evidence = (ev: Evidence): Evidence => ({ ...ev, exchanges: ev.exchanges.map(keep) });
  const out: AttackResult = { ...result, findings: result.findings.map((f) => ({ ...f, evidence: evidence(f.evidence) })) };
  if (result.evidence) out.evidence = evidence(result.evidence);
  if (result.errorEvidence) out.errorEvidence = evidence(result.errorEvidence);
  return out;
}
