import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { formatMessage } from '../../src/scenario/errors.js';
import { loadScenarios } from '../../src/run/load.js';
import { brief, loadError, scope, TempDir } from './helpers.js';

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

/** A valid scenario with `extra` lines appended (or `replace` applied). */
function scenario(extra: string[] = [], replace: Record<string, string> = {}): string {
  const lines = ['name: s', 'target: "{{ env.BASE_URL }}"', 'request:', '  path: /orders', '  json: { sku: w, ref: "{{ run.id }}" }', ...extra];
  return lines.map((l) => replace[l] ?? l).join('\n') + '\n';
}

async function errorsOf(name: string, text: string, options = {}): Promise<string[]> {
  const file = await tmp.file(name, text);
  return brief((await loadError([file], options)).messages);
}

describe('loadScenarios: schema errors, positioned', () => {
  it('an unknown key, with the nearest valid key suggested', async () => {
    assert.deepEqual(await errorsOf('typo.yaml', scenario(['attacks:', '  concurrent:', '    reqests: 20'])), [
      "typo.yaml:8:5-12 unknown key 'reqests'; did you mean 'requests'?",
    ]);
    assert.deepEqual(await errorsOf('typo2.yaml', scenario(['expct: {}'])), ["typo2.yaml:6:1-6 unknown key 'expct'; did you mean 'expect'?"]);
  });

  it('an unknown key with nothing close lists the allowed keys', async () => {
    assert.deepEqual(await errorsOf('unknown.yaml', scenario(['idempotency: { header: K, zzz: 1 }'])), [
      "unknown.yaml:6:27-30 unknown key 'zzz' (allowed here: header, ttl, maxLength)",
    ]);
  });

  it('a wrong type', async () => {
    assert.deepEqual(await errorsOf('type.yaml', scenario(['attacks:', '  concurrent: { requests: many }'])), [
      "type.yaml:7:27-31 'attacks.concurrent.requests' must be a whole number; got 'many'",
    ]);
    assert.deepEqual(await errorsOf('type2.yaml', scenario([], { 'name: s': 'name: [a, b]' })), ["type2.yaml:1:7-13 'name' must be a string; got a list"]);
  });

  it('a pattern mismatch names what was expected', async () => {
    assert.deepEqual(await errorsOf('header.yaml', scenario(['idempotency: { header: "Idem Key" }'])), [
      "header.yaml:6:24-34 'idempotency.header' must be a header name such as Idempotency-Key; got 'Idem Key'",
    ]);
  });

  it('a value out of range', async () => {
    assert.deepEqual(await errorsOf('range.yaml', scenario(['attacks: { concurrent: { requests: 1001 } }'])), [
      "range.yaml:6:36-40 'attacks.concurrent.requests' must be at most 1000; got 1001",
    ]);
  });

  it('a bad enum value lists the allowed values', async () => {
    assert.deepEqual(await errorsOf('enum.yaml', scenario(['expect:', '  afterExpiry: later'])), [
      "enum.yaml:7:16-21 'expect.afterExpiry' must be one of new, reject, replay, any; got 'later'",
    ]);
    assert.deepEqual(await errorsOf('enum2.yaml', scenario(['attacks:', '  drop: { at: [after-send, mid-bdy] }'])), [
      "enum2.yaml:7:28-35 'attacks.drop.at[1]' must be one of after-send, mid-body, mid-response; got 'mid-bdy'; did you mean 'mid-body'?",
    ]);
  });

  it('a missing required key, and an empty attacks block', async () => {
    assert.deepEqual(await errorsOf('required.yaml', 'name: s\ntarget: http://x\n'), ["required.yaml:1:1 missing required key 'request'"]);
    assert.deepEqual(await errorsOf('required2.yaml', scenario(['effects:', '  count: { select: $.n }'])), [
      "required2.yaml:7:3-8 missing required key 'request' in 'effects.count'",
    ]);
    assert.deepEqual(await errorsOf('empty-attacks.yaml', scenario(['attacks: {}'])), [
      "empty-attacks.yaml:6:10-12 'attacks' lists no attack: name at least one, or remove it to run them all",
    ]);
  });

  it('a YAML syntax error', async () => {
    assert.deepEqual(await errorsOf('syntax.yaml', 'name: s\nrequest: { path: /a\n'), [
      'syntax.yaml:3:1-2 YAML syntax: flow map in block collection must be sufficiently indented and end with a }',
    ]);
    assert.deepEqual(await errorsOf('dupkey.yaml', 'name: a\nname: b\n'), ['dupkey.yaml:2:1-2 YAML syntax: map keys must be unique']);
  });

  it('an empty file, and a file that is not a map', async () => {
    assert.deepEqual(await errorsOf('empty.yaml', '# nothing\n'), ['empty.yaml:1:1 the file holds no scenario']);
    assert.deepEqual(await errorsOf('list.yaml', '- name: a\n'), [
      "list.yaml:1:1 the file must be a scenario: a map with name, target, request, ...; got a list",
    ]);
  });

  it('keys beside scenarios: are rejected', async () => {
    assert.deepEqual(await errorsOf('mixed.yaml', 'target: http://x\nscenarios:\n  - name: a\n    target: http://x\n    request: { path: /a }\n'), [
      "mixed.yaml:1:1-7 unknown key 'target' (a file with 'scenarios:' holds only that list)",
    ]);
  });
});

