// The machine-readable report (`--report-json`). Fields are only ever added,
// never removed or renamed: CI pipelines parse this.
import { writeFile } from 'node:fs/promises';
import type { RunResult } from '../model/results.js';
import { evidenceRecord } from './evidence.js';
import type { Reporter, RunEvent } from './events.js';
import type { Redactor } from '../secrets/redactor.js';

export const JSON_BODY_LIMIT = 64 * 1024;

export function jsonReport(result: RunResult, tool: { name: string; version: string }, redact: Redactor): unknown {
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
      target: redact.text(s.target),
      ...(s.attackLines ? { attackLines: s.attackLines } : {}),
      ...(s.error ? { error: redact.text(s.error) } : {}),
      attacks: s.attacks.map((a) => ({
        attack: a.attack,
        verdict: a.verdict,
        reason: a.reason === undefined ? null : redact.text(a.reason),
        responseOnly: a.responseOnly,
        durationMs: a.durationMs,
        // Metrics quote response bodies (the concurrent attack's body histogram): redact them too.
        metrics: redactDeep(a.metrics, redact),
        findings: a.findings.map((f) => ({
          kind: f.kind,
          message: redact.text(f.message),
          evidence: evidenceRecord(f.evidence, redact, JSON_BODY_LIMIT),
        })),
        ...(a.errorEvidence ? { errorEvidence: evidenceRecord(a.errorEvidence, redact, JSON_BODY_LIMIT) } : {}),
        ...(a.unreachable ? { unreachable: true } : {}),
      })),
    })),
  };
}

export class JsonReporter implements Reporter {
  readonly name = 'json';

  constructor(
    private readonly file: string,
    private readonly tool: { name: string; version: string },
    private readonly redact: Redactor,
  ) {}

  async onEvent(event: RunEvent): Promise<void> {
    if (event.type !== 'run-end') return;
    await writeFile(this.file, JSON.stringify(jsonReport(event.result, this.tool, this.redact), null, 2) + '\n');
  }
}

function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact.text(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}
