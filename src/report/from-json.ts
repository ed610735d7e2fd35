// Reads a report written by `--report-json` back into a RunResult, so shard
// reports can be merged (`idemchaos merge-reports`) and rendered by every
// reporter again. Bodies become Buffers again and timestamps epoch ms, chosen
// so that writing the result out with `jsonReport` reproduces the input.
import { constants } from 'node:buffer';
import { IdemchaosError } from '../model/errors.js';
import type { Exchange } from '../model/http.js';
import { FINDING_KINDS, runOk, summarize, type AttackResult, type Evidence, type Finding, type OracleCounts, type RunResult, type RunSummary, type ScenarioResult } from '../model/results.js';
import { attackById, ATTACK_IDS, type AttackId } from '../attacks/index.js';
import type { AttackMetrics } from '../model/results.js';
import AjvModule, { type ValidateFunction } from 'ajv';
import { isPlainObject } from '../model/values.js';
import type { BodyRecord } from './evidence.js';

export class ReportFormatError extends IdemchaosError {
  constructor(
    readonly file: string,
    readonly detail: string,
  ) {
    super('usage', `${file} is not an idemchaos JSON report: ${detail}`);
  }
}

type Json = Record<string, unknown>;

/** A path into the document, for messages like `scenarios[0].attacks[2].verdict`. */
class Reader {
  constructor(private readonly file: string) {}

  fail(at: string, what: string): never {
    throw new ReportFormatError(this.file, `${at}: ${what}`);
  }

  object(v: unknown, at: string): Json {
    if (!isPlainObject(v)) this.fail(at, `expected an object, found ${kindOf(v)}`);
    return v;
  }

  array(v: unknown, at: string): unknown[] {
    if (!Array.isArray(v)) this.fail(at, `expected an array, found ${kindOf(v)}`);
    return v;
  }

  string(v: unknown, at: string): string {
    if (typeof v !== 'string') this.fail(at, `expected a string, found ${kindOf(v)}`);
    return v;
  }

  number(v: unknown, at: string): number {
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(at, `expected a number, found ${kindOf(v)}`);
    return v;
  }

  boolean(v: unknown, at: string): boolean {
    if (typeof v !== 'boolean') this.fail(at, `expected true or false, found ${kindOf(v)}`);
    return v;
  }

  oneOf<T extends string>(v: unknown, options: readonly T[], at: string): T {
    if (typeof v !== 'string' || !(options as readonly string[]).includes(v)) this.fail(at, `expected one of ${options.join(', ')}, found ${describe(v)}`);
    return v as T;
  }

  stringMap(v: unknown, at: string): Record<string, string> {
    const o = this.object(v, at);
    const out: Record<string, string> = {};
    for (const [k, val] of Object.entries(o)) out[k] = this.string(val, `${at}.${k}`);
    return out;
  }

  /** ISO 8601 as json.ts writes it (microseconds optional) → epoch ms with the sub-ms part. */
  time(v: unknown, at: string): number {
    const s = this.string(v, at);
    const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d+))?Z$/.exec(s);
    const whole = m ? Date.parse(`${m[1]}.${(m[2] ?? '').slice(0, 3).padEnd(3, '0')}Z`) : NaN;
    if (!m || Number.isNaN(whole)) this.fail(at, `expected an ISO 8601 UTC timestamp, found ${describe(s)}`);
    const micros = Number((m[2] ?? '').slice(3, 6).padEnd(3, '0'));
    return whole + micros / 1000;
  }
}

/**
 * Parses a JSON report (schemaVersion 1) into a RunResult; throws a
 * ReportFormatError naming `file` when the text is not such a report.
 */
