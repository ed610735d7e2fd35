// GitHub Actions: exact annotation lines (escaping, paths, attack lines) and
// the step summary appended on run-end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { GithubReporter, STEP_SUMMARY_LIMIT, workspacePath } from '../../src/report/github.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import type { RunEvent } from '../../src/model/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { SEVERITY, type RunResult } from '../../src/model/results.js';
import { tempDir } from '../helpers/harness.js';
import { handcraftedResult, realRun, SECRET } from './results.js';

const redact = new Redactor([SECRET]);

/** Feeds a finished run through the reporter as the runner would: scenario-end per scenario, then run-end. */
async function feed(result: RunResult, opts: { workspace: string; summaryFile?: string }): Promise<string> {
  let out = '';
  const reporter = new GithubReporter({ ...opts, write: (s) => (out += s) });
  const events = new ReporterMultiplexer([reporter], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact });
  for (const s of result.scenarios) {
    const ref = { name: s.name, file: s.file, line: s.line };
    const event: RunEvent = { type: 'scenario-end', scenario: ref, result: s };
    await events.emit(event);
  }
  await events.emit({ type: 'run-end', result });
  return out;
}

test('github: exact annotation lines, with data and properties escaped', async () => {
  const out = await feed(handcraftedResult(), { workspace: '/work/space' });
  const title = 'we%25ird %0D%0A%3A %2C < > & " \' | ` $x$ *b* name / ';
  assert.deepEqual(out.split('\n'), [
    `::error file=scenarios/we%2Cird%3A%25.yaml,line=21,title=${title}replay%3A wrong-replay (major)::wrong-replay: replay differs: 100%25 "wrong" <b>bold</b> & 'quoted' a:b, c%0D%0Asecond line with ***`,
    `::error file=scenarios/we%2Cird%3A%25.yaml,line=21,title=${title}replay%3A duplicate-effect (critical)::duplicate-effect: the replay made a second order ctl:\u0001\u0008\u000b\u001f\ufffe\ud800 end`,
    `::warning file=scenarios/we%2Cird%3A%25.yaml,line=30,title=${title}reuse::could not test: the first request was answered 503, not a success: "busy" <retry> & 50%25 later,%0Asee ***`,
    '',
  ]);
});

test('github: a real run annotates each finding at its attack entry under attacks:', async () => {
  const { result, yaml } = await realRun();
  const race = result.scenarios.find((s) => s.name === 'race orders')!;
  const workspace = path.dirname(path.dirname(race.file));
  const summaryFile = path.join(await tempDir(), 'step-summary.md');
  await writeFile(summaryFile, '# earlier step\n\n');
  const out = await feed(result, { workspace, summaryFile });

  // The line of `  concurrent:` (and `  replay:`) in each scenario file, counted independently of the loader.
  const lineOf = (name: string, attack: string) => yaml[name]!.split('\n').findIndex((l) => l.startsWith(`  ${attack}:`)) + 1;
  const rel = (name: string) => {
    const s = result.scenarios.find((x) => x.name === name)!;
    return `${path.basename(path.dirname(s.file))}/${path.basename(s.file)}`;
  };
  const lines = out.trimEnd().split('\n');
  const expected = [
    ...race.attacks.find((a) => a.attack === 'concurrent')!.findings.map(
      (f) => `::error file=${rel('race orders')},line=${lineOf('race orders', 'concurrent')},title=race orders / concurrent%3A ${f.kind} (${SEVERITY[f.kind]})::${f.kind}: ${f.message.replace(/%/g, '%25')}`,
    ),
    ...result.scenarios[1]!.attacks[0]!.findings.map(
      (f) => `::error file=${rel('replay orders')},line=${lineOf('replay orders', 'replay')},title=replay orders / replay%3A ${f.kind} (${SEVERITY[f.kind]})::${f.kind}: ${f.message.replace(/%/g, '%25')}`,
    ),
  ];
  assert.deepEqual(lines.filter((l) => l.startsWith('::error')), expected);
  assert.ok(lineOf('race orders', 'concurrent') > 1 && lineOf('race orders', 'concurrent') !== race.line);
  assert.equal(race.attacks.find((a) => a.attack === 'concurrent')!.findings[0]!.kind, 'duplicate-effect');
  assert.deepEqual(result.scenarios[1]!.attacks[0]!.findings.map((f) => f.kind), ['wrong-replay']);
  const warnings = lines.filter((l) => l.startsWith('::warning'));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, new RegExp(`^::warning file=${rel('gone orders')},line=${lineOf('gone orders', 'replay')},title=gone orders / replay::could not test: `));
  assert.ok(!out.includes(SECRET));

  const summary = await readFile(summaryFile, 'utf8');
  assert.ok(summary.startsWith('# earlier step\n\n## ❌ idemchaos: '), 'appended after what was there');
  assert.ok(summary.includes('| race orders | ✅ pass | ❌ duplicate-effect |'), summary);
  assert.ok(!summary.includes(SECRET));
});

test('github: paths are relative to the workspace, with forward slashes', () => {
  assert.equal(workspacePath('/w/repo/scenarios/a.yaml', '/w/repo'), 'scenarios/a.yaml');
  assert.equal(workspacePath('/w/repo/scenarios/a.yaml', '/w/repo/'), 'scenarios/a.yaml');
  assert.equal(workspacePath('scenarios/a.yaml', process.cwd()), 'scenarios/a.yaml');
  assert.equal(workspacePath(path.join(process.cwd(), 'x', 'b.yml'), process.cwd()), 'x/b.yml');
});

test('github: a summary over the step summary limit is cut with a note, its code block closed', async () => {
  const result = handcraftedResult();
  const finding = result.scenarios[0]!.attacks[0]!.findings[0]!;
  finding.evidence.diff = Array.from({ length: 40_000 }, (_, i) => `$.items[${i}]: "${'x'.repeat(20)}" → "${'y'.repeat(20)}"`);
  const summaryFile = path.join(await tempDir(), 'step-summary.md');
  await feed(result, { workspace: '/work/space', summaryFile });
  const summary = await readFile(summaryFile, 'utf8');
  assert.ok(Buffer.byteLength(summary) <= STEP_SUMMARY_LIMIT + 200, `${Buffer.byteLength(summary)} bytes`);
  assert.match(summary, /\n```\n\n… \(summary cut at GitHub's step summary limit; the full report is in the JSON, HTML or Markdown report\)\n$/);
  assert.equal((summary.match(/^```/gm) ?? []).length % 2, 0, 'every fence closed');
});
