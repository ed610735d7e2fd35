// Files built to take a loader down (the cases the property test found, and
// their neighbours): each ends in a positioned ScenarioError, through the
// loader and through the real CLI.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadScenarios } from '../../src/run/load.js';
import { formatMessages } from '../../src/scenario/errors.js';
import { MAX_FILE_BYTES, MAX_MESSAGES } from '../../src/scenario/load.js';
import { MAX_ALIAS_NODES, MAX_DEPTH } from '../../src/scenario/structure.js';
import { closest, editDistance } from '../../src/scenario/suggest.js';
import { cli } from '../helpers/harness.js';
import { show } from '../helpers/cli.js';
import { brief, loadError, scope, TempDir } from './helpers.js';

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

const HEAD = ['name: s', 'target: "{{ env.BASE_URL }}"', 'request:', '  path: /orders'];

/** A valid scenario whose request.json is `json` (flow YAML, on line 5). */
function withJson(json: string): string {
  return [...HEAD, `  json: ${json}`, ''].join('\n');
}

function nested(levels: number): string {
  return `${'['.repeat(levels)}1${']'.repeat(levels)}`;
}

/** The billion laughs: ten levels of ten aliases each, 10^10 values once expanded. */
const BOMB = [
  ...HEAD,
  '  json:',
  '    l0: &l0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]',
  ...Array.from({ length: 9 }, (_, i) => `    l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(', ')}]`),
  '',
].join('\n');

describe('hostile YAML: cycles, depth and alias bombs', () => {
  it('an alias inside the value it names (a cycle) is an error at the alias, not a stack overflow', async () => {
    const e = await loadError([await tmp.file('cycle.yaml', withJson('&a [1, *a]'))]);
    assert.deepEqual(brief(e.messages), ["cycle.yaml:5:16-18 alias '*a' is inside the value it names, which would then contain itself"]);
    const m = await loadError([await tmp.file('cycle-map.yaml', [...HEAD, '  json: &m', '    self: { again: *m }', ''].join('\n'))]);
    assert.deepEqual(brief(m.messages), ["cycle-map.yaml:6:20-22 alias '*m' is inside the value it names, which would then contain itself"]);
    const root = await loadError([await tmp.file('cycle-root.yaml', ['&r', ...HEAD, '  json: { up: *r }', ''].join('\n'))]);
    assert.deepEqual(brief(root.messages), ["cycle-root.yaml:6:15-17 alias '*r' is inside the value it names, which would then contain itself"]);
  });

  it('an alias may repeat an earlier value, also one holding aliases of its own', async () => {
    const text = [...HEAD, '  json:', '    a: &a { x: [1, 2] }', '    b: &b [*a, *a]', '    c: [*b, *a]', ''].join('\n');
    const { scenarios } = await loadScenarios([await tmp.file('reuse.yaml', text)], { scope });
    assert.deepEqual(scenarios[0]!.request.json, { a: { x: [1, 2] }, b: [{ x: [1, 2] }, { x: [1, 2] }], c: [[{ x: [1, 2] }, { x: [1, 2] }], { x: [1, 2] }] });
  });

  it('an alias with no anchor before it is named', async () => {
    const e = await loadError([await tmp.file('dangling.yaml', withJson('[*nope, &nope 1]'))]);
    assert.deepEqual(brief(e.messages), ["dangling.yaml:5:10-15 alias '*nope' names no anchor before it (write '&nope' on an earlier value)"]);
  });

  it('an alias bomb is refused at the alias where the repeated values pass the bound', async () => {
    const e = await loadError([await tmp.file('bomb.yaml', BOMB)]);
    assert.equal(e.messages.length, 1);
    const [m] = e.messages;
    assert.match(m!.message, new RegExp(`^aliases repeat more than ${MAX_ALIAS_NODES} values by here \\(an alias bomb\\?\\)`));
    // l4 (line 10) repeats l3, of 11,111 values, ten times: the bound is crossed at one of its aliases.
    assert.equal(m!.line, 10);
    assert.equal(BOMB.split('\n')[m!.line - 1]!.slice(m!.col - 1, m!.endCol! - 1).replace(/\d+$/, ''), '*l');
  });

  it(`nesting is refused past ${MAX_DEPTH} levels, written out or built from aliases`, async () => {
    // The file is level 1, request level 2, json level 3.
    const deepest = MAX_DEPTH - 2;
    const ok = await loadScenarios([await tmp.file('deep-ok.yaml', withJson(nested(deepest)))], { scope });
    let value: unknown = ok.scenarios[0]!.request.json;
    for (let i = 0; i < deepest; i++) value = (value as unknown[])[0];
    assert.equal(value, 1);

    const e = await loadError([await tmp.file('deep.yaml', withJson(nested(deepest + 1)))]);
    assert.deepEqual(brief(e.messages), [`deep.yaml:5:${9 + deepest}-${9 + deepest + 3} lists and maps nest more than ${MAX_DEPTH} levels deep here`]);

    // Each line nests the one before 20 levels deeper: the file nests 23 levels, the value 83.
    const chain = [...HEAD, '  json:', `    a: &a ${nested(20)}`, ...[1, 2, 3].map((i) => `    ${'b'.repeat(i)}: &${'b'.repeat(i)} ${'['.repeat(20)}*${i === 1 ? 'a' : 'b'.repeat(i - 1)}${']'.repeat(20)}`), ''].join('\n');
    const a = await loadError([await tmp.file('deep-alias.yaml', chain)]);
    assert.equal(a.messages.length, 1);
    assert.match(a.messages[0]!.message, new RegExp(`^alias '\\*bb?' nests this value \\d+ levels deep; scenarios allow ${MAX_DEPTH}$`));
  });

  it("nesting too deep for yaml's own reader is a positioned error", async () => {
    const e = await loadError([await tmp.file('abyss.yaml', withJson(nested(20_000)))]);
    assert.ok(e.messages.length >= 1);
    for (const m of e.messages) {
      assert.equal(m.line, 5);
      assert.ok(m.col >= 1);
    }
    assert.ok(e.messages.some((m) => /nest/.test(m.message)), brief(e.messages).join('\n'));
  });
});

