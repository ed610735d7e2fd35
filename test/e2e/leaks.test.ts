// No leaks: a hundred attacks in one process, failures among them, leave no
// file descriptor and no handle behind; and the executable ends on its own on
// every path, errors included, with nothing holding it open.
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { startDemo } from '../../src/demo/server.js';
import { loadScenarios } from '../../src/run/load.js';
import { planScenario } from '../../src/plan/plan.js';
import { runPlans } from '../../src/run/pipeline.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { FileReporter } from '../../src/report/file.js';
import { jsonText } from '../../src/report/json.js';
import type { TemplateScope } from '../../src/scenario/types.js';
import { cli, tempDir, writeScenario } from '../helpers/harness.js';
import { show } from '../helpers/cli.js';
import { closedPort, waitFor } from '../helpers/net.js';

const SCOPE: TemplateScope = { env: {}, vars: {}, secrets: {} };

/**
 * Ten attacks: passing, failing (reuse against a server blind to the body),
 * unreachable, a failing HTTP oracle, a failing command oracle, and a raw h1
 * burst. Settling is off so that a hundred of them take seconds.
 */
function mix(urls: { correct: string; ignoreBody: string; nowhere: string }): string {
  const effects = (count: string) => `effects:\n      ${count}\n      id: $.id\n      settle: 0ms`;
  const http = 'count: { request: { path: "/orders?ref={{ run.id }}" }, select: $.count }';
  const one = (name: string, target: string, attacks: string, oracle = http) => `  - name: ${name}
    target: ${target}
    request: { path: /orders, json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" } }
    ${effects(oracle)}
    attacks: ${attacks}
`;
  return `scenarios:
${one('passes', urls.correct, '{ replay: {}, reuse: {} }')}${one('finds', urls.ignoreBody, '{ replay: {}, reuse: {} }')}${one('unreachable', urls.nowhere, '{ replay: {}, reuse: {} }')}${one('oracle 404', urls.correct, '{ replay: {}, reuse: {} }', 'count: { request: { path: "/nowhere?ref={{ run.id }}" }, select: $.count }')}${one('command oracle fails', urls.correct, '{ replay: {} }', 'command: "test -n {{ run.id }}; echo no such table >&2; exit 3"')}${one('burst', urls.correct, '{ concurrent: { requests: 3, bursts: 1, engine: h1 } }')}`;
}

/** Open file descriptors of this process (the directory listing's own one is there every time). */
function fds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** What keeps this process's event loop alive, sorted, e.g. ["TCPServerWrap", "TCPSocketWrap", "Timeout"]. */
function resources(): string[] {
  return process.getActiveResourcesInfo().sort();
}

test('a hundred attacks in one process, failures among them, leave no descriptor and no handle behind', { timeout: 180_000 }, async () => {
  const correct = await startDemo({ bug: 'correct', latencyMs: 1 });
  const ignoreBody = await startDemo({ bug: 'ignore-body', latencyMs: 1 });
  try {
    const file = await writeScenario(mix({ correct: correct.url, ignoreBody: ignoreBody.url, nowhere: `http://127.0.0.1:${await closedPort()}` }));
    const { scenarios } = await loadScenarios([file], { scope: SCOPE });
    const group = scenarios.map((s) => planScenario(s, {}));
    assert.equal(group.flatMap((p) => p.attacks).length, 10);
    const reportFile = path.join(await tempDir(), 'report.json');
    const run = async (groups: number) => {
      const events = new ReporterMultiplexer([new FileReporter('json', reportFile, (r) => jsonText(r, { name: 'idemchaos', version: 'test' }))], (name, err) => assert.fail(`${name}: ${String(err)}`));
      return runPlans(Array.from({ length: groups }, () => group).flat(), { scope: SCOPE, transport: { timeoutMs: 5000 } }, events);
    };

    // One group first: what is made once and kept (compiled schemas, lazily loaded modules) is not a leak.
    await run(1);
    await new Promise((r) => setTimeout(r, 500));
    const fdsBefore = fds();
    const before = resources();

    const result = await run(10);
    assert.equal(result.summary.attacks, 100);
    // Not a hundred passes: the failing paths ran too.
    assert.deepEqual(
      { passed: result.summary.passed, failed: result.summary.failed, errored: result.summary.errored },
      { passed: 40, failed: 10, errored: 50 },
      JSON.stringify(result.scenarios.slice(0, 6).map((s) => s.attacks.map((a) => [s.name, a.attack, a.verdict, a.reason]))),
    );
    // The server side of a connection sees its close a moment later; but well before any
    // keep-alive timeout (4 s in our client, 5 s in the demo) would close what was left open.
    await waitFor(() => fds() === fdsBefore && JSON.stringify(resources()) === JSON.stringify(before), 1500, () =>
      `descriptors ${fds()} (before ${fdsBefore}), handles [${resources().join(', ')}] (before [${before.join(', ')}])`,
    );
  } finally {
    await correct.close();
    await ignoreBody.close();
  }
});

