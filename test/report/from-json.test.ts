// Reading JSON reports back (for merge-reports): a report read and written
// again is the same report; anything else is refused with the file named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { mergeResults, readJsonReport, ReportFormatError } from '../../src/report/from-json.js';
import { jsonReport, jsonText } from '../../src/report/json.js';
import { FileReporter } from '../../src/report/file.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { summarize, type RunResult } from '../../src/model/results.js';
import type { Exchange } from '../../src/model/http.js';
import { tempDir } from '../helpers/harness.js';
import { bigText, handcraftedResult, realRun, SECRET } from './results.js';

const TOOL = { name: 'idemchaos', version: '0.1.0' };
const redact = new Redactor([SECRET]);

async function writeReport(result: RunResult): Promise<string> {
  const file = path.join(await tempDir(), 'report.json');
  const events = new ReporterMultiplexer([new FileReporter('json', file, (r) => jsonText(r, TOOL))], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact });
  await events.emit({ type: 'run-end', result });
  return readFile(file, 'utf8');
}

const plain = (v: unknown): unknown => JSON.parse(JSON.stringify(v));

function exchanges(result: RunResult): Exchange[] {
  return result.scenarios.flatMap((s) =>
    s.attacks.flatMap((a) => [...a.findings.flatMap((f) => f.evidence.exchanges), ...(a.errorEvidence?.exchanges ?? []), ...(a.evidence?.exchanges ?? [])]),
  );
}

let real: ReturnType<typeof realRun> | undefined;
const realOnce = () => (real ??= realRun());

interface ExchangeDoc {
  label: string;
  request: { method: string; url: string; headers: Record<string, string> };
  response?: { status: number; body: { text: string; truncated?: { shownBytes: number; totalBytes: number } } };
}
interface AttackDoc {
  attack: string;
  verdict: string;
  evidence?: { exchanges: ExchangeDoc[] };
}

test('from-json: a real run round-trips: JSON → readJsonReport → jsonReport is the same report', async () => {
  const { result } = await realOnce();
  const text = await writeReport(result);
  const read = readJsonReport(text, 'real.json');
  assert.deepEqual(plain(jsonReport(read, TOOL)), JSON.parse(text));
  // Through the reporter again, redacted again, as merge-reports does: the same file.
  assert.equal(await writeReport(read), text);

  // Back to the in-memory types: Buffers, epoch ms, undefined for null.
  const before = exchanges(result);
  const after = exchanges(read);
  assert.equal(after.length, before.length);
  assert.ok(after.length > 10);
  before.forEach((b, i) => {
    const a = after[i]!;
    assert.ok(Buffer.isBuffer(a.response?.body ?? Buffer.alloc(0)));
    if (b.response) assert.ok(a.response!.body.equals(b.response.body), `body of ${b.label}`);
    if (b.request.body?.length) assert.ok(a.request.body!.equals(b.request.body));
    for (const k of ['startedAt', 'sentAt', 'firstByteAt', 'endedAt'] as const) {
      if (b[k] === undefined) assert.equal(a[k], undefined);
      else assert.ok(Math.abs(a[k]! - b[k]!) < 0.0011, `${k}: ${a[k]} vs ${b[k]}`);
    }
  });
  assert.equal(read.scenarios[0]!.attacks[0]!.reason, undefined);
  assert.deepEqual(read.summary, result.summary);
  assert.equal(read.ok, false);
  assert.deepEqual(read.scenarios[0]!.attacks[1]!.metrics, plain(result.scenarios[0]!.attacks[1]!.metrics));
});