describe('hostile sizes: long files, long lines, many problems', () => {
  it(`a file over ${MAX_FILE_BYTES / 1024 / 1024} MiB is refused before it is parsed, at 1:1 with its first line shown`, async () => {
    const file = await tmp.file('huge.yaml', [...HEAD, `  body: "${'x'.repeat(MAX_FILE_BYTES)}"`, ''].join('\n'));
    const e = await loadError([file]);
    assert.deepEqual(brief(e.messages), ['huge.yaml:1:1 the file is 1.0 MiB; a scenario file may be at most 1 MiB']);
    assert.match(formatMessages(e.messages, e.sources), /1 \| name: s\n/);
  });

  it(`a file of thousands of problems gets the first ${MAX_MESSAGES} and a count of the rest`, async () => {
    const keys = Array.from({ length: MAX_MESSAGES + 50 }, (_, i) => `zz${i}: 1`);
    const e = await loadError([await tmp.file('many.yaml', [...HEAD, ...keys, ''].join('\n'))]);
    assert.equal(e.messages.length, MAX_MESSAGES + 1);
    assert.match(brief(e.messages)[0]!, /^many\.yaml:5:1-4 unknown key 'zz0' \(allowed here: name, /);
    assert.deepEqual(brief(e.messages.slice(-1)), [`many.yaml:${5 + MAX_MESSAGES}:1 50 more errors in this file from here on, not shown (the first ${MAX_MESSAGES} are)`]);
  });

  it('a string of thousands of broken templates is told its first ten, each placed', async () => {
    const e = await loadError([await tmp.file('templates.yaml', [...HEAD.slice(0, 3), `  path: "/${'{{}}'.repeat(5000)}"`, ''].join('\n'))]);
    assert.equal(e.messages.length, 10);
    assert.deepEqual(
      e.messages.map((m) => [m.line, m.col, m.endCol]),
      Array.from({ length: 10 }, (_, i) => [4, 11 + 4 * i, 15 + 4 * i]),
    );
  });

  it('a megabyte-long bad value is quoted short, and its line shown as a window around the mark', async () => {
    const text = [...HEAD, '  json: { a: 1 }', `expect: { afterExpiry: "${'x'.repeat(500_000)}", inFlight: 9 }`, ''].join('\n');
    const e = await loadError([await tmp.file('long-line.yaml', text)]);
    const formatted = formatMessages(e.messages, e.sources);
    assert.ok(formatted.length < 2000, `${formatted.length} characters:\n${formatted.slice(0, 3000)}`);
    assert.match(formatted, /got 'x{37}\.\.\.'/);
    // The mark at the far end of the line still has its caret under it.
    const inFlight = formatted.split('\n\n').find((block) => block.includes('inFlight'))!;
    const [, code, carets] = inFlight.split('\n').slice(-3);
    assert.equal(code!.slice(carets!.indexOf('^'), carets!.lastIndexOf('^') + 1), '9');
  });

  it('a megabyte-long unknown word is answered without a suggestion, and suggestions are unchanged', () => {
    assert.equal(closest('x'.repeat(1_000_000), ['request', 'requests']), undefined);
    assert.equal(editDistance('x'.repeat(1_000_000), 'ab', 10), 11);
    assert.equal(closest('reqests', ['request', 'requests']), 'requests');
    assert.equal(closest('Reqeust', ['request', 'requests']), 'request');
    assert.equal(editDistance('kitten', 'sitting'), 3);
    assert.equal(editDistance('ab', 'ba'), 1);
  });

  it('lines end at \\n: a lone \\r stays on its line, and no mark runs past the line it starts on', async () => {
    const text = [...HEAD, '  json: { a: 1 }', 'expect:\r\r', '  afterExpiry: later\r\r', ''].join('\n');
    const e = await loadError([await tmp.file('cr.yaml', text)]);
    const lines = text.split(/\r?\n/);
    for (const m of e.messages) {
      assert.ok(m.line <= lines.length && m.col <= lines[m.line - 1]!.length + 1, brief([m])[0]);
      if (m.endCol !== undefined) assert.ok(m.endCol <= Math.max(lines[m.line - 1]!.length + 1, m.col + 1), brief([m])[0]);
    }
  });
});

describe('hostile files through the real CLI', () => {
  const cases: [string, string, RegExp][] = [
    ['bomb.yaml', BOMB, /^error: aliases repeat more than \d+ values by here/m],
    ['cycle.yaml', withJson('&a [1, *a]'), /^error: alias '\*a' is inside the value it names/m],
    ['merge-cycle.yaml', withJson('&a {<<: *a}'), /^error: alias '\*a' is inside the value it names/m],
    ['deep.yaml', withJson(nested(MAX_DEPTH)), /^error: lists and maps nest more than \d+ levels deep here/m],
    ['abyss.yaml', withJson(nested(20_000)), /^error: YAML syntax: lists and maps nest too deeply to read/m],
  ];
  for (const [name, text, expected] of cases) {
    it(`validate ${name}: exit 2, a positioned message, no stack trace`, async () => {
      const file = await tmp.file(name, text);
      const r = await cli(['validate', file], { env: { BASE_URL: 'http://127.0.0.1:9' } });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, expected, show(r));
      assert.match(r.stderr, new RegExp(`--> ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+\\n`), show(r));
      assert.doesNotMatch(r.stderr, /internal error|RangeError|\n\s+at /, show(r));
    });
  }

  it('run --dry-run loads the same way: a cycle is a usage error, not an internal one', async () => {
    const file = await tmp.file('run-cycle.yaml', withJson('&a [1, *a]'));
    const r = await cli(['run', file, '--dry-run', '--target', 'http://127.0.0.1:9']);
    assert.equal(r.code, 2, show(r));
    assert.match(r.stderr, /alias '\*a' is inside the value it names/, show(r));
    assert.doesNotMatch(r.stderr, /internal error|RangeError/, show(r));
  });
});
