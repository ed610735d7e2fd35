// What every human report says first, computed once: the outcome and its
// headline, the counts line, and which attacks get a column in the verdict
// table. The terminal, Markdown and HTML reports only style these.
import { ATTACK_IDS, type AttackId } from '../attacks/index.js';
import type { AttackResult, Finding, RunResult, RunSummary, ScenarioResult, Verdict } from '../model/results.js';
import { plural } from '../model/text.js';

export interface Located {
  s: ScenarioResult;
  a: AttackResult;
}

export interface Outline {
  /** Every attack, in run order, with its scenario. */
  attacks: Located[];
  findings: (Located & { f: Finding })[];
  /** Attacks that could not be tested. */
  errored: Located[];
  /** Scenarios that could not be tested as a whole (a setup step failed). */
  broken: ScenarioResult[];
  /** fail: some finding; error: nothing found but something could not be tested; pass otherwise. */
  outcome: Exclude<Verdict, 'skip'>;
  /** "2 findings in 1 attack", "could not test 3 attacks", "no findings". */
  headline: string;
}

export function outline(result: RunResult): Outline {
  const attacks = result.scenarios.flatMap((s) => s.attacks.map((a) => ({ s, a })));
  const findings = attacks.flatMap((l) => l.a.findings.map((f) => ({ ...l, f })));
  const errored = attacks.filter((l) => l.a.verdict === 'error');
  const broken = result.scenarios.filter((s) => s.error);
  const outcome = findings.length > 0 ? 'fail' : errored.length > 0 || broken.length > 0 || !result.ok ? 'error' : 'pass';
  // A proxy session's "attacks" are the client's operations.
  const unit = result.proxy ? 'operation' : 'attack';
  const headline =
    outcome === 'fail'
      ? `${plural(findings.length, 'finding')} in ${plural(result.summary.failed, unit)}`
      : outcome === 'error'
        ? `could not test ${plural(errored.length + broken.length, unit)}`
        : 'no findings';
  return { attacks, findings, errored, broken, outcome, headline };
}

/** The verdict table's columns: the attacks that ran anywhere, in the canonical order. */
export function usedAttacks(result: RunResult): AttackId[] {
  return ATTACK_IDS.filter((id) => result.scenarios.some((s) => s.attacks.some((a) => a.attack === id)));
}

/** "6 attacks in 2 scenarios"; for a proxy session (`proxy` set) "3 operations through the proxy". */
export function runSize(sum: RunSummary, proxy = false): string {
  if (proxy) return `${plural(sum.attacks, 'operation')} through the proxy`;
  return `${plural(sum.attacks, 'attack')} in ${plural(sum.scenarios, 'scenario')}`;
}

/** The counts line, one part per verdict: 3 passed, 1 failed, 1 could not test, 1 skipped. */
export function verdictCounts(sum: RunSummary): { verdict: Verdict; n: number; text: string }[] {
  return [
    { verdict: 'pass', n: sum.passed, text: `${sum.passed} passed` },
    { verdict: 'fail', n: sum.failed, text: `${sum.failed} failed` },
    { verdict: 'error', n: sum.errored, text: `${sum.errored} could not test` },
    { verdict: 'skip', n: sum.skipped, text: `${sum.skipped} skipped` },
  ];
}
