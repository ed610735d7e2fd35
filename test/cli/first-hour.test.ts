// Issue 12, "the first hour with idemchaos": what a new user meets first,
// through the real executable against the demo API on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cli as rawCli, ordersScenario, writeScenario, type CliResult } from '../helpers/harness.js';
import { show, withDemo } from '../helpers/cli.js';

const SLOW = 180_000;

function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return rawCli(args, { ...opts, env: { GITHUB_ACTIONS: 'false', ...opts.env }, timeoutMs: opts.timeoutMs ?? 120_000 });
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

test('run without an oracle says once that verdicts are response-only and what that misses; with one it says nothing', { timeout: SLOW }, async () => {
  await withDemo({ bug: 'correct' }, async (server) => {
    const blind = await writeScenario(ordersScenario({ effects: false, attacks: '  replay: {}' }));
    const r = await cli(['run', blind, '--target', server.url]);
    assert.equal(r.code, 0, show(r));
    assert.equal(count(r.stderr, /response-only/), 1, show(r));
    assert.match(r.stderr, /note: the scenario 'create order' \(.*scenario\.yaml:1\) declares no side-effect oracle \(effects\.count\), so its verdicts are response-only/);
    assert.match(r.stderr, /duplicates hidden behind identical responses/);

    // Two scenarios without an oracle and one with: one note naming the two.
    const doc = `scenarios:
  - name: blind one
    request: { path: /orders, json: { sku: a, ref: "{{ run.id }}" } }
    attacks: { replay: {} }
  - name: blind two
    request: { path: /orders, json: { sku: b, ref: "{{ run.id }}" } }
    attacks: { replay: {} }
  - name: counted
    request: { path: /orders, json: { sku: c, ref: "{{ run.id }}" } }
    effects: { count: { request: { method: GET, path: "/orders?ref={{ run.id }}" }, select: $.count } }
    attacks: { replay: {} }
`;
    const many = await writeScenario(doc);
    const m = await cli(['run', many, '--target', server.url]);
    assert.equal(m.code, 0, show(m));
    assert.equal(count(m.stderr, /response-only/), 1, show(m));
    assert.match(m.stderr, /scenarios 'blind one' \([^)]*\), 'blind two' \([^)]*\) declare no side-effect oracle/);
    assert.doesNotMatch(m.stderr, /counted/);

    const seen = await writeScenario(ordersScenario({ attacks: '  replay: {}' }));
    const s = await cli(['run', seen, '--target', server.url]);
    assert.equal(s.code, 0, show(s));
    assert.doesNotMatch(s.stderr, /response-only/, show(s));
  });
});
