import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { UsageError } from '../../src/scenario/discover.js';
import { loadScenarios } from '../../src/run/load.js';
import { PRESETS, PRESET_NAMES, presetForFlag } from '../../src/scenario/presets.js';
import { scenarioSchema } from '../../src/scenario/schema.js';
import type { Scenario } from '../../src/scenario/types.js';
import { startDemo } from '../../src/demo/server.js';
import { ordersScenario, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';
import { brief, loadError, scope, TempDir } from './helpers.js';

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

let n = 0;
async function load(yaml: string, preset?: string): Promise<Scenario> {
  const file = await tmp.file(`p${n++}.yaml`, yaml);
  const { scenarios } = await loadScenarios([file], { scope, ...(preset !== undefined ? { preset } : {}) });
  return scenarios[0]!;
}

/** What a preset decides, in a form easy to compare. */
function contract(s: Scenario) {
  return {
    header: s.idempotency.header,
    ttlMs: s.idempotency.ttlMs,
    inFlight: s.expect.inFlight.text,
    mismatch: s.expect.mismatch.text,
    replayHeader: s.expect.replayHeader ? `${s.expect.replayHeader.name}: ${s.expect.replayHeader.value}` : 'none',
    success: s.expect.success.text,
    afterExpiry: s.expect.afterExpiry,
  };
}

const BASE = 'name: p\ntarget: http://x\nrequest: { path: /orders, json: { a: 1 } }\n';

const EXPECTED: Record<string, { header: string; inFlight: string; mismatch: string; replayHeader: string }> = {
  ietf: { header: 'Idempotency-Key', inFlight: '409', mismatch: '422', replayHeader: 'none' },
  stripe: { header: 'Idempotency-Key', inFlight: '409', mismatch: '400', replayHeader: 'Idempotent-Replayed: true' },
  adyen: { header: 'Idempotency-Key', inFlight: '409, 422', mismatch: '4xx', replayHeader: 'none' },
  brandur: { header: 'Idempotency-Key', inFlight: '409', mismatch: '409', replayHeader: 'none' },
  'express-idempotency': { header: 'idempotency-key', inFlight: '409', mismatch: '417', replayHeader: 'none' },
  'node-idempotency': { header: 'Idempotency-Key', inFlight: '409', mismatch: '422', replayHeader: 'Idempotent-Replayed: true' },
  paypal: { header: 'PayPal-Request-Id', inFlight: '4xx', mismatch: '4xx', replayHeader: 'none' },
};

describe('contract presets', () => {
  it('lists exactly the presets the schema accepts, each with a source', () => {
    const schemaEnum = (scenarioSchema().definitions as Record<string, { properties: Record<string, { enum: string[] }> }>).scenario!.properties
      .preset!.enum;
    assert.deepEqual([...PRESET_NAMES].sort(), [...schemaEnum].sort());
    assert.deepEqual([...PRESET_NAMES].sort(), Object.keys(EXPECTED).sort());
    for (const preset of Object.values(PRESETS)) {
      assert.ok(preset.source.length > 20, `${preset.name} has a source`);
      assert.ok(preset.summary.length > 10, `${preset.name} has a summary`);
    }
    assert.match(PRESETS.ietf!.source, /draft-ietf-httpapi-idempotency-key-header-07/);
    assert.match(PRESETS.brandur!.source, /Implementing Stripe-like Idempotency Keys in Postgres/);
    assert.match(PRESETS.paypal!.source, /PayPal-Request-Id/);
  });

  it('sets the longest key and whether a key is required where the source says', async () => {
    const want: Record<string, [number | undefined, 'reject' | 'allow']> = {
      ietf: [255, 'reject'],
      stripe: [255, 'reject'],
      adyen: [64, 'reject'],
      brandur: [255, 'reject'],
      'express-idempotency': [undefined, 'allow'],
      'node-idempotency': [256, 'reject'],
      paypal: [108, 'reject'],
    };
    for (const name of PRESET_NAMES) {
      const s = await load(`${BASE}preset: ${name}\n`);
      assert.deepEqual([s.idempotency.maxLength, s.expect.missingKey], want[name], name);
    }
    // The scenario's own fields win, and `none` means no documented limit.
    const own = await load(`${BASE}preset: adyen\nidempotency: { maxLength: none }\nexpect: { missingKey: allow }\n`);
    assert.deepEqual([own.idempotency.maxLength, own.expect.missingKey], [undefined, 'allow']);
  });

  for (const [name, want] of Object.entries(EXPECTED)) {
    it(`preset: ${name} sets the key header, inFlight, mismatch and replayHeader, never the ttl`, async () => {
      const s = await load(`${BASE}preset: ${name}\n`);
      assert.equal(s.preset, name);
      assert.deepEqual(contract(s), { ...want, ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });
      const withTtl = await load(`${BASE}preset: ${name}\nidempotency: { ttl: 2s }\n`);
      assert.equal(withTtl.idempotency.ttlMs, 2000);
      assert.equal(withTtl.idempotency.header, want.header);
    });
  }

  it('defaults to ietf without recording a preset', async () => {
    const s = await load(BASE);
    assert.equal(s.preset, undefined);
    assert.deepEqual(contract(s), { ...EXPECTED.ietf!, ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });
  });

  it('lets the scenario override a preset field by field', async () => {
    const header = await load(`${BASE}preset: paypal\nidempotency: { header: X-Request-Id }\n`);
    assert.deepEqual(contract(header), { header: 'X-Request-Id', ttlMs: undefined, inFlight: '4xx', mismatch: '4xx', replayHeader: 'none', success: '200, 201', afterExpiry: 'new' });

    const mismatch = await load(`${BASE}preset: stripe\nexpect: { mismatch: 422 }\n`);
    assert.deepEqual(contract(mismatch), { ...EXPECTED.stripe!, mismatch: '422', ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });

    const inFlight = await load(`${BASE}preset: brandur\nexpect: { inFlight: [409, 425] }\n`);
    assert.deepEqual(contract(inFlight), { ...EXPECTED.brandur!, inFlight: '409, 425', ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });

    const replay = await load(`${BASE}preset: stripe\nexpect: { replayHeader: "X-Replayed: yes", success: 201 }\n`);
    assert.deepEqual(contract(replay), { ...EXPECTED.stripe!, replayHeader: 'X-Replayed: yes', ttlMs: undefined, success: '201', afterExpiry: 'new' });

    const added = await load(`${BASE}preset: express-idempotency\nexpect: { replayHeader: X-Cache-Hit }\n`);
    assert.deepEqual(contract(added), { ...EXPECTED['express-idempotency']!, replayHeader: 'X-Cache-Hit: true', ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });
  });

  it('takes --preset for scenarios that name none; a scenario\'s own preset wins', async () => {
    const flagged = await load(BASE, 'stripe');
    assert.equal(flagged.preset, 'stripe');
    assert.deepEqual(contract(flagged), { ...EXPECTED.stripe!, ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });
    const own = await load(`${BASE}preset: brandur\n`, 'stripe');
    assert.equal(own.preset, 'brandur');
    assert.deepEqual(contract(own), { ...EXPECTED.brandur!, ttlMs: undefined, success: '200, 201', afterExpiry: 'new' });
    const overridden = await load(`${BASE}expect: { mismatch: 418 }\n`, 'paypal');
    assert.equal(contract(overridden).mismatch, '418');
    assert.equal(contract(overridden).header, 'PayPal-Request-Id');
  });

  it('reports an unknown preset at its place, with a suggestion', async () => {
    const file = await tmp.file('unknown.yaml', `name: p\ntarget: http://x\npreset: strpe\nrequest: { path: /o }\n`);
    const err = await loadError([file]);
    assert.deepEqual(brief(err.messages), [
      "unknown.yaml:3:9-14 unknown preset 'strpe'; did you mean 'stripe'? (presets: ietf, stripe, adyen, brandur, express-idempotency, node-idempotency, paypal)",
    ]);
    const far = await tmp.file('far.yaml', `name: p\ntarget: http://x\npreset: acme\nrequest: { path: /o }\n`);
    assert.deepEqual(brief((await loadError([far])).messages), [
      'far.yaml:3:9-13 unknown preset \'acme\' (presets: ietf, stripe, adyen, brandur, express-idempotency, node-idempotency, paypal)',
    ]);
  });

  it('rejects an unknown --preset with a clear usage error', async () => {
    const file = await tmp.file('flag.yaml', BASE);
    await assert.rejects(loadScenarios([file], { scope, preset: 'node-idempotence' }), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.equal(
        err.message,
        "--preset: unknown preset 'node-idempotence'; did you mean 'node-idempotency'? (presets: ietf, stripe, adyen, brandur, express-idempotency, node-idempotency, paypal)",
      );
      return true;
    });
    assert.throws(() => presetForFlag('Stripe!'), UsageError);
    assert.equal(presetForFlag(undefined).name, 'ietf');
    assert.equal(presetForFlag('paypal').header, 'PayPal-Request-Id');
  });

  it("warns about a hand-set key header under the preset's header name", async () => {
    const file = await tmp.file('pp.yaml', `${BASE.replace('json: { a: 1 }', 'headers: { PayPal-Request-Id: x }')}preset: paypal\n`);
    const { warnings } = await loadScenarios([file], { scope });
    assert.deepEqual(brief(warnings), [
      "pp.yaml:3:38-55 'PayPal-Request-Id' is the idempotency header: idemchaos sets it on every request, so this value is ignored",
    ]);
  });
});

describe('presets against the demo API (422 on a changed payload, replays marked)', () => {
  for (const [preset, reuse] of [
    ['stripe', ['unexpected-status']],
    ['ietf', 'pass'],
    ['node-idempotency', 'pass'],
  ] as const) {
    it(`${preset}: reuse ${Array.isArray(reuse) ? 'fails as unexpected-status' : 'passes'}, replay passes`, async () => {
      const server = await startDemo({ latencyMs: 20, ttlMs: 3000 });
      try {
        const file = await writeScenario(ordersScenario({ extra: `preset: ${preset}\n` }));
        const result = await runScenarioFile(file, server.url, { only: ['replay', 'reuse'] });
        assert.deepEqual(verdicts(result), { replay: 'pass', reuse });
        if (preset === 'stripe') {
          const finding = result.scenarios[0]!.attacks.find((a) => a.attack === 'reuse')!.findings[0]!;
          assert.match(finding.message, /422/);
        }
      } finally {
        await server.close();
      }
    });
  }
});
