// A proxy session as a run result: one scenario ("proxy <upstream>") whose
// attacks are the operations, so every reporter's table, JUnit testcases and
// annotations work unchanged; the operations themselves ride along in
// `RunResult.proxy` for the reports that show attempts.
import type { ProxyOperation, ProxySession } from '../model/proxy.js';
import { runOk, summarize, type AttackResult, type RunResult, type ScenarioResult } from '../model/results.js';

/** "#3 POST /v1/customers": an operation's name in tables and testcases. */
export function operationName(op: Pick<ProxyOperation, 'id' | 'method' | 'path'>): string {
  return `#${op.id} ${op.method} ${op.path}`;
}

export function operationResult(op: ProxyOperation): AttackResult {
  const first = op.attempts[0]!;
  const last = op.attempts[op.attempts.length - 1]!;
  const result: AttackResult = {
    attack: operationName(op),
    verdict: op.verdict,
    responseOnly: false,
    durationMs: Math.round(Math.max(0, last.endedAt - first.at) * 1000) / 1000,
    metrics: { requestsSent: op.attempts.length },
    findings: op.findings,
  };
  if (op.note !== undefined) result.reason = op.note;
  if (op.verdict === 'error') {
    result.errorEvidence = { exchanges: op.attempts.map((a) => a.exchange) };
    result.unreachable = true;
  }
  return result;
}

export function sessionResult(session: ProxySession, startedAt: number): RunResult {
  // No scenario file: line 0 makes the reports show `file` as the place, alone.
  const name = `proxy ${session.upstream}`;
  const scenario: ScenarioResult = {
    name,
    file: name,
    line: 0,
    target: session.upstream,
    attacks: session.operations.map(operationResult),
  };
  const summary = summarize([scenario]);
  return {
    startedAt: new Date(startedAt).toISOString(),
    durationMs: Date.now() - startedAt,
    scenarios: [scenario],
    summary,
    ok: runOk(summary),
    proxy: session,
  };
}