describe('loadScenarios: a key that belongs elsewhere says where', () => {
  it('command under effects.count belongs under effects', async () => {
    const text = scenario(['effects:', '  count:', '    command: "n {{ run.id }}"']);
    assert.deepEqual(await errorsOf('misplaced.yaml', text), [
      "misplaced.yaml:7:3-8 missing required key 'request' in 'effects.count'",
      "misplaced.yaml:7:3-8 missing required key 'select' in 'effects.count'",
      "misplaced.yaml:8:5-12 'command' belongs under 'effects', not 'effects.count'",
    ]);
  });

  it('the nearest place wins: path under effects.count belongs in its request, not the operation', async () => {
    const text = scenario(['effects:', '  count: { path: "/c?r={{ run.id }}", request: { path: "/c?r={{ run.id }}" }, select: $.n }']);
    assert.deepEqual(await errorsOf('nearest.yaml', text), ["nearest.yaml:7:12-16 'path' belongs under 'effects.count.request', not 'effects.count'"]);
  });

  it('at the top level, in list items, and from the attacks part of the schema', async () => {
    const text = scenario(['  capture: { id: $.id }', 'ttl: 2s', 'margin: 20%']);
    assert.deepEqual(await errorsOf('top.yaml', text), [
      "top.yaml:6:3-10 'capture' belongs under an item of 'setup' or an item of 'teardown', not 'request'",
      "top.yaml:7:1-4 'ttl' belongs under 'idempotency', not the top level of the scenario",
      "top.yaml:8:1-7 'margin' belongs under 'attacks.expiry' or 'attacks.expiry-burst', not the top level of the scenario",
    ]);
  });

  it('places are relative to the scenario inside a scenarios: list', async () => {
    const text = ['scenarios:', '  - name: a', '    target: http://x', '    request: { path: /p }', '    effects: { select: $.n }', ''].join('\n');
    assert.deepEqual(await errorsOf('list.yaml', text), ["list.yaml:5:16-22 'select' belongs under 'effects.count', not 'effects'"]);
  });

  it('a likely typo keeps its suggestion, and names the other place too', async () => {
    const text = scenario(['  header: { X-A: b }']);
    assert.deepEqual(await errorsOf('both.yaml', text), ["both.yaml:6:3-9 unknown key 'header'; did you mean 'headers'? ('header' belongs under 'idempotency')"]);
    assert.deepEqual(await errorsOf('both2.yaml', scenario(['requests: 5'])), [
      "both2.yaml:6:1-9 unknown key 'requests'; did you mean 'request'? ('requests' belongs under 'attacks.concurrent' or 'attacks.expiry-burst')",
    ]);
  });
});