/**
 * Every path of the executable ends on its own: the exit code it should have,
 * and soon. --timeout 30s and effects.timeout 30s mean that a request timer,
 * a socket or a child process left behind would hold it for half a minute,
 * far past the bound; a busy machine needs a few seconds for the rest.
 */
const EXIT_BOUND_MS = 15_000;

test('the executable exits on its own on every path: ok, findings, usage error, unreachable, oracle failures, reporter failure', { timeout: 240_000 }, async (t) => {
  const correct = await startDemo({ bug: 'correct', latencyMs: 1 });
  const ignoreBody = await startDemo({ bug: 'ignore-body', latencyMs: 1 });
  try {
    const scenario = (target: string) =>
      writeScenario(`name: orders
target: ${target}
request: { path: /orders, json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" } }
effects:
  count: { request: { path: "/orders?ref={{ run.id }}" }, select: $.count }
  settle: 0ms
attacks: { replay: {}, reuse: {} }
`);
    const commandOracle = (target: string) =>
      writeScenario(`name: orders
target: ${target}
request: { path: /orders, json: { sku: widget-1, ref: "{{ run.id }}" } }
effects:
  command: "test -n {{ run.id }}; sleep 60 & echo no such table >&2; exit 3"
  timeout: 30s
attacks: { replay: {} }
`);
    // An oracle path the demo does not serve: it answers 404.
    const brokenOracle = await writeScenario(`name: orders
target: ${correct.url}
request: { path: /orders, json: { ref: "{{ run.id }}" } }
effects:
  count: { request: { path: "/nowhere?ref={{ run.id }}" }, select: $.count }
attacks: { replay: {} }
`);
    const report = path.join(await tempDir(), 'r.json');
    const paths: [string, number, string[]][] = [
      ['ok', 0, ['run', await scenario(correct.url), '--report-json', report]],
      ['findings', 1, ['run', await scenario(ignoreBody.url)]],
      ['usage error', 2, ['run', await scenario(correct.url), '--requests', 'many']],
      ['unreachable', 3, ['run', await scenario(`http://127.0.0.1:${await closedPort()}`)]],
      ['HTTP oracle failure', 3, ['run', brokenOracle]],
      ['command oracle failure, its background child left running', 3, ['run', await commandOracle(correct.url)]],
      ['probe, unreachable', 3, ['probe', `http://127.0.0.1:${await closedPort()}/orders`, '--json', '{"ref":"{{ run.id }}"}', '--attack', 'replay']],
    ];
    if (existsSync('/dev/full')) paths.push(['reporter failure', 4, ['run', await scenario(correct.url), '--report-junit', '/dev/full']]);
    else t.diagnostic('/dev/full is not available: the reporter-failure path is not run');

    for (const [name, code, args] of paths) {
      const t0 = Date.now();
      const r = await cli([...args, '--timeout', '30s'], { timeoutMs: 60_000 });
      const took = Date.now() - t0;
      assert.equal(r.code, code, `${name}: ${show(r)}`);
      assert.ok(took < EXIT_BOUND_MS, `${name}: exited after ${took} ms, held open by something it left behind`);
    }
  } finally {
    await correct.close();
    await ignoreBody.close();
  }
});
