// The demo's /openapi.json stays in step with the server: it is a valid
// OpenAPI 3.1 document naming this server, every operation it documents
// answers with a status it documents, and it states the server's retention.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { validate } from '@readme/openapi-parser';
import { startDemo } from '../../src/demo/server.js';

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

test('/openapi.json is valid OpenAPI 3.1, names this server, and every documented operation answers as documented', async (t) => {
  const server = await startDemo({ latencyMs: 5, ttlMs: 2000 });
  t.after(() => server.close());
  const res = await fetch(`${server.url}/openapi.json`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^application\/json/);
  const doc = (await res.json()) as any;
  assert.equal(doc.openapi, '3.1.0');
  assert.deepEqual(doc.servers.map((s: { url: string }) => s.url), [server.url]);
  const result = await validate(structuredClone(doc));
  assert.ok(result.valid, JSON.stringify(result));
  assert.match(doc.components.parameters.IdempotencyKey.description, /A completed key is kept for 2 seconds\./);

  // An order to read back, made the documented way.
  const created = await fetch(`${server.url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'openapi-doc-test' },
    body: JSON.stringify({ sku: 'widget-1', qty: 2, ref: 'doc-test' }),
  });
  assert.equal(created.status, 201);
  const order = (await created.json()) as { id: string };

  const seen: string[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (!op) continue;
      const documented = Object.keys(op.responses);
      const url = server.url + path.replace('{id}', encodeURIComponent(order.id));
      const init: RequestInit = { method: method.toUpperCase() };
      if (method === 'post') {
        init.headers = { 'content-type': 'application/json', 'idempotency-key': `doc-${seen.length}` };
        init.body = JSON.stringify({ sku: 'widget-1', qty: 1 });
      }
      const answer = await fetch(url, init);
      await answer.arrayBuffer();
      assert.ok(documented.includes(String(answer.status)), `${method.toUpperCase()} ${path} answered ${answer.status}, documented ${documented.join(', ')}`);
      assert.ok(String(answer.status).startsWith('2'), `${method.toUpperCase()} ${path} answered ${answer.status}`);
      seen.push(`${method.toUpperCase()} ${path}`);
    }
  }
  assert.deepEqual(seen.sort(), ['GET /openapi.json', 'GET /orders', 'GET /orders/{id}', 'POST /orders']);

  // The documented errors are the server's: a missing key, an unknown order.
  const noKey = await fetch(`${server.url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  assert.equal(noKey.status, 400);
  assert.ok('400' in doc.paths['/orders'].post.responses);
  const missing = await fetch(`${server.url}/orders/ord_nope`);
  assert.equal(missing.status, 404);
  assert.ok('404' in doc.paths['/orders/{id}'].get.responses);
});

test('/openapi.json states the retention the server was started with', async (t) => {
  const server = await startDemo({ ttlMs: 500 });
  t.after(() => server.close());
  const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as any;
  assert.match(doc.paths['/orders'].post.description, /A completed key is kept for 500 milliseconds\./);
});
