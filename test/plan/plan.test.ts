// Attack selection, skip reasons and the reuse payload, on hand-built scenarios.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PlanError, planScenario, type ScenarioPlan } from '../../src/plan/plan.js';
import { changeableFields, changedFields, changedPayload, MAX_FIELDS } from '../../src/attacks/reuse/payload.js';
import type { AttackConfigs } from '../../src/attacks/index.js';
import type { RequestTemplate, Scenario } from '../../src/scenario/types.js';
import { orderScenario } from '../helpers/builders.js';

interface Options {
  request?: Partial<RequestTemplate>;
  ttlMs?: number | null;
  attacks?: Partial<AttackConfigs>;
  oracle?: boolean;
  /** `effects:` without a count (only `id`). */
  idOnly?: boolean;
}

function scenario(o: Options = {}): Scenario {
  const s = orderScenario({
    pos: { file: 'scenarios/orders.yaml', line: 4, col: 3 },
    request: { method: 'POST', path: '/orders', headers: {}, json: { amount: 10, currency: 'EUR' }, ...o.request },
    idempotency: { header: 'Idempotency-Key', ...(o.ttlMs === null ? {} : { ttlMs: o.ttlMs ?? 60_000 }) },
  });
  if (o.oracle) s.effects = { count: { kind: 'command', command: 'echo 0' }, settleMs: 300, timeoutMs: 10_000 };
  if (o.idOnly) s.effects = { count: undefined, id: '$.id', settleMs: 300, timeoutMs: 10_000 };
  if (o.attacks) s.attacks = o.attacks;
  return s;
}

const summary = (p: ScenarioPlan) => p.attacks.map((a) => (a.skip ? `${a.id} (skip: ${a.skip})` : a.id));

function planError(s: Scenario, only?: Parameters<typeof planScenario>[1]): PlanError {
  try {
    planScenario(s, only);
  } catch (e) {
    if (e instanceof PlanError) return e;
    throw e;
  }
  throw new Error('expected a PlanError');
}

describe('planScenario: attack selection', () => {
  it('no attacks block: all ten, in order, with the defaults; those that need more than the scenario has are skipped', () => {
    const p = planScenario(scenario());
    assert.deepEqual(
      p.attacks.map((a) => ({ ...a })),
      [
        { id: 'replay', config: {} },
        { id: 'concurrent', config: { requests: 20, engine: 'auto', bursts: 3, warm: 0 } },
        { id: 'reuse', config: {} },
        { id: 'expiry', config: { margin: { fraction: 0.2 } } },
        { id: 'drop', config: { at: ['after-send', 'mid-body', 'mid-response'] } },
        { id: 'missing-key', config: {} },
        { id: 'other-operation', config: {}, skip: 'declare `operations:` (other keyed operations of the API) to try the key on them' },
        { id: 'tenant', config: {}, skip: "declare two `tenants:` (two principals of the API) to send one tenant's key as the other" },
        { id: 'expiry-burst', config: { requests: 10, margin: { fraction: 0.2 }, engine: 'auto' } },
        { id: 'error-retry', config: {}, skip: 'give `attacks.error-retry.invalid` (a payload the API refuses: `json` fields merged into the request, or a raw `body`)' },
      ],
    );
  });

  it('an attacks block: only the listed attacks, with their settings', () => {
    const p = planScenario(scenario({ attacks: { drop: { at: ['after-send'] }, concurrent: { requests: 5, engine: 'auto', bursts: 3, warm: 0 } } }));
    assert.deepEqual(p.attacks, [
      { id: 'concurrent', config: { requests: 5, engine: 'auto', bursts: 3, warm: 0 } },
      { id: 'drop', config: { at: ['after-send'] } },
    ]);
  });

  it('only: those attacks, with the scenario settings where it has them, defaults otherwise, in the canonical order', () => {
    const s = scenario({ attacks: { concurrent: { requests: 7, engine: 'auto', bursts: 3, warm: 0 }, replay: {} } });
    const p = planScenario(s, { only: ['expiry', 'concurrent'] });
    assert.deepEqual(p.attacks, [
      { id: 'concurrent', config: { requests: 7, engine: 'auto', bursts: 3, warm: 0 } },
      { id: 'expiry', config: { margin: { fraction: 0.2 } } },
    ]);
  });

  it('only: with no attacks block, the defaults', () => {
    assert.deepEqual(planScenario(scenario(), { only: ['drop'] }).attacks, [{ id: 'drop', config: { at: ['after-send', 'mid-body', 'mid-response'] } }]);
  });

  it('the plan keeps the scenario', () => {
    const s = scenario();
    assert.equal(planScenario(s).scenario, s);
  });
});