describe('loadScenarios: semantic errors, positioned', () => {
  it('a duration without a unit, and a malformed one', async () => {
    assert.deepEqual(await errorsOf('duration.yaml', scenario(['idempotency: { ttl: 2 }', 'effects: { command: "n {{ run.id }}", settle: 3x }'])), [
      "duration.yaml:6:21-22 duration '2' has no unit: add a unit, e.g. 2ms or 2s",
      "duration.yaml:7:47-49 invalid duration '3x': write a number with a unit (ms, s, m or h), e.g. 300ms or 1.5s",
    ]);
  });

  it('an oracle timeout that is malformed, or 0', async () => {
    assert.deepEqual(await errorsOf('oracle-timeout.yaml', scenario(['effects: { command: "n {{ run.id }}", timeout: 10 }'])), [
      "oracle-timeout.yaml:6:48-50 duration '10' has no unit: add a unit, e.g. 10ms or 10s",
    ]);
    assert.deepEqual(await errorsOf('oracle-timeout-0.yaml', scenario(['effects: { command: "n {{ run.id }}", timeout: 0s }'])), [
      'oracle-timeout-0.yaml:6:48-50 effects.timeout must be more than 0',
    ]);
  });

  it('a bad margin', async () => {
    assert.deepEqual(await errorsOf('margin.yaml', scenario(['idempotency: { ttl: 1s }', 'attacks: { expiry: { margin: 20 } }'])), [
      "margin.yaml:7:30-32 margin '20' has no unit: add one, e.g. 20% or 20ms",
    ]);
  });

  it('a bad status class and code', async () => {
    assert.deepEqual(await errorsOf('status.yaml', scenario(['expect:', '  success: [200, 6xx]', '  inFlight: 700', '  mismatch: []'])), [
      "status.yaml:7:18-21 invalid status '6xx': use a code such as 201 or a class from 1xx to 5xx",
      'status.yaml:8:13-16 invalid status 700: a status code is a whole number from 100 to 599',
    ]);
    assert.deepEqual(await errorsOf('status2.yaml', scenario(['expect: { success: [] }'])), [
      "status2.yaml:6:20-22 'expect.success' must list at least one status",
    ]);
  });

  it('json and body together', async () => {
    assert.deepEqual(await errorsOf('both.yaml', scenario(['  body: "x=1"'])), ["both.yaml:6:3-7 use either json or body in 'request', not both"]);
  });

  it('count and command together', async () => {
    const text = scenario(['effects:', '  count: { request: { path: "/c?r={{ run.id }}" }, select: $.n }', '  command: "echo {{ run.id }}"']);
    assert.deepEqual(await errorsOf('oracle.yaml', text), ['oracle.yaml:8:3-10 use either effects.count or effects.command, not both']);
  });

  it('reuse.change without a JSON object body', async () => {
    const text = 'name: s\ntarget: http://x\nrequest: { path: /p, body: "a=1" }\nattacks:\n  reuse: { change: { a: 2 } }\n';
    assert.deepEqual(await errorsOf('reuse.yaml', text), [
      'reuse.yaml:5:12-18 reuse.change is merged into request.json, which must be a map; this scenario sends a raw body',
    ]);
    const list = 'name: s\ntarget: http://x\nrequest: { path: /p, json: [1] }\nattacks:\n  reuse: { change: { a: 2 } }\n';
    assert.deepEqual(await errorsOf('reuse2.yaml', list), ['reuse2.yaml:5:12-18 reuse.change is merged into request.json, which must be a map; request.json is a list']);
  });

  it('an expiry attack without a ttl loads (the planner skips it with the reason)', async () => {
    const file = await tmp.file('expiry.yaml', scenario(['attacks:', '  expiry: {}']));
    const { scenarios } = await loadScenarios([file], { scope, targetOverride: 'http://x' });
    assert.deepEqual(Object.keys(scenarios[0]!.attacks!), ['expiry']);
    assert.equal(scenarios[0]!.idempotency.ttlMs, undefined);
  });

  it('a JSONPath that does not parse', async () => {
    const text = scenario(['effects:', '  count: { request: { path: "/c?r={{ run.id }}" }, select: "$.items[" }', '  id: id', 'expect: { ignore: [$.a, "$..[*]x"] }']);
    assert.deepEqual(await errorsOf('jsonpath.yaml', text), [
      "jsonpath.yaml:7:60-70 invalid JSONPath '$.items[': unclosed '[' at position 8",
      "jsonpath.yaml:8:7-9 invalid JSONPath 'id': a JSONPath starts with '$', e.g. $.id",
      "jsonpath.yaml:9:25-34 invalid JSONPath '$..[*]x': unexpected 'x' at position 7",
    ]);
  });

  it('an undefined env var, with --target suggested for the target', async () => {
    const text = scenario(['  headers: { Authorization: "Bearer {{ env.NO_TOKEN }}" }'], { 'target: "{{ env.BASE_URL }}"': 'target: "{{ env.API_URL }}/v1"' });
    assert.deepEqual(await errorsOf('env.yaml', text), [
      "env.yaml:2:10-27 undefined variable 'env.API_URL' (set it in the environment, or pass --target)",
      "env.yaml:6:37-55 undefined variable 'env.NO_TOKEN' (set it in the environment)",
    ]);
    // With --target, the target is neither checked nor needed.
    assert.deepEqual(await errorsOf('env2.yaml', text, { targetOverride: 'http://o' }), [
      "env2.yaml:6:37-55 undefined variable 'env.NO_TOKEN' (set it in the environment)",
    ]);
  });

  it('undefined vars, secrets and captures', async () => {
    const text = scenario(['  headers: { X-A: "{{ vars.nope }}", X-B: "{{secrets.nope}}", X-C: "{{ captures.id }}", X-D: "{{ vars.tenant }}{{ secrets.apiKey }}" }']);
    assert.deepEqual(await errorsOf('vars.yaml', text), [
      "vars.yaml:6:20-35 undefined variable 'vars.nope' (no var named 'nope' is defined)",
      "vars.yaml:6:44-60 undefined variable 'secrets.nope' (no secret named 'nope' is defined)",
      "vars.yaml:6:69-86 undefined variable 'captures.id' (no setup step captures 'id')",
    ]);
  });

  it('an unknown template expression, named', async () => {
    assert.deepEqual(await errorsOf('expr.yaml', scenario(['  headers: { X-Ref: "r-{{ run.uuid }}" }'])), [
      "expr.yaml:6:24-38 unknown template expression 'run.uuid': use env.NAME, vars.NAME, secrets.NAME, captures.NAME, run.id, key, uuid() or now()",
    ]);
  });

  it('a missing target without --target', async () => {
    assert.deepEqual(await errorsOf('target.yaml', 'name: s\nrequest: { path: /p }\n'), [
      "target.yaml:1:1 no target: add 'target:' (the API's base URL) or pass --target",
    ]);
  });

  it('the semantic message replaces the schema one at the same place', async () => {
    // A bare number is also a schema type error; only the clearer message is kept.
    const messages = await errorsOf('once.yaml', scenario(['effects: { settle: 300 }']));
    assert.deepEqual(messages, ["once.yaml:6:20-23 duration '300' has no unit: add a unit, e.g. 300ms or 300s"]);
  });
});