export function readJsonReport(text: string, file: string): RunResult {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new ReportFormatError(file, `invalid JSON (${(err as Error).message})`);
  }
  const r = new Reader(file);
  if (!isPlainObject(doc)) throw new ReportFormatError(file, `expected a JSON object, found ${kindOf(doc)}`);
  const top = doc;
  if (!('schemaVersion' in top)) throw new ReportFormatError(file, 'no schemaVersion field');
  if (top.schemaVersion !== 1) {
    throw new ReportFormatError(file, `schemaVersion ${describe(top.schemaVersion)} is not supported (this idemchaos reads schemaVersion 1)`);
  }
  const tool = r.object(top.tool, 'tool');
  if (tool.name !== 'idemchaos') r.fail('tool.name', `expected "idemchaos", found ${describe(tool.name)}`);
  const ok = r.boolean(top.ok, 'ok');
  const startedAt = r.string(top.startedAt, 'startedAt');
  if (Number.isNaN(Date.parse(startedAt))) r.fail('startedAt', `expected an ISO 8601 timestamp, found ${describe(startedAt)}`);
  const durationMs = r.number(top.durationMs, 'durationMs');
  const s = r.object(top.summary, 'summary');
  const summary: RunSummary = {
    scenarios: r.number(s.scenarios, 'summary.scenarios'),
    attacks: r.number(s.attacks, 'summary.attacks'),
    passed: r.number(s.passed, 'summary.passed'),
    failed: r.number(s.failed, 'summary.failed'),
    errored: r.number(s.errored, 'summary.errored'),
    skipped: r.number(s.skipped, 'summary.skipped'),
  };
  const scenarios = r.array(top.scenarios, 'scenarios').map((sc, i) => readScenario(r, sc, `scenarios[${i}]`));
  // Summary and ok are kept as written (mergeResults recomputes them), so a report reads back unchanged.
  const result: RunResult = { startedAt, durationMs, scenarios, summary, ok };
  if (top.interrupted !== undefined && r.boolean(top.interrupted, 'interrupted')) result.interrupted = true;
  return result;
}

function readScenario(r: Reader, v: unknown, at: string): ScenarioResult {
  const o = r.object(v, at);
  const out: ScenarioResult = {
    name: r.string(o.name, `${at}.name`),
    file: r.string(o.file, `${at}.file`),
    line: r.number(o.line, `${at}.line`),
    target: r.string(o.target, `${at}.target`),
    attacks: r.array(o.attacks, `${at}.attacks`).map((a, i) => readAttack(r, a, `${at}.attacks[${i}]`)),
  };
  // Not written by schemaVersion 1 reports today; read when a later writer adds them.
  if (o.attackLines !== undefined) {
    const lines = r.object(o.attackLines, `${at}.attackLines`);
    out.attackLines = {};
    for (const [k, n] of Object.entries(lines)) {
      out.attackLines[r.oneOf(k, ATTACK_IDS, `${at}.attackLines`)] = r.number(n, `${at}.attackLines.${k}`);
    }
  }
  if (o.error !== undefined && o.error !== null) out.error = r.string(o.error, `${at}.error`);
  return out;
}

function readAttack(r: Reader, v: unknown, at: string): AttackResult {
  const o = r.object(v, at);
  const attack: AttackId = r.oneOf(o.attack, ATTACK_IDS, `${at}.attack`);
  const verdict = r.oneOf(o.verdict, ['pass', 'fail', 'error', 'skip'] as const, `${at}.verdict`);
  const out: AttackResult = {
    attack,
    verdict,
    responseOnly: r.boolean(o.responseOnly, `${at}.responseOnly`),
    durationMs: r.number(o.durationMs, `${at}.durationMs`),
    metrics: readMetrics(r, o.metrics, attack, verdict, `${at}.metrics`),
    findings: r.array(o.findings, `${at}.findings`).map((f, i) => readFinding(r, f, `${at}.findings[${i}]`)),
  };
  if (o.reason !== null && o.reason !== undefined) out.reason = r.string(o.reason, `${at}.reason`);
  if (o.errorEvidence !== undefined) out.errorEvidence = readEvidence(r, o.errorEvidence, `${at}.errorEvidence`);
  if (o.evidence !== undefined) out.evidence = readEvidence(r, o.evidence, `${at}.evidence`);
  if (o.unreachable !== undefined) out.unreachable = r.boolean(o.unreachable, `${at}.unreachable`);
  if (o.repeats !== undefined) {
    out.repeats = r.array(o.repeats, `${at}.repeats`).map((v, i) => {
      const run = r.object(v, `${at}.repeats[${i}]`);
      return {
        verdict: r.oneOf(run.verdict, ['pass', 'fail', 'error', 'skip'] as const, `${at}.repeats[${i}].verdict`),
        findings: r.array(run.findings, `${at}.repeats[${i}].findings`).map((k, j) => r.oneOf(k, FINDING_KINDS, `${at}.repeats[${i}].findings[${j}]`)),
        durationMs: r.number(run.durationMs, `${at}.repeats[${i}].durationMs`),
      };
    });
  }
  return out;
}