describe('planScenario: responseOnly', () => {
  it('is true without an oracle count, false with one', () => {
    assert.equal(planScenario(scenario()).responseOnly, true);
    assert.equal(planScenario(scenario({ idOnly: true })).responseOnly, true);
    assert.equal(planScenario(scenario({ oracle: true })).responseOnly, false);
  });
});

describe('planScenario: skip reasons', () => {
  it('reuse with a raw body and no change', () => {
    const p = planScenario(scenario({ request: { json: undefined, body: 'amount=10' } }));
    assert.equal(p.attacks.find((a) => a.id === 'reuse')!.skip, 'a raw `body:` needs `attacks.reuse.change` to say what differs');
  });

  it('reuse with a raw body and a change is skipped: change merges into json (the loader rejects it too)', () => {
    assert.throws(
      () => planScenario(scenario({ request: { json: undefined, body: '{"amount":10}' }, attacks: { reuse: { change: { amount: 11 } } } })),
      /reuse: `attacks.reuse.change` merges into `request.json`; this scenario sends a raw `body:`/,
    );
  });

  it('reuse with every field templated', () => {
    const p = planScenario(scenario({ request: { json: { ref: '{{ run.id }}', customer: 'cust-{{ vars.tenant }}' } } }));
    assert.equal(p.attacks.find((a) => a.id === 'reuse')!.skip, 'no field of `request.json` is free of templates to change; give `attacks.reuse.change`');
  });

  it('reuse with every field templated but a change runs', () => {
    const p = planScenario(scenario({ request: { json: { ref: '{{ run.id }}' } }, attacks: { reuse: { change: { ref: 'other' } } } }));
    assert.equal(p.attacks[0]!.skip, undefined);
  });

  it('expiry without a ttl', () => {
    const p = planScenario(scenario({ ttlMs: null }));
    assert.equal(p.attacks.find((a) => a.id === 'expiry')!.skip, 'declare `idempotency.ttl` (the retention the API documents)');
    assert.deepEqual(
      summary(p).filter((s) => s.startsWith('expiry')),
      ['expiry (skip: declare `idempotency.ttl` (the retention the API documents))', 'expiry-burst (skip: declare `idempotency.ttl` (the retention the API documents))'],
    );
  });

  it('drop without a body keeps the cuts it can make', () => {
    const p = planScenario(scenario({ request: { method: 'DELETE', json: undefined } }));
    assert.deepEqual(p.attacks.find((a) => a.id === 'drop'), { id: 'drop', config: { at: ['after-send', 'mid-response'] } });
  });

  it('drop without a body, mid-body only: skipped', () => {
    const p = planScenario(scenario({ request: { json: undefined }, attacks: { drop: { at: ['mid-body'] }, replay: {} } }));
    assert.deepEqual(summary(p), [
      'replay',
      'drop (skip: the request has no body to cut mid-body; add after-send or mid-response to `attacks.drop.at`)',
    ]);
  });
});

