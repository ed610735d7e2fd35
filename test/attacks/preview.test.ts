// Every attack's preview (what --dry-run prints and --max-requests counts)
// equals what the attack sends, both ways: each attack runs against the demo
// through a proxy that reads the requests off the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTACKS } from '../../src/attacks/index.js';
import { startDemo } from '../../src/demo/server.js';
import { planScenario } from '../../src/plan/plan.js';
import { commandRuns, conditionalRequests, plannedRequests, requestBudget, type PlannedAttack } from '../../src/plan/requests.js';
import type { AttackMetrics } from '../../src/model/results.js';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import { loadScenarios } from '../../src/run/load.js';
import type { TemplateScope } from '../../src/scenario/types.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { countingProxy, type SeenRequest } from '../helpers/counting-proxy.js';
import { ordersScenario, ROOT, tempDir, writeScenario } from '../helpers/harness.js';

const SCOPE: TemplateScope = { env: {}, vars: {}, secrets: {} };
const KEY = 'idempotency-key';

/**
 * The bundled scenario (it has what every attack needs: a ttl, tenants, an
 * operation, an invalid payload), with small settings so that every attack
 * runs in a second or two; concurrent warms, to count warming too.
 */
/** Settings for the plain scenario of the command-oracle variant, with what each new attack needs. */
const CONFIG: Record<string, string> = {
  concurrent: '{ requests: 4, bursts: 2, warm: 1, engine: h1 }',
  'expiry-burst': '{ requests: 4, engine: h1 }',
  'error-retry': '{ invalid: { json: { qty: 0 } } }',
};
const OPERATIONS = `operations:
  refund: { request: { method: POST, path: /refunds, json: { order: o-1, amount: 5, ref: "{{ run.id }}" } } }
`;

async function bundled(): Promise<string> {
  const yaml = (await readFile(path.join(ROOT, 'scenarios', 'orders.yaml'), 'utf8'))
    .replace(/ttl: 2s/, 'ttl: 1s')
    .replace(/  concurrent: \{\}/, '  concurrent: { requests: 4, bursts: 2, warm: 1, engine: h1 }')
    .replace(/  expiry-burst: \{\}/, '  expiry-burst: { requests: 4, engine: h1 }');
  return writeScenario(yaml);
}

/** What went to the operation, as comparable lines: method, whether a key was sent, and how often. */
function operationLines(requests: { method: string; keyed: boolean }[]): string[] {
  const counts = new Map<string, number>();
  for (const r of requests) {
    const line = `${r.method} ${r.keyed ? 'with key' : 'without key'}`;
    counts.set(line, (counts.get(line) ?? 0) + 1);
  }
  return [...counts].map(([line, n]) => `${n} × ${line}`).sort();
}

