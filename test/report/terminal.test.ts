// The terminal report: multi-line texts (an oracle's stderr, curl's verbose
// output) stay inside their indentation and are cut at line ends, and the
// oracle evidence says what every other report says.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TerminalReporter } from '../../src/report/terminal.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import type { RunEvent } from '../../src/model/events.js';
import { markdownSummary } from '../../src/report/markdown.js';
import { junitXml } from '../../src/report/junit.js';
import { htmlReport } from '../../src/report/html.js';
import { summarize, type AttackResult, type OracleCounts, type RunResult } from '../../src/model/results.js';

const REF = { name: 'orders', file: 'o.yaml', line: 1 };

/** A terminal reporter on a string, fed through the event stream as the CLI wires it. */
async function terminal(events: RunEvent[], verbosity: 'quiet' | 'normal' | 'verbose' = 'normal'): Promise<string> {
  let out = '';
  const reporter = new TerminalReporter({ out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, color: false, live: false, verbosity });
  const mux = new ReporterMultiplexer([reporter], (name, err) => assert.fail(`${name} failed: ${String(err)}`));
  for (const e of events) await mux.emit(e);
  return out;
}

function runOf(attacks: AttackResult[]): RunResult {
  const scenarios = [{ ...REF, target: 'http://api.test', attacks }];
  const summary = summarize(scenarios);
  return { startedAt: '2026-11-28T10:00:00.000Z', durationMs: 100, scenarios, summary, ok: false };
}

function errored(reason: string): AttackResult {
  return { attack: 'replay', verdict: 'error', reason, responseOnly: false, durationMs: 20, metrics: {}, findings: [] };
}

const PSQL = [
  'oracle command exited 1: psql: error: ERROR:  relation "orderz" does not exist',
  "LINE 1: SELECT count(*) FROM orderz WHERE ref = 'ic-1a2b'",
  '                             ^',
].join('\n');

/** 300 lines of `curl -v`, as an oracle command's stderr would hold them. */
const CURL = Array.from({ length: 300 }, (_, i) =>
  i % 3 === 0 ? `*   Trying 127.0.0.1:${8000 + i}...` : i % 3 === 1 ? `> GET /orders?ref=ic-${i} HTTP/1.1` : `< HTTP/1.1 503 Service Unavailable (attempt ${i})`,
).join('\n');

test('terminal: every line of a multi-line reason is indented; the caret of psql still points at its column', async () => {
  const result = runOf([errored(PSQL)]);
  const out = await terminal([{ type: 'run-end', result }]);
  const lines = out.split('\n');
  const at = lines.indexOf('! orders › replay: could not test');
  assert.ok(at > 0, out);
  assert.deepEqual(lines.slice(at + 1, at + 4), PSQL.split('\n').map((l) => `  ${l}`));
  const [, line1, caret] = PSQL.split('\n');
  assert.equal(lines[at + 3]!.indexOf('^') - lines[at + 2]!.indexOf('LINE 1:'), caret!.indexOf('^') - line1!.indexOf('LINE 1:'));
});

test('terminal: the live attack line stays one line, saying there is more', async () => {
  const out = await terminal([{ type: 'attack-end', scenario: REF, result: errored(PSQL) }]);
  assert.equal(out, `  ! error replay     0.0s  ${PSQL.split('\n')[0]} …\n`);
});

test('terminal: a long multi-line text is cut at a line end, never inside a line, and says how much is left out', async () => {
  const out = await terminal([{ type: 'run-end', result: runOf([errored(CURL)]) }]);
  const lines = out.split('\n');
  const at = lines.indexOf('! orders › replay: could not test');
  const shown: string[] = [];
  for (const l of lines.slice(at + 1)) {
    if (!l.startsWith('  ') || l.startsWith('  … (')) break;
    shown.push(l.slice(2));
  }
  const all = CURL.split('\n');
  assert.ok(shown.length >= 10 && shown.length < all.length, `${shown.length} lines shown`);
  assert.deepEqual(shown, all.slice(0, shown.length), 'whole lines, in order');
  assert.equal(lines[at + 1 + shown.length], `  … (${all.length - shown.length} more lines; the whole text is in --report-json)`);
});