describe('loadScenarios: an oracle filtering by a run.id the request never sends', () => {
  const request = (json: string) => ['name: s', 'target: http://x', 'request:', '  path: /orders', `  json: ${json}`];

  it('is an error at the oracle\'s {{ run.id }}, saying why the count would stay 0', async () => {
    const text = [...request('{ sku: w }'), 'effects:', '  count:', '    request: { path: "/orders?ref={{ run.id }}" }', '    select: $.count', ''].join('\n');
    assert.deepEqual(await errorsOf('unsent.yaml', text), [
      'unsent.yaml:8:35-47 the oracle counts effects by {{ run.id }}, but request never sends run.id, so the count stays 0: put {{ run.id }} into request.json (e.g. a ref field) or the path',
    ]);
  });

  it('in a header of the count request, and in a command', async () => {
    const header = [...request('{ sku: w }'), 'effects:', '  count: { request: { path: /orders, headers: { X-Ref: "{{ run.id }}" } }, select: $.n }', ''].join('\n');
    assert.deepEqual(await errorsOf('unsent-header.yaml', header), [
      'unsent-header.yaml:7:57-69 the oracle counts effects by {{ run.id }}, but request never sends run.id, so the count stays 0: put {{ run.id }} into request.json (e.g. a ref field) or the path',
    ]);
    const command = [...request('{ sku: w }'), 'effects:', `  command: "psql -tAc \\"select count(*) from orders where ref='{{ run.id }}'\\""`, ''].join('\n');
    assert.deepEqual(await errorsOf('unsent-command.yaml', command), [
      'unsent-command.yaml:7:64-76 the oracle counts effects by {{ run.id }}, but request never sends run.id, so the count stays 0: put {{ run.id }} into request.json (e.g. a ref field) or the path',
    ]);
  });

  it('names request.body when the request sends a raw body', async () => {
    const text = [
      'name: s',
      'target: http://x',
      'request: { path: /orders, body: "sku=w", headers: { Content-Type: application/x-www-form-urlencoded } }',
      'effects: { command: "count {{ run.id }}" }',
      '',
    ].join('\n');
    assert.deepEqual(await errorsOf('unsent-body.yaml', text), [
      'unsent-body.yaml:4:28-40 the oracle counts effects by {{ run.id }}, but request never sends run.id, so the count stays 0: put {{ run.id }} into request.body or the path',
    ]);
  });

  it('loads when the request sends run.id in its path, a header, its json or its body', async () => {
    const oracle = ['effects:', '  count: { request: { path: "/orders?ref={{ run.id }}" }, select: $.count }'];
    const variants = [
      'request: { path: "/orders/{{ run.id }}" }',
      'request: { path: /orders, headers: { X-Ref: "{{ run.id }}" } }',
      'request: { path: /orders, json: { order: { refs: ["{{ run.id }}"] } } }',
      'request: { path: /orders, body: "ref={{ run.id }}", headers: { Content-Type: text/plain } }',
    ];
    for (const [i, line] of variants.entries()) {
      const file = await tmp.file(`sent-${i}.yaml`, ['name: s', 'target: http://x', line, ...oracle, ''].join('\n'));
      const { scenarios, warnings } = await loadScenarios([file], { scope });
      assert.equal(scenarios.length, 1, line);
      assert.deepEqual(warnings, [], line);
    }
  });
});