for (const attack of ATTACKS) {
  test(`${attack.id}: the requests sent equal the preview`, { timeout: 60_000 }, async () => {
    // No latency: a retry never meets its original still in flight, so the count is exact.
    const demo = await startDemo({ latencyMs: 0, ttlMs: 1000 });
    const proxy = await countingProxy(demo.port);
    try {
      const { scenarios } = await loadScenarios([await bundled()], { scope: SCOPE, targetOverride: proxy.url });
      const plan = planScenario(scenarios[0]!, { only: [attack.id] });
      const [preview] = plannedRequests(plan, SCOPE);
      assert.ok(preview && !preview.skip, `${attack.id} was skipped: ${preview?.skip}`);

      const result = await runPlans([plan], { scope: SCOPE, transport: { timeoutMs: 10_000 } }, SILENT);
      const verdict = result.scenarios[0]!.attacks[0]!;
      assert.equal(verdict.verdict, 'pass', `${attack.id} against the correct demo: ${verdict.reason ?? verdict.findings.map((f) => f.message).join('; ')}`);

      const sent = proxy.seen;
      const sentToOperation = sent.filter((r) => r.method === 'POST');
      const reads = sent.filter((r) => r.method === 'GET');
      assert.equal(sent.length, sentToOperation.length + reads.length, `only the operation and the oracle: ${JSON.stringify(sent.map((r) => `${r.method} ${r.path}`))}`);
      assert.ok(reads.every((r) => !(KEY in r.headers)), 'oracle reads never carry the key');

      // Steps marked "if" ran or not, as the run measured; the rest is sent as announced either way.
      const ran = conditionalRan(preview, verdict.metrics);
      const announced = asRan(preview, ran);
      assertOperationMatches(sentToOperation, announced);
      assert.equal(reads.length, sum(announced.reads.filter((r) => r.request)), 'oracle and warming reads: sent and announced (the count is stable on the correct demo)');
      assert.deepEqual(perRun(reads.map((r) => refOf(r.path))), perRun(announced.reads.flatMap((r) => Array(r.times).fill(refOf(r.request!.url)))), 'oracle GETs per attack run: sent and listed');
      assertReadsUseTheirRuns(preview);
      assert.equal(commandRuns([preview]), 0);
      assert.equal(sent.length, requestBudget([preview]) + (ran ? conditionalRequests([preview]) : 0), 'the budget is what was sent (and the steps marked "if", when they ran)');
      assert.equal(verdict.metrics.requestsSent, sentToOperation.length + (attack.id === 'concurrent' ? 2 : 0), 'requestsSent counts the operations\' and warming requests');
    } finally {
      await proxy.close();
      await demo.close();
    }
  });

  // The demo lists each tenant's own orders, which a command (it carries no
  // tenant's headers) cannot name: the tenant attack's command variant has no
  // count to read here; its HTTP variant above covers its reads.
  const commandVariant = attack.id === 'tenant' ? test.skip : test;
  commandVariant(`${attack.id}, command oracle: the budget counts no oracle HTTP reads; the command runs listed are the ones run`, { timeout: 60_000 }, async () => {
    const demo = await startDemo({ latencyMs: 0, ttlMs: 1000 });
    const proxy = await countingProxy(demo.port);
    const log = path.join(await tempDir(), 'runs.log');
    try {
      // The command logs its run id, then counts through the demo directly (not through the proxy).
      const count = `fetch(process.argv[1]).then((r) => r.json()).then((j) => console.log(j.count))`;
      const command = `echo {{ run.id }} >> ${log} && ${process.execPath} -e '${count}' '${demo.url}/orders?ref='{{ run.id }}`;
      const effects = `effects:\n  command: ${JSON.stringify(command)}\n  id: $.id\n  settle: 50ms\n`;
      const file = await writeScenario(ordersScenario({ ttl: '1s', effects, attacks: `  ${attack.id}: ${CONFIG[attack.id] ?? '{}'}`, extra: OPERATIONS }));
      const { scenarios } = await loadScenarios([file], { scope: SCOPE, targetOverride: proxy.url });
      const plan = planScenario(scenarios[0]!);
      const [preview] = plannedRequests(plan, SCOPE);
      assert.ok(preview && !preview.skip, `${attack.id} was skipped: ${preview?.skip}`);

      const result = await runPlans([plan], { scope: SCOPE, transport: { timeoutMs: 10_000 } }, SILENT);
      const verdict = result.scenarios[0]!.attacks[0]!;
      assert.equal(verdict.verdict, 'pass', `${attack.id} against the correct demo: ${verdict.reason ?? verdict.findings.map((f) => f.message).join('; ')}`);

      const sent = proxy.seen;
      const sentToOperation = sent.filter((r) => r.method === 'POST');
      assert.equal(sent.length, sentToOperation.length, `only the operation goes over HTTP: ${JSON.stringify(sent.map((r) => `${r.method} ${r.path}`))}`);
      const stepsRan = conditionalRan(preview, verdict.metrics);
      const announced = asRan(preview, stepsRan);
      assertOperationMatches(sentToOperation, announced);
      assert.equal(requestBudget([preview]) + (stepsRan ? conditionalRequests([preview]) : 0), sent.length, 'the budget counts no oracle reads: the command sends nothing over HTTP');
      assert.ok(preview.reads.every((r) => r.command !== undefined && !r.request), 'no warming and no HTTP reads with a command oracle');

      const ran = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
      assert.equal(ran.length, sum(announced.reads), 'command runs: run and announced');
      if (!stepsRan) assert.equal(ran.length, commandRuns([preview]));
      const listed = announced.reads.flatMap((r) => Array(r.times).fill(/ic-[\w-]+/.exec(r.command!)?.[0]));
      assert.deepEqual(perRun(ran), perRun(listed), 'command runs per attack run: run and listed');
      assertReadsUseTheirRuns(preview);
    } finally {
      await proxy.close();
      await demo.close();
    }
  });
}

