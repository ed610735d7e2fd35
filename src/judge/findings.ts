// Building blocks of the judging rules: one finding per violated rule, with
// the evidence that shows it.
import { statusIn } from '../scenario/status.js';
import type { Exchange } from '../model/http.js';
import type { OracleWindow } from '../engine/oracle.js';
import type { Expectations, StatusSet } from '../scenario/types.js';
import type { Evidence, Finding, FindingKind, OracleCounts } from '../model/results.js';

/** Collects findings, merging repeats of a rule into one finding. */
export class Findings {
  private readonly byKind = new Map<FindingKind, Finding>();

  add(kind: FindingKind, message: string, evidence: Evidence): void {
    const existing = this.byKind.get(kind);
    if (!existing) {
      this.byKind.set(kind, { kind, message, evidence: { ...evidence, exchanges: [...evidence.exchanges] } });
      return;
    }
    existing.message += `; ${message}`;
    for (const e of evidence.exchanges) if (!existing.evidence.exchanges.includes(e)) existing.evidence.exchanges.push(e);
    if (evidence.diff) existing.evidence.diff = [...(existing.evidence.diff ?? []), ...evidence.diff];
    existing.evidence.oracle ??= evidence.oracle;
  }

  list(): Finding[] {
    return [...this.byKind.values()];
  }
}

export function status(exchange: Exchange): number {
  return exchange.response!.status;
}

export function isSuccess(expect: Expectations, exchange: Exchange): boolean {
  return statusIn(expect.success, status(exchange));
}

/**
 * Any 5xx is a server error (only that); any other status outside the allowed
 * sets is unexpected. Returns true when the status was allowed.
 */
export function checkStatus(
  findings: Findings,
  exchange: Exchange,
  allowed: StatusSet[],
  expected: string,
  evidence: Omit<Evidence, 'exchanges'> = {},
): boolean {
  const code = status(exchange);
  if (code >= 500) {
    findings.add('server-error', `${exchange.label} was answered ${code}`, { ...evidence, exchanges: [exchange] });
    return false;
  }
  if (!allowed.some((set) => statusIn(set, code))) {
    findings.add('unexpected-status', `${exchange.label} was answered ${code}, expected ${expected}`, {
      ...evidence,
      exchanges: [exchange],
    });
    return false;
  }
  return true;
}

/**
 * checkStatus over many exchanges (a burst): one message per status, so 19
 * identical answers read as one line, not nineteen.
 */
export function checkStatuses(findings: Findings, exchanges: Exchange[], allowed: StatusSet[], expected: string, noun: string, total = exchanges.length): void {
  const byStatus = new Map<number, Exchange[]>();
  for (const e of exchanges) byStatus.set(status(e), [...(byStatus.get(status(e)) ?? []), e]);
  for (const [code, group] of byStatus) {
    if (code < 500 && allowed.some((set) => statusIn(set, code))) continue;
    const kind = code >= 500 ? 'server-error' : 'unexpected-status';
    const tail = code >= 500 ? '' : `, expected ${expected}`;
    findings.add(kind, `${group.length} of ${total} ${noun} were answered ${code}${tail}`, { exchanges: group.slice(0, 3) });
  }
}

/** The oracle's before/after counts of a run; undefined without an oracle. */
export function counts(run: OracleWindow): OracleCounts | undefined {
  if (!run.before || !run.after) return undefined;
  const c: OracleCounts = { before: run.before.count, after: run.after.count };
  if (run.after.ids) c.ids = run.after.ids;
  return c;
}

/** New side effects during the run; undefined without an oracle. */
export function effectsOf(run: OracleWindow): number | undefined {
  const c = counts(run);
  return c ? c.after - c.before : undefined;
}

/** The replay marker check: undefined when fine or not declared. */
export function missingReplayHeader(expect: Expectations, exchange: Exchange): string | undefined {
  const marker = expect.replayHeader;
  if (!marker) return undefined;
  const value = exchange.response!.headers[marker.name.toLowerCase()];
  if (value !== undefined && value.trim().toLowerCase() === marker.value.toLowerCase()) return undefined;
  return value === undefined
    ? `the replay lacks the header ${marker.name}: ${marker.value}`
    : `the replay carries ${marker.name}: ${value}, expected ${marker.value}`;
}
