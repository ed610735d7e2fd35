// Issue 12, in-process against the demo API: verdicts a new user meets first.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startDemo } from '../../src/demo/server.js';
import { ordersScenario, runScenarioFile, writeScenario } from '../helpers/harness.js';

test('a check-then-act race with expect.replayHeader: the duplicate effect alone, no "replays lack" about fresh creations', { timeout: 60_000 }, async () => {
  // Duplicates slip past the lookup and create an order each, answered without the marker as a creation is;
  // any that arrive after the first finished are replays and carry it.
  const demo = await startDemo({ bug: 'race', latencyMs: 50 });
  try {
    const file = await writeScenario(
      ordersScenario({ attacks: '  concurrent: { requests: 10, bursts: 1, engine: h1 }', extra: 'expect:\n  replayHeader: Idempotent-Replayed\n' }),
    );
    const result = await runScenarioFile(file, demo.url);
    const attack = result.scenarios[0]!.attacks[0]!;
    assert.equal(attack.verdict, 'fail', attack.reason);
    const effects = (attack.metrics as { effects?: number }).effects ?? 0;
    const successes = Object.entries((attack.metrics as { statuses: Record<string, number> }).statuses)
      .filter(([status]) => status === '201' || status === '200')
      .reduce((n, [, k]) => n + k, 0);
    assert.ok(effects > 1, `the race made duplicates: ${effects} effects`);
    assert.ok(successes >= effects, `${successes} successes, ${effects} of them fresh creations`);
    assert.deepEqual(attack.findings.map((f) => f.kind), ['duplicate-effect'], attack.findings.map((f) => f.message).join('; '));
  } finally {
    await demo.close();
  }
});