// With latency the in-flight step of reuse runs: what it sends is what the
// preview marks "if", every request and read of it, and nothing else.
test('reuse against a slow demo: the steps marked "if" are sent, as announced', { timeout: 60_000 }, async () => {
  const demo = await startDemo({ latencyMs: 120, ttlMs: 5000 });
  const proxy = await countingProxy(demo.port);
  try {
    const { scenarios } = await loadScenarios([await bundled()], { scope: SCOPE, targetOverride: proxy.url });
    const plan = planScenario(scenarios[0]!, { only: ['reuse'] });
    const [preview] = plannedRequests(plan, SCOPE);
    assert.ok(preview && !preview.skip);
    assert.deepEqual(preview.requests.filter((r) => r.condition).map((r) => r.condition), ['every original took ≥ 50 ms', 'every original took ≥ 50 ms']);
    assert.ok(preview.reads.some((r) => r.condition), 'the in-flight run\'s oracle reads are conditional too');

    const result = await runPlans([plan], { scope: SCOPE, transport: { timeoutMs: 10_000 } }, SILENT);
    const verdict = result.scenarios[0]!.attacks[0]!;
    assert.equal(verdict.verdict, 'pass', verdict.findings.map((f) => f.message).join('; '));
    assert.equal(conditionalRan(preview, verdict.metrics), true, 'every original took the demo\'s 120 ms: the in-flight step ran');

    const sent = proxy.seen;
    const sentToOperation = sent.filter((r) => r.method === 'POST');
    assertOperationMatches(sentToOperation, preview);
    assert.equal(sent.length - sentToOperation.length, sum(preview.reads.filter((r) => r.request)), 'oracle reads, those marked "if" included');
    assert.equal(sent.length, requestBudget([preview]) + conditionalRequests([preview]));
    assert.equal(conditionalRequests([preview]), 2 + sum(preview.reads.filter((r) => r.condition && r.request)));
  } finally {
    await proxy.close();
    await demo.close();
  }
});

/**
 * Whether the attack's steps marked "if" ran: the attack's metrics say so
 * (reuse's in-flight step, the only conditional step, reports `inFlight`).
 */
function conditionalRan(preview: PlannedAttack, metrics: AttackMetrics): boolean {
  const conditional = [...preview.requests, ...preview.reads].some((r) => r.condition !== undefined);
  if (!conditional) return false;
  assert.equal(preview.attack, 'reuse', 'a conditional step this test does not know how to tell from the metrics');
  return (metrics as { inFlight?: unknown }).inFlight !== undefined;
}

/** The preview as the run went: the steps marked "if" kept when they ran, dropped when not. */
function asRan(preview: PlannedAttack, ran: boolean): PlannedAttack {
  const keep = (r: { condition?: string }) => ran || r.condition === undefined;
  return { ...preview, requests: preview.requests.filter(keep), reads: preview.reads.filter(keep) };
}

/** The operation requests sent match the preview: methods, keys, how often. */
function assertOperationMatches(sentToOperation: SeenRequest[], preview: PlannedAttack): void {
  const announced = preview.requests.flatMap((p) => Array.from({ length: p.times }, () => ({ method: p.request.method, keyed: KEY in lower(p.request.headers) })));
  assert.deepEqual(
    operationLines(sentToOperation.map((r) => ({ method: r.method, keyed: KEY in r.headers }))),
    operationLines(announced),
    'operation requests: sent (left) and announced (right)',
  );
  const keys = (list: (string | undefined)[]) => new Set(list.filter(Boolean)).size;
  assert.equal(
    keys(sentToOperation.map((r) => r.headers[KEY])),
    keys(preview.requests.map((p) => lower(p.request.headers)[KEY])),
    'one key per attack run, as announced',
  );
}

/** Each listed read is rendered with the run id of an attack run of the preview, and every run is read. */
function assertReadsUseTheirRuns(preview: PlannedAttack): void {
  const runIds = new Set(preview.requests.map((p) => /"ref":"(ic-[\w-]+)"/.exec(p.request.body?.toString('utf8') ?? '')?.[1]));
  const readIds = new Set(preview.reads.map((r) => /ic-[\w-]+/.exec(r.request?.url ?? r.command ?? '')?.[0]));
  assert.ok(!preview.reads.some((r) => (r.request?.url ?? r.command ?? '').includes('{{')), 'rendered, not raw templates');
  assert.deepEqual([...readIds].sort(), [...runIds].sort(), 'the oracle is read with the run ids the attack runs use, no other');
}

/** How many reads each run got, as a sorted list (run ids differ between preview and run). */
function perRun(ids: (string | undefined)[]): number[] {
  const counts = new Map<string | undefined, number>();
  for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  assert.ok(!counts.has(undefined), `a read without a run id: ${JSON.stringify(ids)}`);
  return [...counts.values()].sort((a, b) => a - b);
}

function refOf(url: string): string | undefined {
  return /[?&]ref=([^&]+)/.exec(url)?.[1];
}

function sum(reads: { times: number }[]): number {
  return reads.reduce((n, r) => n + r.times, 0);
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
