// One rule for secret-like names: a setup capture and a query parameter with
// the same name are judged alike, by the same function the redactor uses.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretHeader, isSecretName } from '../../src/secrets/names.js';
import { secretCaptureNames } from '../../src/engine/setup.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { Scenario } from '../../src/scenario/types.js';
import { parseStatusSet } from '../../src/scenario/status.js';
import { expectations } from '../helpers/builders.js';

const SECRET_LIKE = ['token', 'access_token', 'apiKey', 'api_key', 'client_secret', 'X-Amz-Signature', 'password', 'passwd', 'sessionId', 'X-Amz-Credential', 'sig', 'monkey'];
const PLAIN = ['id', 'user', 'page', 'ref', 'signal', 'idempotency_key', 'idempotencyKey', 'n_total'];

describe('isSecretName', () => {
  it('marks token, key, secret, signature, password, passwd, session, credential and sig; never the idempotency key', () => {
    for (const name of SECRET_LIKE) assert.equal(isSecretName(name), true, name);
    for (const name of PLAIN) assert.equal(isSecretName(name), false, name);
  });

  it('is the rule for setup captures and for query parameters alike', () => {
    const set = parseStatusSet([200]);
    const all = [...SECRET_LIKE, ...PLAIN];
    const scenario: Scenario = {
      name: 's',
      file: 's.yaml',
      index: 0,
      pos: { file: 's.yaml', line: 1, col: 1 },
      target: 'http://api.test',
      request: { method: 'POST', path: '/o', headers: {} },
      idempotency: { header: 'Idempotency-Key' },
      expect: expectations({ success: set, inFlight: set, mismatch: set }),
      attackLines: {},
      setup: [{ request: { method: 'POST', path: '/login', headers: {} }, capture: Object.fromEntries(all.map((n) => [n, '$.x'])), line: 1 }],
    };
    const captured = secretCaptureNames(scenario);
    const r = new Redactor();
    for (const name of all) {
      const masked = r.text(`/x?${name}=value-1`) === `/x?${name}=***`;
      assert.equal(captured.has(name), isSecretName(name), `capture ${name}`);
      assert.equal(masked, isSecretName(name), `query parameter ${name}`);
    }
  });
});

describe('isSecretHeader', () => {
  it('masks credential header names, not names that merely contain "key"', () => {
    for (const name of ['Authorization', 'Cookie', 'X-Auth-Token', 'X-Api-Key', 'X-Client-Secret']) assert.equal(isSecretHeader(name), true, name);
    for (const name of ['Keyboard', 'Accept', 'X-Request-Id', 'Idempotency-Key']) assert.equal(isSecretHeader(name), false, name);
  });
});
