// The scenario `init --from` writes from the demo's own /openapi.json finds
// what the bundled scenario finds, in every demo mode, attack by attack; and
// the correct mode passes it.
import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DEMO_MODES, startDemo, type DemoMode } from '../../src/demo/server.js';
import { generateScenarios } from '../../src/openapi/generate.js';
import { ordersScenario, ROOT, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';

// As in demo-verdicts.test.ts: work well above the drop attack's cut grace,
// a ttl above its Retry-After wait; expiry with 200 ms of work and a 1 s ttl.
const LATENCY_MS = 250;
const EXPIRY_LATENCY_MS = 200;
const MAIN_ATTACKS = ['replay', 'concurrent', 'reuse', 'drop'] as const;
const BUNDLED = path.join(ROOT, 'scenarios', 'orders.yaml');

/** The demo's description, fetched from the running server, turned into its scenario. */
async function generatedFor(url: string): Promise<{ file: string; text: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), 'idemchaos-openapi-demo-'));
  const spec = path.join(dir, 'openapi.json');
  await writeFile(spec, await (await fetch(`${url}/openapi.json`)).text());
  const { files } = await generateScenarios({ from: spec, out: dir, operations: [], allPosts: false });
  assert.equal(files.length, 1);
  await writeFile(files[0]!.file, files[0]!.text);
  return files[0]!;
}

async function compare(mode: DemoMode, opts: { ttlMs: number; latencyMs: number; attacks: readonly string[]; reference: string }) {
  const server = await startDemo({ bug: mode, latencyMs: opts.latencyMs, ttlMs: opts.ttlMs });
  try {
    const generated = await generatedFor(server.url);
    const ours = verdicts(await runScenarioFile(generated.file, server.url, { only: opts.attacks as never }));
    const bundled = verdicts(await runScenarioFile(opts.reference, server.url, { only: opts.attacks as never }));
    return { ours, bundled, text: generated.text };
  } finally {
    await server.close();
  }
}

test('the generated demo scenario is the bundled one, read from the description', async () => {
  const server = await startDemo({ ttlMs: 3000 });
  try {
    const { text } = await generatedFor(server.url);
    assert.match(text, /^  ttl: 3s # read from /m);
    assert.match(text, /ref: "\{\{ run\.id \}\}"/);
    assert.match(text, /path: \/orders\?ref=\{\{ run\.id \}\}\n    select: \$\.count/);
    assert.match(text, /ids: \$\.items\[\*\]\.id/);
  } finally {
    await server.close();
  }
});

for (const { mode } of DEMO_MODES) {
  test(`demo ${mode}: the generated scenario finds what the bundled one finds (replay, concurrent, reuse, drop)`, async () => {
    const { ours, bundled } = await compare(mode, { ttlMs: 3000, latencyMs: LATENCY_MS, attacks: MAIN_ATTACKS, reference: BUNDLED });
    // Every attack that finds a bug with the bundled scenario finds one with the generated scenario.
    for (const [attack, found] of Object.entries(bundled)) {
      if (Array.isArray(found)) assert.ok(Array.isArray(ours[attack]), `${mode} ${attack}: bundled found ${found.join(', ')}, generated ${JSON.stringify(ours[attack])}`);
    }
    if (mode === 'replay-differs') {
      // The description documents 201 only (expect.success: [201]), where the bundled scenario
      // allows [200, 201]: the replays this bug answers with 200 are then unexpected statuses,
      // in the drop attack's retries too, which the bundled scenario lets through.
      assert.deepEqual(bundled, { replay: ['wrong-replay'], concurrent: 'pass', reuse: 'pass', drop: 'pass' });
      assert.deepEqual(ours, { replay: ['unexpected-status'], concurrent: 'pass', reuse: 'pass', drop: ['unexpected-status'] });
    } else {
      assert.deepEqual(ours, bundled);
    }
    if (mode === 'correct') assert.deepEqual(ours, { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' });
    // The modes issue 8 added are found by the attacks that need tenants, operations or an
    // invalid payload, which a generated file leaves commented: here, the main four find nothing in either.
    else if (Object.values(bundled).some((v) => Array.isArray(v))) assert.ok(Object.values(ours).some((v) => Array.isArray(v)), `${mode}: no finding (${JSON.stringify(ours)})`);
  });

  test(`demo ${mode}: the generated scenario's expiry attack, with the retention the description states`, async () => {
    const reference = await writeScenario(ordersScenario({ ttl: '1s' }));
    const { ours, bundled } = await compare(mode, { ttlMs: 1000, latencyMs: EXPIRY_LATENCY_MS, attacks: ['expiry'], reference });
    if (mode === 'replay-differs') {
      // As above: the key-A retry is replayed with 200, which the description does not document.
      assert.deepEqual(bundled, { expiry: ['wrong-replay'] });
      assert.deepEqual(ours, { expiry: ['unexpected-status'] });
    } else {
      assert.deepEqual(ours, bundled);
    }
    assert.notEqual(ours.expiry, 'skip');
  });
}