test('from-json: edge cases round-trip: binary, cut and redacted bodies, special characters, no response', async () => {
  const result = handcraftedResult();
  const text = await writeReport(result);
  assert.ok(!text.includes(SECRET));
  const read = readJsonReport(text, 'hand.json');
  assert.deepEqual(plain(jsonReport(read, TOOL)), JSON.parse(text));
  assert.equal(await writeReport(read), text);

  const [binary, big] = read.scenarios[0]!.attacks[0]!.findings[1]!.evidence.exchanges;
  assert.deepEqual([...binary!.response!.body], [0x89, 0x50, 0x4e, 0x47, 0x00, 0xff, 0xfe, 0x01, 0x02]);
  assert.equal(big!.response!.body.length, 70_000, 'a cut body keeps its length');
  assert.ok(big!.response!.body.subarray(0, 64 * 1024 - 1).equals(bigText(70_000).subarray(0, 64 * 1024 - 1)));
  const reuse = read.scenarios[0]!.attacks[2]!;
  assert.equal(reuse.errorEvidence!.exchanges[0]!.response, undefined);
  assert.equal(reuse.errorEvidence!.exchanges[0]!.error, 'connect ECONNREFUSED 127.0.0.1:1');
  assert.equal(reuse.reason, 'the first request was answered 503, not a success: "busy" <retry> & 50% later,\nsee ***');
  assert.equal(read.scenarios[0]!.name, result.scenarios[0]!.name);
});

test('from-json: timestamps and durations survive the microsecond rounding, whatever the clock said', () => {
  // Start and end are written rounded to the microsecond, the duration from the unrounded times.
  const result = handcraftedResult();
  const base = result.scenarios[0]!.attacks[0]!.findings[0]!.evidence.exchanges[0]!;
  let seed = 42;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const many: Exchange[] = [];
  for (let i = 0; i < 3000; i++) {
    const startedAt = 1_764_324_000_000 + random() * 1e7;
    many.push({ ...base, label: `e${i}`, startedAt, sentAt: startedAt + random(), firstByteAt: startedAt + random() * 50, endedAt: startedAt + random() * 100 });
  }
  result.scenarios[0]!.attacks[0]!.findings[0]!.evidence.exchanges = many;
  const text = JSON.stringify(jsonReport(redact.run(result), TOOL));
  assert.deepEqual(plain(jsonReport(readJsonReport(text, 'many.json'), TOOL)), JSON.parse(text));
});

