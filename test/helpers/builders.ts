// Hand-built scenarios for the tests that need no scenario file (judge, plan,
// engines): the fields every one of them shares, each test changing its own.
import { parseStatusSet } from '../../src/scenario/status.js';
import type { Expectations, Scenario } from '../../src/scenario/types.js';

/** The default expectations (success 200/201, in flight 409, mismatch 422, a new effect after expiry), with over on top. */
export function expectations(over: Partial<Expectations> = {}): Expectations {
  return {
    success: parseStatusSet([200, 201]),
    inFlight: parseStatusSet([409]),
    mismatch: parseStatusSet([422]),
    afterExpiry: 'new',
    missingKey: 'reject',
    invalidKey: parseStatusSet('4xx'),
    otherOperation: 'either',
    afterError: 'either',
    ignore: [],
    ...over,
  };
}

/**
 * A "create order" scenario: POST /orders with a JSON body, keyed by
 * Idempotency-Key, default expectations, no effects and no attacks block.
 * The fields of over replace the defaults whole.
 */
export function orderScenario(over: Partial<Scenario> = {}): Scenario {
  const file = over.file ?? 'scenarios/orders.yaml';
  return {
    name: 'create order',
    file,
    index: 0,
    pos: { file, line: 1, col: 3 },
    target: 'http://api.test',
    request: { method: 'POST', path: '/orders', headers: {}, json: { amount: 10 } },
    idempotency: { header: 'Idempotency-Key', maxLength: 255 },
    expect: expectations(),
    attackLines: {},
    ...over,
  };
}
