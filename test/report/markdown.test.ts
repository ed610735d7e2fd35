// The Markdown summary: outcome heading, a table whose cells cannot break the
// table, findings with oracle counts and diffs, could-not-test reasons.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { markdownSummary } from '../../src/report/markdown.js';
import { FileReporter } from '../../src/report/file.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { summarize, type RunResult } from '../../src/model/results.js';
import { tempDir } from '../helpers/harness.js';
import { handcraftedResult, realRun, SECRET, WEIRD } from './results.js';

const redact = new Redactor([SECRET]);

/** The cells of a GFM table row: split on pipes not escaped by a backslash. */
function cells(row: string): string[] {
  assert.ok(row.startsWith('| ') && row.endsWith(' |'), row);
  return row.slice(2, -2).split(/(?<!\\) \| /);
}

/** What CommonMark shows for a backslash-escaped inline text (<br> as a line break). */
function shown(md: string): string {
  return md.replace(/<br>/g, '\n').replace(/\\([!-/:-@[-`{-~])/g, '$1');
}

test('markdown: the handcrafted run, table and findings exactly', () => {
  const md = markdownSummary(redact.run(handcraftedResult()));
  const lines = md.split('\n');
  assert.equal(lines[0], '## ❌ idemchaos: 2 findings in 1 attack');
  assert.equal(lines[2], '6 attacks in 2 scenarios: 3 passed, 1 failed, 1 could not test, 1 skipped (4.2 s, started 2026-11-28T10:00:00.000Z)');
  const table = lines.slice(4, 8);
  assert.deepEqual(table, [
    '| scenario | replay | concurrent | reuse | expiry | drop |',
    '| --- | --- | --- | --- | --- | --- |',
    '| we%ird <br>: , \\< \\> \\& " \' \\| \\` \\$x\\$ \\*b\\* name | ❌ wrong-replay<br>duplicate-effect | ✅ pass | ⚠️ could not test | ⏭️ skip | ✅ pass |',
    '| plain | ✅ pass |  |  |  |  |',
  ]);
  for (const row of table) assert.equal(cells(row).length, 6, `six cells in ${row}`);
  assert.equal(shown(cells(table[2]!)[0]!), WEIRD.replace('\r\n', '\n'), 'the name reads back as written');

  const findings = md.slice(md.indexOf('### Findings'));
  assert.ok(
    findings.includes(
      [
        `#### ❌ we%ird <br>: , \\< \\> \\& " ' \\| \\\` \\$x\\$ \\*b\\* name › replay: \`wrong-replay\` (major)`,
        '',
        `replay differs: 100% "wrong" \\<b\\>bold\\</b\\> \\& 'quoted' a:b, c\\`,
        'second line with \\*\\*\\*',
        '',
        '- where: `/work/space/scenarios/we,ird:%.yaml:21`',
        '- oracle: 0 before, 1 after; ids: `ord_1`',
        '- original: `POST http://api.example.test/orders?token=***` → 201',
        '- retry (same key): `POST http://api.example.test/orders?token=***` → 200',
        '',
        'original → replay:',
        '',
        // The diff holds a run of three backticks: the fence is longer.
        '````text',
        'status: 201 → 200',
        '$.note: "```" → "<b>|</b>"',
        '````',
      ].join('\n'),
    ),
    findings,
  );
  assert.ok(findings.includes('- oracle: 0 before, 2 after; ids: `ord_1`, `ord_2` (read twice)'));
  assert.ok(
    md.endsWith(
      '### Could not test\n\n' +
        `- ⚠️ **we%ird <br>: , \\< \\> \\& " ' \\| \\\` \\$x\\$ \\*b\\* name › reuse**: the first request was answered 503, not a success: "busy" \\<retry\\> \\& 50% later,<br>see \\*\\*\\*\n`,
    ),
    md,
  );
  assert.ok(!md.includes(SECRET));
});

test('markdown: a real run through the reporter', async () => {
  const { result } = await realRun();
  const file = path.join(await tempDir(), 'summary.md');
  const events = new ReporterMultiplexer([new FileReporter('markdown', file, markdownSummary)], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact });
  await events.emit({ type: 'run-end', result });
  const md = await readFile(file, 'utf8');
  const lines = md.split('\n');
  const findings = result.scenarios.flatMap((s) => s.attacks.flatMap((a) => a.findings));
  assert.equal(lines[0], `## ❌ idemchaos: ${findings.length} finding${findings.length === 1 ? '' : 's'} in 2 attacks`);
  const start = lines.indexOf('| scenario | replay | concurrent |');
  assert.ok(start > 0, md);
  assert.deepEqual(lines.slice(start, start + 5), [
    '| scenario | replay | concurrent |',
    '| --- | --- | --- |',
    '| race orders | ✅ pass | ❌ duplicate-effect |',
    '| replay orders | ❌ wrong-replay |  |',
    '| gone orders | ⚠️ could not test |  |',
  ]);
  assert.ok(md.includes('#### ❌ race orders › concurrent: `duplicate-effect` (critical)'));
  assert.match(md, /#### ❌ replay orders › replay: `wrong-replay` \(major\)\n\n[^\n]+\n\n- where: `[^`]+:\d+`\n- oracle: 0 before, 1 after; ids: `ord_\w+`/);
  assert.match(md, /```text\nstatus: 201 → 200\n\$\.createdAt: "[^"]+" → "[^"]+"\n```/);
  assert.match(md, /### Could not test\n\n- ⚠️ \*\*gone orders › replay\*\*: .+/);
  assert.ok(!md.includes(SECRET));
});

test('markdown: a clean run and a run that could not test say so in the heading', () => {
  const pass = handcraftedResult().scenarios[1]!;
  const ok: RunResult = { startedAt: '2026-11-28T10:00:00.000Z', durationMs: 10, scenarios: [pass], summary: summarize([pass]), ok: true };
  assert.match(markdownSummary(redact.run(ok)), /^## ✅ idemchaos: no findings\n/);
  const errored = handcraftedResult().scenarios[0]!;
  errored.attacks = errored.attacks.filter((a) => a.verdict !== 'fail');
  const err: RunResult = { ...ok, scenarios: [errored], summary: summarize([errored]), ok: false };
  const md = markdownSummary(redact.run(err));
  assert.match(md, /^## ⚠️ idemchaos: could not test 1 attack\n/);
  assert.ok(!md.includes('### Findings'));
});