/** The metrics every attack shares, and each judged attack's own (its `metricsSchema`). */
const SHARED_METRICS = {
  type: 'object',
  properties: {
    requestsSent: { type: 'number' },
    timelines: {
      type: 'array',
      items: { type: 'array', items: { type: 'object', required: ['request', 'status', 'releasedMs'], properties: { request: { type: 'number' }, status: { type: 'number' }, releasedMs: { type: 'number' } } } },
    },
  },
};
const metricValidators = new Map<string, ValidateFunction>();

function readMetrics(r: Reader, v: unknown, attack: AttackId, verdict: string, at: string): AttackMetrics {
  const metrics = r.object(v, at);
  // Only a judged attack has metrics of its own; skipped and failed-to-test ones carry {} or the request count.
  const judged = verdict === 'pass' || verdict === 'fail';
  const own = judged ? attackById(attack)!.metricsSchema : {};
  const key = `${attack}:${judged}`;
  let validate = metricValidators.get(key);
  if (!validate) {
    validate = new AjvModule.default({ allErrors: false, allowUnionTypes: true }).compile({ allOf: [SHARED_METRICS, own] });
    metricValidators.set(key, validate);
  }
  if (!validate(metrics)) {
    const e = validate.errors![0]!;
    r.fail(`${at}${e.instancePath.replace(/\//g, '.')}`, e.message ?? 'invalid');
  }
  return metrics as AttackMetrics;
}

function readFinding(r: Reader, v: unknown, at: string): Finding {
  const o = r.object(v, at);
  return {
    kind: r.oneOf(o.kind, FINDING_KINDS, `${at}.kind`),
    message: r.string(o.message, `${at}.message`),
    evidence: readEvidence(r, o.evidence, `${at}.evidence`),
  };
}

function readEvidence(r: Reader, v: unknown, at: string): Evidence {
  const o = r.object(v, at);
  const out: Evidence = { exchanges: r.array(o.exchanges, `${at}.exchanges`).map((e, i) => readExchange(r, e, `${at}.exchanges[${i}]`)) };
  if (o.oracle !== undefined) {
    const orc = r.object(o.oracle, `${at}.oracle`);
    const oracle: OracleCounts = { before: r.number(orc.before, `${at}.oracle.before`), after: r.number(orc.after, `${at}.oracle.after`) };
    if (orc.ids !== undefined) oracle.ids = r.array(orc.ids, `${at}.oracle.ids`).map((id, i) => r.string(id, `${at}.oracle.ids[${i}]`));
    if (orc.note !== undefined) oracle.note = r.string(orc.note, `${at}.oracle.note`);
    out.oracle = oracle;
  }
  if (o.diff !== undefined) out.diff = r.array(o.diff, `${at}.diff`).map((d, i) => r.string(d, `${at}.diff[${i}]`));
  return out;
}

function readExchange(r: Reader, v: unknown, at: string): Exchange {
  const o = r.object(v, at);
  const req = r.object(o.request, `${at}.request`);
  const out: Exchange = {
    label: r.string(o.label, `${at}.label`),
    request: {
      method: r.string(req.method, `${at}.request.method`),
      url: r.string(req.url, `${at}.request.url`),
      headers: r.stringMap(req.headers, `${at}.request.headers`),
    },
    startedAt: r.time(o.startedAt, `${at}.startedAt`),
  };
  if (req.body !== undefined) out.request.body = readBody(r, req.body, `${at}.request.body`);
  if (o.response !== undefined) {
    const res = r.object(o.response, `${at}.response`);
    out.response = {
      status: r.number(res.status, `${at}.response.status`),
      headers: r.stringMap(res.headers, `${at}.response.headers`),
      body: readBody(r, res.body, `${at}.response.body`),
    };
  }
  if (o.error !== undefined) out.error = r.string(o.error, `${at}.error`);
  if (o.sentAt !== undefined) out.sentAt = r.time(o.sentAt, `${at}.sentAt`);
  if (o.firstByteAt !== undefined) out.firstByteAt = r.time(o.firstByteAt, `${at}.firstByteAt`);
  if (o.endedAt !== undefined) {
    out.endedAt = r.time(o.endedAt, `${at}.endedAt`);
    if (o.durationMs !== undefined) {
      const [startedAt, endedAt] = keepDuration(out.startedAt, out.endedAt, r.number(o.durationMs, `${at}.durationMs`));
      out.startedAt = startedAt;
      out.endedAt = endedAt;
    }
  }
  return out;
}

