// Joining the target and a path: one slash between them, a base path kept,
// wherever a request is rendered (operation, oracle, setup and teardown steps).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import http from 'node:http';
import { inheritedHeaders, joinUrl, renderOperation, renderRequest, renderStep, type RenderContext } from '../../src/scenario/render.js';
import type { Scenario } from '../../src/scenario/types.js';
import { orderScenario } from '../helpers/builders.js';
import { runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';
import { close, listen } from '../helpers/net.js';

describe('joinUrl', () => {
  const cases: [string, string, string][] = [
    ['http://host:4100/', '/payments', 'http://host:4100/payments'],
    ['http://host:4100', '/payments', 'http://host:4100/payments'],
    ['http://h/base/', '/v1/x', 'http://h/base/v1/x'],
    ['http://h/base', '/v1/x', 'http://h/base/v1/x'],
    ['http://h/base', 'v1/x', 'http://h/base/v1/x'],
    ['http://h/base/', 'v1/x', 'http://h/base/v1/x'],
    ['http://h', 'v1/x?ref=a', 'http://h/v1/x?ref=a'],
    // Only the seam is touched: the path's own slashes are its business.
    ['http://h/', '/a//b/', 'http://h/a//b/'],
    // A path that is only a query or fragment goes straight after the base.
    ['http://h/base', '?page=2', 'http://h/base?page=2'],
    ['http://h/base/', '#top', 'http://h/base/#top'],
    ['http://h/base/', '', 'http://h/base/'],
  ];
  for (const [base, path, url] of cases) {
    it(`${JSON.stringify(base)} + ${JSON.stringify(path)} -> ${url}`, () => {
      assert.equal(joinUrl(base, path), url);
    });
  }
});

describe('rendered requests join the target once', () => {
  const ctx: RenderContext = {
    scope: { env: { BASE_URL: 'http://api.test/base/' }, vars: {}, secrets: {} },
    run: { runId: 'ic-1', key: 'k-1' },
  };
  const scenario: Scenario = orderScenario({
    target: '{{ env.BASE_URL }}',
    request: { method: 'POST', path: '/orders', headers: {}, json: { ref: '{{ run.id }}' } },
    effects: { count: { kind: 'request', request: { method: 'GET', path: '/orders?ref={{ run.id }}', headers: {} }, select: '$.count' }, settleMs: 0, timeoutMs: 10_000 },
    setup: [{ request: { method: 'POST', path: 'login', headers: {}, json: {} }, capture: {}, line: 3 }],
  });

  it('the operation, the oracle request and a setup step', () => {
    assert.equal(renderOperation(scenario, ctx).url, 'http://api.test/base/orders');
    const count = scenario.effects!.count!;
    assert.ok(count.kind === 'request');
    const oracle = renderRequest(scenario, count.request, ctx, { keyHeader: false, inherit: inheritedHeaders(scenario, ctx) });
    assert.equal(oracle.url, 'http://api.test/base/orders?ref=ic-1');
    assert.equal(renderStep(scenario, scenario.setup![0]!.request, ctx).url, 'http://api.test/base/login');
  });
});

/** A tiny keyed orders API that records every request line it receives. */
async function recordingApi(): Promise<{ url: string; seen: string[]; close(): Promise<void> }> {
  const seen: string[] = [];
  const orders: { id: string; ref: unknown }[] = [];
  const byKey = new Map<string, string>();
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      seen.push(`${req.method} ${req.url}`);
      const url = new URL(req.url ?? '/', 'http://x');
      const reply = (status: number, text: string) => res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
      if (req.method === 'POST' && req.url === '/orders') {
        const key = String(req.headers['idempotency-key']);
        let stored = byKey.get(key);
        if (stored === undefined) {
          const order = { id: `o${orders.length + 1}`, ref: (JSON.parse(body) as { ref?: unknown }).ref };
          orders.push(order);
          stored = JSON.stringify(order);
          byKey.set(key, stored);
        }
        return reply(201, stored);
      }
      if (req.method === 'GET' && url.pathname === '/orders' && req.url!.startsWith('/orders')) {
        return reply(200, JSON.stringify({ count: orders.filter((o) => o.ref === url.searchParams.get('ref')).length }));
      }
      if (req.url === '/session' || req.url === '/session/end') return reply(200, '{}');
      reply(404, '{"error":"not found"}');
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, seen, close: () => close(server) };
}

describe('--target with a trailing slash, against a real server', () => {
  it('setup, operation, oracle and teardown all reach their paths, never //path', async () => {
    const api = await recordingApi();
    try {
      const file = await writeScenario(`name: trailing slash
target: "{{ env.BASE_URL }}"
setup:
  - { path: /session }
teardown:
  - { path: session/end }
request:
  path: /orders
  json: { sku: w, ref: "{{ run.id }}" }
effects:
  count:
    request: { path: "/orders?ref={{ run.id }}" }
    select: $.count
  settle: 0ms
attacks:
  replay: {}
`);
      const result = await runScenarioFile(file, `${api.url}/`, { only: ['replay'] });
      const attack = result.scenarios[0]!.attacks[0]!;
      assert.deepEqual(verdicts(result), { replay: 'pass' }, attack.reason ?? JSON.stringify(attack.findings));
      const lines = [...new Set(api.seen.map((l) => l.replace(/ref=ic-[0-9a-f]+/, 'ref=RUN')))];
      assert.deepEqual(lines, ['GET /session', 'GET /orders?ref=RUN', 'POST /orders', 'GET /session/end']);
    } finally {
      await api.close();
    }
  });
});
