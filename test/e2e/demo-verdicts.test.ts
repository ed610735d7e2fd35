// Every attack against every demo mode, with the exact verdicts and finding
// kinds the judge must produce. `correct` runs several times: no false alarm.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDemo, type DemoMode } from '../../src/demo/server.js';
import { ordersScenario, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';

// Latency well above the drop attack's 25 ms cut grace, so "retry while the
// original still runs" holds on a busy machine. The ttl exceeds the 1 s
// Retry-After wait of the drop attack; expiry has its own short-ttl file.
const LATENCY_MS = 250;
const MAIN_ATTACKS = ['replay', 'concurrent', 'reuse', 'drop'] as const;

const EXPECTED: Record<DemoMode, { main: Record<string, string[] | string>; expiry: string[] | string }> = {
  correct: { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  'no-idempotency': {
    main: {
      replay: ['duplicate-effect', 'wrong-replay'],
      concurrent: ['duplicate-effect', 'wrong-replay'],
      reuse: ['duplicate-effect', 'mismatch-accepted'],
      drop: ['duplicate-effect'],
    },
    expiry: ['early-expiry'],
  },
  // reuse's in-flight step: a changed payload sent while its key's original runs passes the lookup (nothing is claimed
  // until the work is done) and is processed: answered 201 with its own order, a second effect for the key.
  race: { main: { replay: 'pass', concurrent: ['duplicate-effect'], reuse: ['duplicate-effect', 'mismatch-accepted'], drop: ['duplicate-effect'] }, expiry: 'pass' },
  'ignore-body': { main: { replay: 'pass', concurrent: 'pass', reuse: ['mismatch-accepted'], drop: 'pass' }, expiry: 'pass' },
  'replay-differs': { main: { replay: ['wrong-replay'], concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: ['wrong-replay'] },
  'early-expiry': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: ['duplicate-effect'] }, expiry: ['early-expiry'] },
  'forget-on-disconnect': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: ['duplicate-effect'] }, expiry: 'pass' },
  'conflict-500': { main: { replay: 'pass', concurrent: ['server-error'], reuse: 'pass', drop: ['server-error'] }, expiry: 'pass' },
  // The modes of issue 8 keep every contract these attacks check (their keys are valid, one tenant, one operation, one instance).
  'key-optional': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  'long-key-500': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  'keys-shared-across-operations': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  'keys-shared-across-tenants': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  // expiry sends one retry after the ttl, which this mode answers as correct does.
  'expiry-burst-race': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  'locked-after-error': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
  // One instance here: per-instance-store is then correct.
  'per-instance-store': { main: { replay: 'pass', concurrent: 'pass', reuse: 'pass', drop: 'pass' }, expiry: 'pass' },
};

// Expiry: 200 ms of work and a 1 s ttl put the key-A retry (ttl − 200 ms after
// the send, 800 ms) 350 ms after an early expiry (ttl / 4 after the response,
// 450 ms) and 400 ms before the real one (1200 ms): room for a busy machine.
const EXPIRY_LATENCY_MS = 200;

async function attackMode(mode: DemoMode, ttl: string, ttlMs: number, attacks: string[]) {
  const latencyMs = attacks.includes('expiry') ? EXPIRY_LATENCY_MS : LATENCY_MS;
  const server = await startDemo({ bug: mode, latencyMs, ttlMs });
  try {
    const file = await writeScenario(ordersScenario({ ttl }));
    return await runScenarioFile(file, server.url, { only: attacks as never });
  } finally {
    await server.close();
  }
}

for (const [mode, expected] of Object.entries(EXPECTED) as [DemoMode, (typeof EXPECTED)[DemoMode]][]) {
  test(`demo ${mode}: replay, concurrent, reuse, drop`, async () => {
    const result = await attackMode(mode, '3s', 3000, [...MAIN_ATTACKS]);
    assert.deepEqual(verdicts(result), expected.main);
  });

  test(`demo ${mode}: expiry with a 1 s ttl`, async () => {
    const result = await attackMode(mode, '1s', 1000, ['expiry']);
    assert.deepEqual(verdicts(result), { expiry: expected.expiry });
  });
}

test('demo correct: no false alarm over repeated runs of every attack', async () => {
  for (let i = 0; i < 3; i++) {
    const main = await attackMode('correct', '3s', 3000, [...MAIN_ATTACKS]);
    assert.deepEqual(verdicts(main), EXPECTED.correct.main, `run ${i + 1}`);
    const exp = await attackMode('correct', '1s', 1000, ['expiry']);
    assert.deepEqual(verdicts(exp), { expiry: 'pass' }, `expiry run ${i + 1}`);
  }
});
