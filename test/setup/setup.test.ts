import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadScenarios } from '../../src/run/load.js';
import { planScenario } from '../../src/plan/plan.js';
import { runPlans } from '../../src/run/pipeline.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import type { RunEvent } from '../../src/model/events.js';
import { jsonReport } from '../../src/report/json.js';
import { redactorForScenarios } from '../../src/secrets/scenarios.js';
import type { AttackId } from '../../src/attacks/index.js';
import type { TemplateScope } from '../../src/scenario/types.js';
import type { RunResult } from '../../src/model/results.js';
import { verdicts, writeScenario } from '../helpers/harness.js';
import { startAuthServer } from './auth-server.js';

const TOOL = { name: 'idemchaos', version: 'test' };

function scenarioYaml(opts: { capture?: string; teardown?: string; attacks?: string; extra?: string } = {}): string {
  return `name: orders behind a login
setup:
  - method: POST
    path: /login
    json: { user: alice, password: "{{ secrets.password }}" }
    capture: ${opts.capture ?? '{ token: $.token, user: $.user.name }'}
request:
  path: /orders
  headers: { Authorization: "Bearer {{ captures.token }}" }
  json: { sku: widget-1, ref: "{{ run.id }}", by: "{{ captures.user }}" }
effects:
  count:
    request: { path: "/orders?ref={{ run.id }}" }
    select: $.count
  id: $.id
  ids: $.items[*].id
attacks:
${opts.attacks ?? '  replay: {}'}
teardown:
${opts.teardown ?? '  - { method: DELETE, path: /session, headers: { Authorization: "Bearer {{ captures.token }}" } }'}
${opts.extra ?? ''}`;
}

interface Outcome {
  result: RunResult;
  events: RunEvent[];
  report: string;
}

async function run(yaml: string, target: string, opts: { password?: string; only?: AttackId[]; skipAll?: boolean } = {}): Promise<Outcome> {
  const file = await writeScenario(yaml);
  const scope: TemplateScope = { env: {}, vars: {}, secrets: { password: opts.password ?? 'hunter22' } };
  const { scenarios } = await loadScenarios([file], { scope, targetOverride: target });
  const redact = redactorForScenarios(scenarios, scope);
  const plans = scenarios.map((s) => planScenario(s, opts.only ? { only: opts.only } : {}));
  if (opts.skipAll) for (const plan of plans) for (const attack of plan.attacks) attack.skip = 'skipped by the test';
  const events: RunEvent[] = [];
  const mux = new ReporterMultiplexer([{ name: 'collect', onEvent: (e) => void events.push(e) }], () => undefined);
  const result = await runPlans(plans, { scope, transport: { timeoutMs: 5000 }, onSecret: (value) => redact.add(value) }, mux);
  return { result, events, report: JSON.stringify(jsonReport(redact.run(result), TOOL)) };
}

