// idemchaos against an idempotency implementation it was not written for: the
// real express-idempotency middleware (test/fixtures/express-orders.ts). The
// expected verdicts were established by hand, by reading the middleware and by
// querying the fixture directly:
// - in-memory store: every attack passes. One 201 and 409s under a burst
//   (lookup and reservation settle in microtasks, so nothing interleaves),
//   exact replays, 417 on a changed payload, keys kept past any ttl, and after
//   a dropped connection the work finishes, its response is stored and the
//   retry gets it (409 first while the original still runs);
// - its intent check compares bodies loosely (deep-equal without strict), so
//   `qty: "2"` matches `qty: 2` and is replayed: mismatch-accepted;
// - with a store that takes real time per call, the find-then-create in the
//   middleware is a check-then-act race: duplicate effects under a burst.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startExpressOrders, type ExpressOrdersOptions } from '../fixtures/express-orders.js';
import { cli, ROOT, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';
import type { AttackId } from '../../src/attacks/index.js';
import type { RunResult } from '../../src/model/results.js';

const YAML_REL = path.join('test', 'fixtures', 'express-orders.yaml');
const YAML = path.join(ROOT, YAML_REL);
// Well above the drop attack's 25 ms cut grace, so the retry after an
// after-send cut reliably meets the original still running.
const LATENCY_MS = 150;
const TIMEOUT = { timeout: 120_000 };

async function withServer<T>(opts: ExpressOrdersOptions, fn: (url: string) => Promise<T>): Promise<T> {
  const server = await startExpressOrders(opts);
  try {
    return await fn(server.url);
  } finally {
    await server.close();
  }
}

/** Verdicts, plus reasons and findings in the failure message when they differ. */
function assertVerdicts(result: RunResult, expected: Record<string, string[] | string>): void {
  const details = result.scenarios
    .flatMap((s) => s.attacks)
    .map((a) => `${a.attack}: ${a.verdict}${a.reason ? ` (${a.reason})` : ''}${a.findings.map((f) => `\n  ${f.kind}: ${f.message}`).join('')}`)
    .join('\n');
  assert.deepEqual(verdicts(result), expected, details);
}

function metricsOf(result: RunResult, attack: AttackId): Record<string, unknown> {
  const found = result.scenarios.flatMap((s) => s.attacks).find((a) => a.attack === attack);
  assert.ok(found, `no result for ${attack}`);
  return found.metrics as Record<string, unknown>;
}

/** The fixture scenario with one line replaced (the replacement must apply). */
async function variant(from: string, to: string): Promise<string> {
  const yaml = await readFile(YAML, 'utf8');
  assert.ok(yaml.includes(from), `${YAML_REL} no longer contains ${JSON.stringify(from)}`);
  return writeScenario(yaml.replace(from, to), 'express-orders-variant.yaml');
}

test('express-idempotency, in-memory store: every attack passes, and for the right reasons', TIMEOUT, async () => {
  const result = await withServer({ latencyMs: LATENCY_MS }, (url) => runScenarioFile(YAML, url));
  assertVerdicts(result, { replay: 'pass', concurrent: 'pass', reuse: 'pass', expiry: 'pass', drop: 'pass' });

  const concurrent = metricsOf(result, 'concurrent');
  assert.equal(concurrent['effects'], 1);
  const statuses = concurrent['statuses'] as Record<string, number>;
  assert.deepEqual(Object.keys(statuses).filter((s) => s !== '201' && s !== '409'), [], `statuses ${JSON.stringify(statuses)}`);
  // Duplicates that land while the first runs get 409; the first gets 201.
  assert.ok((statuses['409'] ?? 0) >= 1 && (statuses['201'] ?? 0) >= 1, `statuses ${JSON.stringify(statuses)}`);

  assert.equal(metricsOf(result, 'replay')['effects'], 1);
  assert.equal(metricsOf(result, 'reuse')['effects'], 1);
  const expiry = metricsOf(result, 'expiry');
  assert.equal(expiry['effectsBeforeTtl'], 1);
  assert.equal(expiry['effectsAfterTtl'], 1, 'keys never expire: the late retry is a replay');
  const drop = metricsOf(result, 'drop');
  assert.deepEqual(drop['cuts'], ['after-send', 'mid-body-first', 'mid-body-middle', 'mid-body-last', 'mid-response']);
  // after-send: at least one 409 while the original runs, then the stored 201.
  assert.ok((drop['retries'] as number) >= 6, `retries ${String(drop['retries'])}`);
});

test('express-idempotency compares bodies loosely: a type-only change is replayed (mismatch-accepted)', TIMEOUT, async () => {
  const file = await variant('  reuse: {}\n', '  reuse: { change: { qty: "2" } }\n');
  const result = await withServer({ latencyMs: LATENCY_MS }, (url) => runScenarioFile(file, url, { only: ['reuse'] }));
  assertVerdicts(result, { reuse: ['mismatch-accepted'] });
  assert.equal(metricsOf(result, 'reuse')['effects'], 1);
  assert.match(result.scenarios[0]!.attacks[0]!.findings[0]!.message, /first request's response/);
});

test('express-idempotency with a store that takes time per call: the lookup races (duplicate-effect)', TIMEOUT, async () => {
  const result = await withServer({ latencyMs: LATENCY_MS, storeDelayMs: 50 }, (url) =>
    runScenarioFile(YAML, url, { only: ['replay', 'concurrent'] }),
  );
  // Every duplicate that passed the lookup created its own order and answered
  // 201 with it, so the successes also differ from one another.
  assertVerdicts(result, { replay: 'pass', concurrent: ['duplicate-effect', 'wrong-replay'] });
  assert.ok((metricsOf(result, 'concurrent')['effects'] as number) >= 2);
});

// The attacks of the callers' file, by hand against the middleware's code:
// - missing-key: no key and an empty key (the middleware treats "" as none)
//   are processed as plain requests, once each: pass under missingKey: allow;
// - other-operation: the stored request's url is /orders, so the same key on
//   /refunds is a different intent: 417, a refusal, allowed by `either`;
// - tenant: the key is global and bob's request equals alice's (url, method,
//   body): the middleware replays alice's order to bob: tenant-leak; bob's
//   changed payload is another intent: 417;
// - expiry-burst: records never expire, so ten duplicates after the ttl are
//   all replays of the first order, no new one: pass under afterExpiry: replay;
// - error-retry: qty 0 is refused by the route (400), the middleware deletes
//   a record whose response is not 2xx, so the same invalid request is 400
//   again and the corrected one is processed (201): pass.
test('express-idempotency with two callers and a refund route: keys are not scoped per caller (tenant-leak)', TIMEOUT, async () => {
  const file = path.join(ROOT, 'test', 'fixtures', 'express-callers.yaml');
  const result = await withServer({ latencyMs: 20 }, (url) => runScenarioFile(file, url));
  assertVerdicts(result, { 'missing-key': 'pass', 'other-operation': 'pass', tenant: ['tenant-leak'], 'expiry-burst': 'pass', 'error-retry': 'pass' });
  const tenant = metricsOf(result, 'tenant');
  assert.equal(tenant['sameKeyStatus'], 201, "bob was answered with alice's 201");
  assert.equal(tenant['effectsOfSecond'], 0, 'and got no order of his own');
  assert.deepEqual(metricsOf(result, 'other-operation')['operations'], [{ name: 'refund', status: 417, effects: 0 }]);
  assert.equal(metricsOf(result, 'expiry-burst')['newEffects'], 0);
  assert.deepEqual(metricsOf(result, 'missing-key')['statuses'], { 'no key': 201, 'empty key': 201 });
});

test('CLI exit codes against express-idempotency: 0 without a finding, 1 with one', TIMEOUT, async () => {
  const loose = await variant('  reuse: {}\n', '  reuse: { change: { qty: "2" } }\n');
  await withServer({ latencyMs: LATENCY_MS }, async (url) => {
    const clean = await cli(['run', YAML_REL, '--target', url, '--attack', 'replay,reuse']);
    assert.equal(clean.code, 0, `stdout:\n${clean.stdout}\nstderr:\n${clean.stderr}`);
    assert.match(clean.stdout, /2 passed, 0 failed/);

    const finding = await cli(['run', loose, '--target', url, '--attack', 'replay,reuse']);
    assert.equal(finding.code, 1, `stdout:\n${finding.stdout}\nstderr:\n${finding.stderr}`);
    assert.match(finding.stdout, /mismatch-accepted/);
  });
});