test('terminal: one very long line is cut at a word boundary', async () => {
  const words = Array.from({ length: 2000 }, (_, i) => `word${i}`).join(' ');
  const out = await terminal([{ type: 'run-end', result: runOf([errored(words)]) }]);
  const line = out.split('\n').find((l) => l.startsWith('  word0 '))!;
  const m = /^ {2}(.*) … \((\d+) more characters; the whole text is in --report-json\)$/.exec(line);
  assert.ok(m, line.slice(-120));
  assert.ok(words.startsWith(`${m[1]!} `), 'cut before a space, not inside a word');
  assert.equal(Number(m[2]), words.length - m[1]!.length);
});

test('terminal: multi-line finding messages, warnings and exchange errors stay indented', async () => {
  const finding: AttackResult = {
    attack: 'replay',
    verdict: 'fail',
    responseOnly: false,
    durationMs: 5,
    metrics: {},
    findings: [
      {
        kind: 'wrong-replay',
        message: 'replay differs:\nfirst line\r\nsecond line',
        evidence: {
          exchanges: [{ label: 'retry', request: { method: 'POST', url: 'http://api.test/o', headers: {} }, error: 'reset\ncurl: (56) Recv failure', startedAt: 0 }],
        },
      },
    ],
  };
  const out = await terminal([{ type: 'warning', message: 'teardown step 1 failed:\nanswered 500' }, { type: 'run-end', result: runOf([finding]) }]);
  assert.ok(out.startsWith('warning: teardown step 1 failed:\n         answered 500\n'), out);
  assert.ok(out.includes('\n  replay differs:\n  first line\n  second line\n'), out);
  assert.ok(out.includes('\n    ✖ reset\n      curl: (56) Recv failure\n'), out);
});

/** A concurrent finding merged over bursts: the per-burst readings are in the note. */
function bursts(oracle: OracleCounts): RunResult {
  return runOf([
    {
      attack: 'concurrent',
      verdict: 'fail',
      responseOnly: false,
      durationMs: 900,
      metrics: {},
      findings: [{ kind: 'duplicate-effect', message: '3 of 3 bursts created duplicates (5, 5, 5 side effects for one key each)', evidence: { exchanges: [], oracle } }],
    },
  ]);
}

test('oracle evidence: the same words in the terminal, Markdown, JUnit and HTML, per-burst readings included', async () => {
  const ids = Array.from({ length: 15 }, (_, i) => `ord_${i + 1}`);
  const oracle = { before: 0, after: 15, ids, note: 'burst 1: 0 → 5; burst 2: 5 → 10; burst 3: 10 → 15' };
  const result = bursts(oracle);
  const expected = 'oracle: 0 before, 15 after; ids: ord_1, ord_2, ord_3, ord_4, ord_5, ord_6, ord_7, ord_8, ord_9, ord_10, … (15 in all) (burst 1: 0 → 5; burst 2: 5 → 10; burst 3: 10 → 15)';

  const term = (await terminal([{ type: 'run-end', result }])).split('\n').filter((l) => l.includes('oracle:'));
  assert.deepEqual(term.map((l) => l.trim()), [expected]);

  const md = markdownSummary(result).split('\n').filter((l) => l.includes('oracle:'));
  assert.deepEqual(md.map((l) => l.replace(/^- /, '').replace(/`/g, '')), [expected]);

  const xml = junitXml(result).split('\n').filter((l) => l.includes('oracle:'));
  assert.deepEqual(xml.map((l) => l.trim().replace(/&gt;/g, '>')), [expected]);

  const html = htmlReport(result).split('\n').filter((l) => l.includes('oracle:'));
  assert.deepEqual(html.map((l) => l.replace(/<[^>]+>/g, '')), [expected]);
});