describe('setup and teardown', () => {
  it('logs in, captures the token for the request and the oracle, passes replay, and never shows the token', async () => {
    const server = await startAuthServer();
    try {
      const { result, report, events } = await run(scenarioYaml(), server.url);
      assert.deepEqual(verdicts(result), { replay: 'pass' });
      assert.equal(server.tokens.length, 1);
      const [token] = server.tokens;
      // Setup once, then the attack with the captured token (oracle reads included), then teardown.
      assert.equal(server.calls[0], 'POST /login');
      assert.equal(server.calls.at(-1), 'DELETE /session');
      assert.ok(server.calls.filter((c) => c.startsWith('GET /orders?ref=')).length >= 2);
      for (let i = 1; i < server.headers.length; i++) assert.equal(server.headers[i]!.authorization, `Bearer ${token}`);
      // A step sends only its own headers: no operation header, no key.
      assert.equal(server.headers[0]!.authorization, undefined);
      assert.equal(server.headers[0]!['idempotency-key'], undefined);
      assert.equal(server.headers[0]!['content-type'], 'application/json');
      assert.ok(!report.includes(token!));
      assert.ok(!report.includes('hunter22'));
      assert.deepEqual(events.filter((e) => e.type === 'warning'), []);
    } finally {
      await server.close();
    }
  });

  it('masks the captured token in failing evidence, keeps the idempotency key visible, and tears down after the failure', async () => {
    const server = await startAuthServer({ idempotent: false });
    try {
      const { result, report } = await run(scenarioYaml(), server.url);
      assert.deepEqual(verdicts(result), { replay: ['duplicate-effect', 'wrong-replay'] });
      const [token] = server.tokens;
      assert.ok(token);
      // The evidence holds bodies that echo the token: all masked.
      assert.match(report, /"placedWith\\":\\"\*\*\*\\"/);
      assert.ok(!report.includes(token));
      const key = result.scenarios[0]!.attacks[0]!.findings[0]!.evidence.exchanges[0]!.request.headers['Idempotency-Key']!;
      assert.match(key, /^[0-9a-f-]{36}$/);
      assert.ok(report.includes(key), 'the idempotency key stays visible');
      assert.ok(report.includes('Bearer ***'));
      assert.equal(server.calls.at(-1), 'DELETE /session');
    } finally {
      await server.close();
    }
  });

  it('masks a capture used in a credential header whatever its name', async () => {
    const server = await startAuthServer({ idempotent: false });
    try {
      const yaml = scenarioYaml({ capture: '{ jwt: $.token, user: $.user.name }' }).replaceAll('captures.token', 'captures.jwt');
      const { result, report } = await run(yaml, server.url);
      assert.equal(result.scenarios[0]!.attacks[0]!.verdict, 'fail');
      assert.ok(!report.includes(server.tokens[0]!));
    } finally {
      await server.close();
    }
  });

  it('makes every attack "could not test" when a setup step is answered with an error, naming the step', async () => {
    const server = await startAuthServer();
    try {
      const { result, report, events } = await run(scenarioYaml({ attacks: '  replay: {}\n  reuse: {}\n  expiry: {}' }), server.url, { password: 'wrong-password' });
      assert.deepEqual(verdicts(result), { replay: 'error', reuse: 'error', expiry: 'skip' });
      for (const attack of result.scenarios[0]!.attacks.filter((a) => a.verdict === 'error')) {
        assert.equal(attack.reason, 'setup step 1 (POST /login): answered 401');
        assert.equal(attack.errorEvidence!.exchanges.length, 1);
        assert.equal(attack.errorEvidence!.exchanges[0]!.response!.status, 401);
        assert.equal(attack.errorEvidence!.exchanges[0]!.label, 'setup step 1');
      }
      assert.equal(result.summary.errored, 2);
      assert.equal(result.ok, false);
      assert.equal(result.scenarios[0]!.error, 'setup step 1 (POST /login): answered 401');
      assert.ok(!report.includes('wrong-password'), 'the password sent by the step is a secret');
      // No attack request went out; teardown was tried, but its step needs the token that was never captured.
      assert.deepEqual(server.calls, ['POST /login']);
      assert.deepEqual(
        events.filter((e) => e.type === 'warning'),
        [
          {
            type: 'warning',
            message: "orders behind a login: teardown step 1 (DELETE /session): not sent: undefined variable 'captures.token' (no setup step captured it)",
          },
        ],
      );
    } finally {
      await server.close();
    }
  });

  it('fails setup when a capture matches nothing', async () => {
    const server = await startAuthServer();
    try {
      const { result, report } = await run(scenarioYaml({ capture: '{ token: $.token, user: $.account.name }' }), server.url);
      const attack = result.scenarios[0]!.attacks[0]!;
      assert.equal(attack.verdict, 'error');
      assert.equal(attack.reason, "setup step 1 (POST /login): capture 'user' ($.account.name) matched nothing in the response");
      // The token captured just before is already masked in the step's evidence.
      assert.ok(!report.includes(server.tokens[0]!));
      assert.match(report, /\\"token\\":\\"\*\*\*\\"/);
    } finally {
      await server.close();
    }
  });

  it('makes every attack "could not test" when the target cannot be reached by setup', async () => {
    const server = await startAuthServer();
    const url = server.url;
    await server.close();
    const { result } = await run(scenarioYaml({ attacks: '  replay: {}\n  reuse: {}' }), url);
    const attacks = result.scenarios[0]!.attacks;
    assert.deepEqual(verdicts(result), { replay: 'error', reuse: 'error' });
    assert.match(attacks[0]!.reason!, /^setup step 1 \(POST \/login\): no response: /);
    assert.equal(attacks[0]!.unreachable, true);
  });

  it('warns about a failing teardown step without changing verdicts, and runs the next steps', async () => {
    const server = await startAuthServer();
    try {
      const teardown = '  - { method: DELETE, path: /nowhere, headers: { Authorization: "Bearer {{ captures.token }}" } }\n  - { method: DELETE, path: /session, headers: { Authorization: "Bearer {{ captures.token }}" } }';
      const { result, events } = await run(scenarioYaml({ teardown }), server.url);
      assert.deepEqual(verdicts(result), { replay: 'pass' });
      assert.deepEqual(
        events.filter((e) => e.type === 'warning'),
        [{ type: 'warning', message: 'orders behind a login: teardown step 1 (DELETE /nowhere): answered 404' }],
      );
      assert.deepEqual(server.calls.slice(-2), ['DELETE /nowhere', 'DELETE /session']);
      // The warning arrives before the scenario ends.
      const order = events.map((e) => e.type);
      assert.ok(order.indexOf('warning') < order.indexOf('scenario-end'));
    } finally {
      await server.close();
    }
  });

  it('sends no setup or teardown when every attack is skipped', async () => {
    const server = await startAuthServer();
    try {
      const { result } = await run(scenarioYaml({ attacks: '  replay: {}\n  reuse: {}' }), server.url, { skipAll: true });
      assert.deepEqual(verdicts(result), { replay: 'skip', reuse: 'skip' });
      assert.deepEqual(server.calls, []);
    } finally {
      await server.close();
    }
  });
});
