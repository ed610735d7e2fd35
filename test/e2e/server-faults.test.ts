// Servers that fail in ways the demo API does not: the verdict must still be
// a finding when the fault is the server's, and "could not test" only when
// the fault is the path to it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ordersScenario, runScenarioFile, verdicts, writeScenario } from '../helpers/harness.js';

/** Orders API that hangs up on every duplicate of a key it is still working on. */
async function hangsUpOnDuplicates(): Promise<{ url: string; close(): Promise<void> }> {
  const busy = new Set<string>();
  const orders: { id: string; ref: string }[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET') {
      const items = orders.filter((o) => o.ref === url.searchParams.get('ref'));
      res.setHeader('content-type', 'application/json').end(JSON.stringify({ count: items.length, items }));
      return;
    }
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      if (busy.has(key)) return req.socket.destroy(); // the bug: a crash-like hang-up
      busy.add(key);
      setTimeout(() => {
        const order = { id: `o${orders.length + 1}`, ref: JSON.parse(body).ref };
        orders.push(order);
        res.statusCode = 201;
        res.setHeader('content-type', 'application/json').end(JSON.stringify(order));
      }, 100);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((r) => { server.closeAllConnections(); server.close(() => r()); }),
  };
}

test('duplicates the server hangs up on are a server-error finding, not "could not test"', async () => {
  const server = await hangsUpOnDuplicates();
  try {
    const file = await writeScenario(ordersScenario({ attacks: '  concurrent: { requests: 10 }' }));
    const result = await runScenarioFile(file, server.url);
    assert.deepEqual(verdicts(result), { concurrent: ['server-error'] });
    const finding = result.scenarios[0]!.attacks[0]!.findings[0]!;
    // Three bursts (the default), each with its own key: the same hang-ups in every one.
    assert.match(finding.message, /^in all 3 bursts: 9 of 10 duplicates were never answered/);
    assert.deepEqual((result.scenarios[0]!.attacks[0]!.metrics as Record<string, unknown>)['statuses'], { '201': 3, 'no response': 27 });
  } finally {
    await server.close();
  }
});