/**
 * The report stores start and end rounded to the microsecond and the
 * duration rounded from the unrounded times, so the rounded times may
 * disagree with it by a microsecond. Both times may move within their
 * rounding interval: pick values that keep all three as written.
 */
function keepDuration(start: number, end: number, durationMs: number): [number, number] {
  const duration = (a: number, b: number) => Math.round((b - a) * 1000) / 1000;
  if (duration(start, end) === durationMs) return [start, end];
  const steps = [0, -0.0004, 0.0004, -0.0002, 0.0002, -0.0001, 0.0001, -0.00045, 0.00045];
  for (const ds of steps) {
    for (const de of steps) {
      const s = start + ds;
      const e = end + de;
      if (isoMicros(s) === isoMicros(start) && isoMicros(e) === isoMicros(end) && duration(s, e) === durationMs) return [s, e];
    }
  }
  return [start, end];
}

/** The microsecond the report would write for `ms`, as evidence.ts rounds it. */
function isoMicros(ms: number): string {
  const whole = Math.floor(ms);
  return `${whole}.${Math.min(999, Math.round((ms - whole) * 1000))}`;
}

function readBody(r: Reader, v: unknown, at: string): Buffer {
  const o = r.object(v, at) as Partial<BodyRecord> & Json;
  const text = r.string(o.text, `${at}.text`);
  let bytes: Buffer;
  if (o.encoding === undefined) bytes = Buffer.from(text, 'utf8');
  else if (o.encoding === 'base64') {
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text)) r.fail(`${at}.text`, 'expected base64');
    bytes = Buffer.from(text, 'base64');
  } else r.fail(`${at}.encoding`, `expected "base64", found ${describe(o.encoding)}`);
  if (o.truncated === undefined) return bytes;
  // A cut body: keep its full length, so that a report written again says how much was cut.
  const t = r.object(o.truncated, `${at}.truncated`);
  const totalBytes = r.number(t.totalBytes, `${at}.truncated.totalBytes`);
  const shownBytes = r.number(t.shownBytes, `${at}.truncated.shownBytes`);
  if (!Number.isInteger(totalBytes) || totalBytes < shownBytes || totalBytes > constants.MAX_LENGTH) {
    r.fail(`${at}.truncated.totalBytes`, `expected a whole number of bytes from shownBytes (${shownBytes}) up, found ${totalBytes}`);
  }
  if (totalBytes <= bytes.length) return bytes;
  const full = Buffer.alloc(totalBytes);
  bytes.copy(full);
  return full;
}

/**
 * One run made of several (shard reports): scenarios in the given order,
 * durations summed, the earliest start, summary and ok recomputed;
 * interrupted when any of them was.
 */
export function mergeResults(results: RunResult[]): RunResult {
  if (results.length === 0) throw new Error('no reports to merge');
  const scenarios = results.flatMap((r) => r.scenarios);
  const summary = summarize(scenarios);
  const startedAt = results.map((r) => r.startedAt).reduce((a, b) => (Date.parse(b) < Date.parse(a) ? b : a));
  const merged: RunResult = {
    startedAt,
    durationMs: results.reduce((sum, r) => sum + r.durationMs, 0),
    scenarios,
    summary,
    ok: runOk(summary),
  };
  if (results.some((r) => r.interrupted)) merged.interrupted = true;
  return merged;
}

function kindOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (v === undefined) return 'nothing';
  return typeof v === 'object' ? 'an object' : `${typeof v} ${describe(v)}`;
}

function describe(v: unknown): string {
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}…` : s;
}