test('from-json: what is not a schemaVersion 1 report is refused, naming the file and the place', () => {
  const good = JSON.parse(JSON.stringify(jsonReport(redact.run(handcraftedResult()), TOOL))) as Record<string, any>;
  const refuse = (text: string, message: RegExp) => {
    assert.throws(
      () => readJsonReport(text, 'shards/b.json'),
      (err: unknown) => {
        assert.ok(err instanceof ReportFormatError);
        assert.equal(err.file, 'shards/b.json');
        assert.match(err.message, /^shards\/b\.json is not an idemchaos JSON report: /);
        assert.match(err.message, message);
        return true;
      },
    );
  };
  const edited = (edit: (doc: Record<string, any>) => void) => {
    const doc = structuredClone(good);
    edit(doc);
    return JSON.stringify(doc);
  };
  refuse('{"schemaVersion": 1, ', /invalid JSON/);
  refuse('[]', /expected a JSON object, found an array/);
  refuse('<testsuites/>', /invalid JSON/);
  refuse(edited((d) => delete d.schemaVersion), /no schemaVersion field/);
  refuse(edited((d) => (d.schemaVersion = 2)), /schemaVersion 2 is not supported/);
  refuse(edited((d) => (d.schemaVersion = '1')), /schemaVersion "1" is not supported/);
  refuse(edited((d) => (d.tool.name = 'other')), /tool\.name: expected "idemchaos", found "other"/);
  refuse(edited((d) => delete d.scenarios), /scenarios: expected an array, found nothing/);
  refuse(edited((d) => (d.scenarios[0].attacks[1].verdict = 'maybe')), /scenarios\[0\]\.attacks\[1\]\.verdict: expected one of pass, fail, error, skip, found "maybe"/);
  refuse(edited((d) => (d.scenarios[0].attacks[0].findings[0].kind = 'oops')), /scenarios\[0\]\.attacks\[0\]\.findings\[0\]\.kind: expected one of server-error/);
  refuse(
    edited((d) => (d.scenarios[0].attacks[0].findings[0].evidence.exchanges[1].startedAt = 'yesterday')),
    /scenarios\[0\]\.attacks\[0\]\.findings\[0\]\.evidence\.exchanges\[1\]\.startedAt: expected an ISO 8601 UTC timestamp, found "yesterday"/,
  );
  refuse(
    edited((d) => (d.scenarios[0].attacks[0].findings[1].evidence.exchanges[0].response.body.text = 'not base64!')),
    /findings\[1\]\.evidence\.exchanges\[0\]\.response\.body\.text: expected base64/,
  );
  refuse(edited((d) => (d.scenarios[0].attacks[0].findings[0].evidence.exchanges[0].request.headers.Foo = 1)), /request\.headers\.Foo: expected a string, found number 1/);
  refuse(edited((d) => (d.summary.failed = null)), /summary\.failed: expected a number, found null/);
  // Metrics are each attack's own, checked against its metricsSchema.
  refuse(edited((d) => (d.scenarios[0].attacks[1].metrics.releaseSkewMs = 'fast')), /scenarios\[0\]\.attacks\[1\]\.metrics\.releaseSkewMs: must be number/);
  refuse(edited((d) => delete d.scenarios[0].attacks[1].metrics.engine), /scenarios\[0\]\.attacks\[1\]\.metrics: must have required property 'engine'/);
  refuse(edited((d) => (d.scenarios[0].attacks[0].metrics.requestsSent = '2')), /scenarios\[0\]\.attacks\[0\]\.metrics\.requestsSent: must be number/);
  // A report with fields added later still reads.
  const extended = readJsonReport(edited((d) => ((d.generator = { ci: true }), (d.scenarios[0].attacks[0].flaky = false))), 'new.json');
  assert.equal(extended.scenarios.length, 2);
});

test('from-json: mergeResults concatenates in order and recomputes summary, ok, duration and start', async () => {
  const hand = handcraftedResult();
  const shardA: RunResult = { ...hand, scenarios: [hand.scenarios[1]!], summary: summarize([hand.scenarios[1]!]), ok: true, startedAt: '2026-11-28T10:00:05.000Z', durationMs: 10 };
  const shardB: RunResult = { ...hand, scenarios: [hand.scenarios[0]!], startedAt: '2026-11-28T09:59:59.500Z', durationMs: 4209 };
  const shardC: RunResult = { ...hand, scenarios: [], summary: summarize([]), ok: true, startedAt: '2026-11-28T10:00:01.000Z', durationMs: 1 };

  // Through the files, as merge-reports does.
  const texts = await Promise.all([shardA, shardB, shardC].map(writeReport));
  const merged = mergeResults(texts.map((t, i) => readJsonReport(t, `shard-${i}.json`)));
  assert.deepEqual(
    merged.scenarios.map((s) => s.name),
    ['plain', hand.scenarios[0]!.name],
  );
  assert.deepEqual(merged.summary, { scenarios: 2, attacks: 6, passed: 3, failed: 1, errored: 1, skipped: 1 });
  assert.equal(merged.ok, false);
  assert.equal(merged.durationMs, 4220);
  assert.equal(merged.startedAt, '2026-11-28T09:59:59.500Z');
  const doc = plain(jsonReport(merged, TOOL)) as { summary: unknown; scenarios: { attacks: unknown[] }[] };
  assert.deepEqual(doc.summary, merged.summary);
  assert.deepEqual(doc.scenarios[1], (JSON.parse(texts[1]!) as { scenarios: unknown[] }).scenarios[0]);

  // Passing shards merge into a passing run.
  const ok = mergeResults([shardA, shardC]);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.summary, { scenarios: 1, attacks: 1, passed: 1, failed: 0, errored: 0, skipped: 0 });
  assert.equal(ok.startedAt, '2026-11-28T10:00:01.000Z');
  // ok is recomputed, not carried over.
  assert.equal(mergeResults([{ ...shardB, ok: true }]).ok, false);
  assert.throws(() => mergeResults([]), /no reports to merge/);
});

