// The machine-readable report (`--report-json`). Fields are only ever added,
// never removed or renamed: CI pipelines parse this.
import { SEVERITY, type Finding, type RunResult } from '../model/results.js';
import type { ProxyAttempt, ProxySession } from '../model/proxy.js';
import { evidenceRecord, exchangeRecord, isoTime } from './evidence.js';

export const JSON_BODY_LIMIT = 64 * 1024;

export function jsonReport(result: RunResult, tool: { name: string; version: string }): unknown {
  return {
    schemaVersion: 1,
    tool,
    ok: result.ok,
    ...(result.interrupted ? { interrupted: true } : {}),
    startedAt: result.startedAt,
    durationMs: result.durationMs,
    summary: result.summary,
    scenarios: result.scenarios.map((s) => ({
      name: s.name,
      file: s.file,
      line: s.line,
      target: s.target,
      ...(s.attackLines ? { attackLines: s.attackLines } : {}),
      ...(s.error ? { error: s.error } : {}),
      attacks: s.attacks.map((a) => ({
        attack: a.attack,
        verdict: a.verdict,
        reason: a.reason ?? null,
        responseOnly: a.responseOnly,
        durationMs: a.durationMs,
        metrics: a.metrics,
        findings: a.findings.map(findingRecord),
        ...(a.errorEvidence ? { errorEvidence: evidenceRecord(a.errorEvidence, JSON_BODY_LIMIT) } : {}),
        // A passing attack's exchanges: what an audit sign-off points at.
        ...(a.evidence ? { evidence: evidenceRecord(a.evidence, JSON_BODY_LIMIT) } : {}),
        ...(a.unreachable ? { unreachable: true } : {}),
        // --repeat: every run's verdict, so the rate can be recomputed.
        ...(a.repeats ? { repeats: a.repeats } : {}),
      })),
    })),
    ...(result.proxy ? proxyRecords(result.proxy) : {}),
  };
}

function findingRecord(f: Finding): unknown {
  return { kind: f.kind, severity: SEVERITY[f.kind], message: f.message, evidence: evidenceRecord(f.evidence, JSON_BODY_LIMIT) };
}

/** `idemchaos proxy`: the session (`proxy`) and every operation with its ordered attempts (`operations`). */
function proxyRecords(p: ProxySession): { proxy: unknown; operations: unknown[] } {
  return {
    proxy: {
      upstream: p.upstream,
      url: p.url,
      faults: p.faults,
      match: p.match,
      keyHeader: p.keyHeader,
      stoppedBy: p.stoppedBy,
      passedThrough: p.passedThrough,
      command: p.command ?? null,
    },
    operations: p.operations.map((op) => ({
      id: op.id,
      method: op.method,
      path: op.path,
      key: op.key ?? null,
      verdict: op.verdict,
      note: op.note ?? null,
      attempts: op.attempts.map(attemptRecord),
      findings: op.findings.map(findingRecord),
    })),
  };
}

function attemptRecord(a: ProxyAttempt): unknown {
  return {
    seq: a.seq,
    at: isoTime(a.at),
    endedAt: isoTime(a.endedAt),
    method: a.method,
    path: a.path,
    key: a.key ?? null,
    bodyHash: a.bodyHash,
    fault: a.fault ?? null,
    upstream: a.upstream ?? null,
    client: a.client,
    ...(a.retryAfterMs !== undefined ? { retryAfterMs: a.retryAfterMs } : {}),
    ...(a.headersChanged ? { headersChanged: a.headersChanged } : {}),
    exchange: exchangeRecord(a.exchange, JSON_BODY_LIMIT),
  };
}

/** The report file's text: jsonReport, indented, with a final newline. */
export function jsonText(result: RunResult, tool: { name: string; version: string }): string {
  return JSON.stringify(jsonReport(result, tool), null, 2) + '\n';
}
