// The machine-readable report (`--report-json`). Fields are only ever added,
// never removed or renamed: CI pipelines parse this.
import { SEVERITY, type RunResult } from '../model/results.js';
import { evidenceRecord } from './evidence.js';

export const JSON_BODY_LIMIT = 64 * 1024;

export function jsonReport(result: RunResult, tool: { name: string; version: string }): unknown {
  return {
    schemaVersion: 1,
    tool,
    ok: result.ok,
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
        findings: a.findings.map((f) => ({
          kind: f.kind,
          severity: SEVERITY[f.kind],
          message: f.message,
          evidence: evidenceRecord(f.evidence, JSON_BODY_LIMIT),
        })),
        ...(a.errorEvidence ? { errorEvidence: evidenceRecord(a.errorEvidence, JSON_BODY_LIMIT) } : {}),
        // A passing attack's exchanges: what an audit sign-off points at.
        ...(a.evidence ? { evidence: evidenceRecord(a.evidence, JSON_BODY_LIMIT) } : {}),
        ...(a.unreachable ? { unreachable: true } : {}),
      })),
    })),
  };
}

/** The report file's text: jsonReport, indented, with a final newline. */
export function jsonText(result: RunResult, tool: { name: string; version: string }): string {
  return JSON.stringify(jsonReport(result, tool), null, 2) + '\n';
}
