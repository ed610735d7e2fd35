import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadScenarios } from '../../src/run/load.js';
import { previewCaptures, renderOperation, renderStep } from '../../src/scenario/render.js';
import { secretCaptureNames } from '../../src/engine/setup.js';
import { brief, loadError, scope, TempDir } from '../scenario/helpers.js';

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

const STEPS = `name: steps
target: http://api.test
setup:
  - path: /health
  - path: /login
    json: { user: "{{ vars.tenant }}" }
    capture: { token: $.token, id: "$.user.id" }
  - { path: /raw, body: "a=1", headers: { Content-Type: text/plain, X-N: 5 } }
  - { method: put, path: "/users/{{ captures.id }}", json: {}, headers: { Idempotency-Key: own-key } }
request:
  path: /orders
  headers: { Authorization: "Bearer {{ captures.token }}", X-Op: op }
teardown:
  - { method: DELETE, path: "/users/{{ captures.id }}", capture: { gone: $.ok } }
  - { path: "/audit?gone={{ captures.gone }}" }
`;

describe('setup and teardown steps: normalisation', () => {
  it('normalises steps: POST with json or body, else GET; own headers; captures; lines', async () => {
    const file = await tmp.file('steps.yaml', STEPS);
    const { scenarios, warnings } = await loadScenarios([file], { scope });
    assert.deepEqual(warnings, []);
    const s = scenarios[0]!;
    assert.deepEqual(s.setup, [
      { request: { method: 'GET', path: '/health', headers: {} }, capture: {}, line: 4 },
      { request: { method: 'POST', path: '/login', headers: {}, json: { user: '{{ vars.tenant }}' } }, capture: { token: '$.token', id: '$.user.id' }, line: 5 },
      { request: { method: 'POST', path: '/raw', headers: { 'Content-Type': 'text/plain', 'X-N': '5' }, body: 'a=1' }, capture: {}, line: 8 },
      { request: { method: 'PUT', path: '/users/{{ captures.id }}', headers: { 'Idempotency-Key': 'own-key' }, json: {} }, capture: {}, line: 9 },
    ]);
    assert.deepEqual(s.teardown, [
      { request: { method: 'DELETE', path: '/users/{{ captures.id }}', headers: {} }, capture: { gone: '$.ok' }, line: 14 },
      { request: { method: 'GET', path: '/audit?gone={{ captures.gone }}', headers: {} }, capture: {}, line: 15 },
    ]);
    // Scenarios without steps have none.
    const plain = await tmp.file('plain.yaml', 'name: p\ntarget: http://x\nrequest: { path: /p }\n');
    const p = (await loadScenarios([plain], { scope })).scenarios[0]!;
    assert.equal('setup' in p, false);
    assert.equal('teardown' in p, false);
  });

  it('renders a step with only its own headers, its own key header included, and no key of ours', async () => {
    const file = await tmp.file('render.yaml', STEPS);
    const s = (await loadScenarios([file], { scope })).scenarios[0]!;
    const ctx = { scope, run: { runId: 'ic-1', key: 'the-run-key' }, captures: { id: 'u 1', token: 't' } };
    const put = renderStep(s, s.setup![3]!.request, ctx);
    assert.deepEqual(put.headers, { 'Idempotency-Key': 'own-key', 'Content-Type': 'application/json' });
    assert.equal(put.url, 'http://api.test/users/u%201');
    assert.equal(put.method, 'PUT');
    const login = renderStep(s, s.setup![1]!.request, ctx);
    assert.deepEqual(login.headers, { 'Content-Type': 'application/json' });
    assert.equal(login.body!.toString(), '{"user":"acme"}');
    assert.deepEqual(renderStep(s, s.setup![0]!.request, ctx).headers, {});
  });

  it('treats captures named like secrets, or used in credential headers, as secrets', async () => {
    const file = await tmp.file('secret.yaml', STEPS.replace('id: "$.user.id"', 'id: "$.user.id", sessionId: $.s, apiKey: $.k, jwt: $.j').replace('X-Op: op', 'X-Op: op, X-Auth-Token: "{{ captures.jwt }}"'));
    const s = (await loadScenarios([file], { scope })).scenarios[0]!;
    assert.deepEqual([...secretCaptureNames(s)].sort(), ['apiKey', 'jwt', 'sessionId', 'token']);
  });
});

describe('setup and teardown steps: where captures may be used', () => {
  it('rejects a capture used before the step that takes it, in the target, or only in teardown', async () => {
    const file = await tmp.file(
      'order.yaml',
      `name: order
target: "http://api.test/{{ captures.tenant }}"
setup:
  - { path: "/a/{{ captures.b }}", capture: { a: $.a } }
  - { path: "/b/{{ captures.a }}", capture: { b: $.b, tenant: $.t } }
request:
  path: "/orders/{{ captures.late }}/{{ captures.a }}/{{ captures.none }}"
teardown:
  - { path: "/x/{{ captures.late }}" }
  - { path: "/y", capture: { late: $.late } }
`,
    );
    const err = await loadError([file]);
    assert.deepEqual(brief(err.messages), [
      "order.yaml:2:26-47 'target' cannot use 'captures.tenant': setup steps are sent to the target, so it is rendered before they run",
      "order.yaml:4:17-33 undefined variable 'captures.b' (only setup step 2 captures 'b', and that runs after this)",
      "order.yaml:7:18-37 undefined variable 'captures.late' (only teardown step 2 captures 'late', and that runs after this)",
      "order.yaml:7:55-74 undefined variable 'captures.none' (no setup step captures 'none')",
      "order.yaml:9:17-36 undefined variable 'captures.late' (only teardown step 2 captures 'late', and that runs after this)",
    ]);
  });
});

describe('previewCaptures', () => {
  it('stands in for every captured value, so a dry run can render', async () => {
    const file = await tmp.file('preview.yaml', STEPS);
    const s = (await loadScenarios([file], { scope })).scenarios[0]!;
    const captures = previewCaptures(s);
    assert.deepEqual(captures, { token: '<captured token>', id: '<captured id>', gone: '<captured gone>' });
    const req = renderOperation(s, { scope, run: { runId: 'ic-1', key: 'k' }, captures });
    assert.equal(req.headers.Authorization, 'Bearer <captured token>');
  });
});