describe('planScenario: PlanError', () => {
  it('when every selected attack is skipped, with each reason', () => {
    const s = scenario({ ttlMs: null, request: { json: undefined, body: 'a=1' }, attacks: { reuse: {}, expiry: { margin: { ms: 500 } } } });
    const e = planError(s);
    assert.equal(
      e.message,
      "scenarios/orders.yaml:4:3: scenario 'create order' gives no attack what it needs (" +
        'reuse: a raw `body:` needs `attacks.reuse.change` to say what differs; ' +
        'expiry: declare `idempotency.ttl` (the retention the API documents))',
    );
  });

  it('with only, over the selected attacks alone', () => {
    const s = scenario({ ttlMs: null });
    assert.match(planError(s, { only: ['expiry'] }).message, /gives no attack what it needs \(expiry: declare `idempotency.ttl`/);
    assert.deepEqual(summary(planScenario(s, { only: ['expiry', 'replay'] })), [
      'replay',
      'expiry (skip: declare `idempotency.ttl` (the retention the API documents))',
    ]);
  });

  it('not when one attack can run', () => {
    assert.doesNotThrow(() => planScenario(scenario({ ttlMs: null, attacks: { expiry: { margin: { fraction: 0.2 } }, replay: {} } })));
  });
});

describe('changedPayload', () => {
  it('numbers +1 (the first changeable field only)', () => {
    assert.deepEqual(changedPayload({ amount: 10, qty: 2 }, undefined), { amount: 11, qty: 2 });
  });

  it('strings get a suffix', () => {
    assert.deepEqual(changedPayload({ sku: 'A1', qty: 2 }, undefined), { sku: 'A1-changed', qty: 2 });
  });

  it('the first field that is not templated, on the rendered payload', () => {
    const json = { ref: '{{ run.id }}', sku: 'A1', qty: 2 };
    const rendered = { ref: 'ic-1234', sku: 'A1', qty: 2 };
    assert.deepEqual(changedPayload(json, undefined, rendered), { ref: 'ic-1234', sku: 'A1-changed', qty: 2 });
  });

  it('fields that are neither numbers nor strings are passed over', () => {
    assert.deepEqual(changedPayload({ paid: true, meta: { a: 1 }, note: null, qty: 0 }, undefined), { paid: true, meta: { a: 1 }, note: null, qty: 1 });
  });

  it('change merges shallowly into the rendered json', () => {
    const json = { ref: '{{ run.id }}', customer: { id: 1, tier: 'gold' }, amount: 10 };
    const rendered = { ref: 'ic-1', customer: { id: 1, tier: 'gold' }, amount: 10 };
    assert.deepEqual(changedPayload(json, { customer: { id: 2 }, note: 'x' }, rendered), {
      ref: 'ic-1',
      customer: { id: 2 },
      amount: 10,
      note: 'x',
    });
  });

  it('nothing to change: undefined', () => {
    assert.equal(changedPayload({ ref: '{{ run.id }}', k: '{{ key }}' }, undefined), undefined);
    assert.equal(changedPayload({}, undefined), undefined);
    assert.equal(changedPayload([1, 2], undefined), undefined);
    assert.equal(changedPayload(undefined, undefined), undefined);
  });

  it('does not touch its inputs', () => {
    const json = { amount: 10 };
    changedPayload(json, undefined);
    changedPayload(json, { amount: 3 });
    assert.deepEqual(json, { amount: 10 });
  });

  it('no json object: nothing to change (the planner skips reuse before it gets here)', () => {
    assert.equal(changedPayload(undefined, { amount: 11 }, { amount: 10 }), undefined);
  });
});

describe('reuse: the fields it changes, one run each', () => {
  it('numbers, template-free strings and booleans, in order; templates, nulls, lists and maps passed over', () => {
    assert.deepEqual(changeableFields({ ref: '{{ run.id }}', sku: 'a', meta: { a: 1 }, note: null, tags: ['x'], paid: true, qty: 0 }), ['sku', 'paid', 'qty']);
  });

  it(`at most ${MAX_FIELDS} fields`, () => {
    const json = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`f${i}`, i]));
    assert.deepEqual(changeableFields(json), Array.from({ length: MAX_FIELDS }, (_, i) => `f${i}`));
  });

  it('each variant changes its field of the rendered json, and nothing else', () => {
    const json = { ref: '{{ run.id }}', sku: 'a', paid: false, qty: 2 };
    const rendered = { ref: 'ic-1', sku: 'a', paid: false, qty: 2 };
    assert.deepEqual(changedFields(json, ['sku'], rendered), { ref: 'ic-1', sku: 'a-changed', paid: false, qty: 2 });
    assert.deepEqual(changedFields(json, ['paid'], rendered), { ref: 'ic-1', sku: 'a', paid: true, qty: 2 });
    assert.deepEqual(changedFields(json, ['qty'], rendered), { ref: 'ic-1', sku: 'a', paid: false, qty: 3 });
    assert.deepEqual(rendered, { ref: 'ic-1', sku: 'a', paid: false, qty: 2 }, 'its input untouched');
  });

  it('a scenario whose only free field is a boolean is not skipped', () => {
    const p = planScenario(scenario({ request: { json: { ref: '{{ run.id }}', paid: true } } }));
    assert.equal(p.attacks.find((a) => a.id === 'reuse')!.skip, undefined);
  });
});
