// Every attack's preview (what --dry-run prints and --max-requests counts)
// equals what the attack sends, both ways: each attack runs against the demo
// through a proxy that reads the requests off the wire.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ATTACKS } from '../../src/attacks/index.js';
import { startDemo } from '../../src/demo/server.js';
import { planScenario } from '../../src/plan/plan.js';
import { plannedRequests, requestBudget } from '../../src/plan/requests.js';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import { loadScenarios } from '../../src/run/load.js';
import type { TemplateScope } from '../../src/scenario/types.js';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { countingProxy } from '../helpers/counting-proxy.js';
import { ROOT, writeScenario } from '../helpers/harness.js';

const SCOPE: TemplateScope = { env: {}, vars: {}, secrets: {} };
const KEY = 'idempotency-key';

/**
 * The bundled scenario (it has what every attack needs: a ttl, tenants, an
 * operation, an invalid payload), with small settings so that every attack
 * runs in a second or two; concurrent warms, to count warming too.
 */
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
      assert.equal(reads.length, preview.oracleReads, 'oracle and warming reads: sent and announced (the count is stable on the correct demo)');
      assert.equal(sent.length, requestBudget([preview]), 'the budget is what was sent');
      assert.equal(verdict.metrics.requestsSent, sentToOperation.length + (attack.id === 'concurrent' ? 2 : 0), 'requestsSent counts the operations\' and warming requests');
    } finally {
      await proxy.close();
      await demo.close();
    }
  });
}

function lower(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
}
