// The attacks issue 8 added, and several instances, against every demo mode:
// the exact verdicts and finding kinds, each mode found by the attack meant
// for it (and, where its bug unavoidably reaches further, the others its
// README line names). `correct` runs several times, on one instance and two.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { DEMO_MODES, startDemo, type DemoMode } from '../../src/demo/server.js';
import { ROOT, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';

const NEW_ATTACKS = ['missing-key', 'other-operation', 'tenant', 'expiry-burst', 'error-retry'] as const;
const ALL_ATTACKS = ['replay', 'concurrent', 'reuse', 'expiry', 'drop', ...NEW_ATTACKS] as const;
const PASS = Object.fromEntries(NEW_ATTACKS.map((id) => [id, 'pass'])) as Record<string, string[] | string>;

/** The new attacks' verdicts per mode on one instance. */
const EXPECTED: Partial<Record<DemoMode, Record<string, string[] | string>>> = {
  correct: PASS,
  'no-idempotency': { ...PASS, 'missing-key': ['key-not-enforced'], tenant: ['mismatch-accepted'], 'expiry-burst': ['duplicate-effect', 'wrong-replay'] },
  race: { ...PASS, 'expiry-burst': ['duplicate-effect'] },
  'ignore-body': { ...PASS, tenant: ['mismatch-accepted'] },
  'early-expiry': PASS,
  'forget-on-disconnect': PASS,
  'conflict-500': { ...PASS, 'expiry-burst': ['server-error'] },
  'key-optional': { ...PASS, 'missing-key': ['key-not-enforced'] },
  'long-key-500': { ...PASS, 'missing-key': ['server-error'] },
  'keys-shared-across-operations': { ...PASS, 'other-operation': ['cross-operation-replay'] },
  'keys-shared-across-tenants': { ...PASS, tenant: ['tenant-leak'] },
  // Every retry after the expiry made its own order, each answered with its own: two rules broken.
  'expiry-burst-race': { ...PASS, 'expiry-burst': ['duplicate-effect', 'wrong-replay'] },
  'locked-after-error': { ...PASS, 'error-retry': ['unexpected-status'] },
  'per-instance-store': PASS,
};

/** The bundled scenario with a short ttl, so the expiry attacks wait about a second. */
async function bundled(): Promise<string> {
  const yaml = (await readFile(path.join(ROOT, 'scenarios', 'orders.yaml'), 'utf8')).replace(/ttl: 2s/, 'ttl: 1s');
  return writeScenario(yaml);
}

async function attackMode(mode: DemoMode, attacks: readonly string[], instances = 1) {
  const server = await startDemo({ bug: mode, latencyMs: 50, ttlMs: 1000, instances });
  try {
    return await runScenarioFile(await bundled(), server.urls.length > 1 ? server.urls : server.url, { only: attacks as never });
  } finally {
    await server.close();
  }
}

for (const { mode } of DEMO_MODES) {
  const expected = EXPECTED[mode];
  if (!expected) continue;
  test(`demo ${mode}: missing-key, other-operation, tenant, expiry-burst, error-retry`, { timeout: 60_000 }, async () => {
    assert.deepEqual(verdicts(await attackMode(mode, NEW_ATTACKS)), expected);
  });
}

test('demo per-instance-store on two instances: a retry on the other instance runs again', { timeout: 90_000 }, async () => {
  const result = await attackMode('per-instance-store', ALL_ATTACKS, 2);
  assert.deepEqual(verdicts(result), {
    replay: ['duplicate-effect', 'wrong-replay'],
    concurrent: ['duplicate-effect', 'wrong-replay'],
    reuse: ['duplicate-effect', 'mismatch-accepted'],
    expiry: ['early-expiry'],
    drop: ['duplicate-effect'],
    'missing-key': 'pass',
    'other-operation': 'pass',
    tenant: ['mismatch-accepted'],
    'expiry-burst': ['duplicate-effect', 'wrong-replay'],
    'error-retry': 'pass',
  });
  // Every exchange says which instance it went to.
  const replay = result.scenarios[0]!.attacks.find((a) => a.attack === 'replay')!;
  assert.deepEqual(replay.findings[0]!.evidence.exchanges.map((e) => e.instance), [1, 2]);
});

test('demo correct: no false alarm from any attack, on one instance and on two, repeated', { timeout: 180_000 }, async () => {
  const pass = Object.fromEntries(ALL_ATTACKS.map((id) => [id, 'pass']));
  for (let i = 0; i < 2; i++) {
    assert.deepEqual(verdicts(await attackMode('correct', ALL_ATTACKS)), pass, `one instance, run ${i + 1}`);
    assert.deepEqual(verdicts(await attackMode('correct', ALL_ATTACKS, 2)), pass, `two instances, run ${i + 1}`);
  }
});