test('json: a passing attack keeps its exchanges as evidence (redacted, cut), and they survive merge-reports', async () => {
  const { result } = await realOnce();
  const text = await writeReport(result);
  const doc = JSON.parse(text) as { scenarios: { name: string; attacks: AttackDoc[] }[] };
  const race = doc.scenarios.find((s) => s.name === 'race orders')!;
  const replay = race.attacks.find((a) => a.attack === 'replay')!;
  assert.equal(replay.verdict, 'pass');
  assert.deepEqual(
    replay.evidence!.exchanges.map((e) => `${e.label} ${e.request.method} → ${e.response?.status}`),
    ['original POST → 201', 'retry (same key) POST → 201'],
  );
  assert.equal(replay.evidence!.exchanges[0]!.request.headers['Authorization'], 'Bearer ***');
  assert.equal(replay.evidence!.exchanges[0]!.request.headers['X-Api-Key'], '***');
  assert.ok(!text.includes(SECRET));

  // Read back and merged, as merge-reports does: the same evidence, written the same way.
  const merged = mergeResults([readJsonReport(text, 'shard-1.json')]);
  const again = JSON.parse(await writeReport(merged)) as typeof doc;
  assert.deepEqual(again.scenarios, doc.scenarios);
});

test('json: a passing attack\'s bodies are cut at 64 KiB like any evidence', async () => {
  const result = handcraftedResult();
  const pass = result.scenarios[1]!.attacks[0]!;
  const base = result.scenarios[0]!.attacks[0]!.findings[1]!.evidence.exchanges[1]!;
  pass.evidence = { exchanges: [{ ...base, label: 'original' }] };
  const doc = JSON.parse(await writeReport(result)) as { scenarios: { attacks: AttackDoc[] }[] };
  const body = doc.scenarios[1]!.attacks[0]!.evidence!.exchanges[0]!.response!.body;
  assert.deepEqual(body.truncated, { shownBytes: 64 * 1024, totalBytes: 70_000 });
  const read = readJsonReport(JSON.stringify(doc), 'pass.json');
  assert.equal(read.scenarios[1]!.attacks[0]!.evidence!.exchanges[0]!.response!.body.length, 70_000);
});

test('json: an interrupted run says so at the top; read back, and merged with others, it still does', async () => {
  const interrupted: RunResult = { ...handcraftedResult(), interrupted: true };
  const text = await writeReport(interrupted);
  const doc = JSON.parse(text);
  assert.equal(doc.interrupted, true);
  assert.deepEqual(Object.keys(doc).slice(0, 4), ['schemaVersion', 'tool', 'ok', 'interrupted'], 'next to ok, where a reader looks first');
  const read = readJsonReport(text, 'interrupted.json');
  assert.equal(read.interrupted, true);
  assert.equal(await writeReport(read), text, 'round-trips');

  // A run that was not interrupted has no such field at all (additions only).
  const whole = await writeReport(handcraftedResult());
  assert.equal('interrupted' in JSON.parse(whole), false);
  assert.equal(readJsonReport(whole, 'whole.json').interrupted, undefined);

  assert.equal(mergeResults([readJsonReport(whole, 'a.json'), read]).interrupted, true);
  assert.equal(mergeResults([readJsonReport(whole, 'a.json'), readJsonReport(whole, 'b.json')]).interrupted, undefined);
  assert.throws(() => readJsonReport(text.replace('"interrupted": true', '"interrupted": "yes"'), 'bad.json'), /bad\.json is not an idemchaos JSON report: interrupted: expected true or false, found string "yes"/);
});