describe('loadScenarios: every error of every file at once', () => {
  it('throws one ScenarioError, sorted by file then position', async () => {
    const a = await tmp.file('a.yaml', scenario(['attacks:', '  concurent: {}', 'expect: { afterExpiry: nope }']));
    const b = await tmp.file(
      'b.yaml',
      ['scenarios:', '  - name: one', '    target: http://x', '    request: { path: /a, json: {}, body: x }', '  - name: two', '    request: { path: "{{ env.NOPE }}" }', ''].join('\n'),
    );
    const fine = await tmp.file('fine.yaml', scenario());
    const error = await loadError([b, fine, a]);
    assert.equal(error.message, '5 errors in 2 scenario files');
    assert.deepEqual(brief(error.messages), [
      "b.yaml:4:36-40 use either json or body in 'request', not both",
      "b.yaml:5:5 no target: add 'target:' (the API's base URL) or pass --target",
      "b.yaml:6:23-37 undefined variable 'env.NOPE' (set it in the environment)",
      "a.yaml:7:3-12 unknown key 'concurent'; did you mean 'concurrent'?",
      "a.yaml:8:24-28 'expect.afterExpiry' must be one of new, reject, replay, any; got 'nope'",
    ]);
    assert.ok(error.messages.every((m) => m.severity === 'error'));
  });

  it('reports an unreadable file among the others', async () => {
    const missing = path.join(tmp.root, 'missing.yaml');
    const bad = await tmp.file('bad.yaml', 'name: [\n');
    const error = await loadError([missing, bad]);
    assert.equal(error.messages.length, 2);
    assert.match(error.messages[0]!.message, /^cannot read file: ENOENT/);
    assert.equal(error.messages[1]!.file, bad);
  });

  it('formats with the caret under the offending key', async () => {
    const file = await tmp.file('orders.yaml', scenario(['attacks:', '  concurrent:', '    reqests: 20']));
    const error = await loadError([file]);
    const source = scenario(['attacks:', '  concurrent:', '    reqests: 20']);
    assert.equal(error.sources.get(file), source);
    assert.equal(
      formatMessage(error.messages[0]!, source),
      [`error: unknown key 'reqests'; did you mean 'requests'?`, ` --> ${file}:8:5`, '  |', '8 |     reqests: 20', '  |     ^^^^^^^'].join('\n'),
    );
  });
});
