// The oracle's errors show what it ran against: the response it read, cut to
// a readable length, and never the request's headers.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../src/engine/http/client.js';
import { Oracle, OracleError, responseExcerpt } from '../../src/engine/oracle.js';
import { loadScenarios } from '../../src/run/load.js';
import { newRun, type RenderContext } from '../../src/scenario/render.js';
import type { Scenario, TemplateScope } from '../../src/scenario/types.js';
import { TempDir } from '../scenario/helpers.js';
import { close, listen } from '../helpers/net.js';

const SCOPE: TemplateScope = { env: { TOKEN: 's3cret-token-value' }, vars: {}, secrets: {} };

/** Thirty orders, pretty-printed: about 1.9 KB over 125 lines. */
const PRETTY = JSON.stringify(
  { total: 30, items: Array.from({ length: 30 }, (_, i) => ({ id: `ord-${i + 1}`, sku: 'widget-1' })) },
  null,
  2,
);
const COMPACT = JSON.stringify({ total: 30, items: Array.from({ length: 30 }, (_, i) => ({ id: `ord-${i + 1}`, sku: 'widget-1' })) });

let tmp: TempDir;
let server: http.Server;
let base: string;
const bodies: Record<string, string> = { '/pretty': PRETTY, '/compact': COMPACT, '/short': '{"orders":[]}', '/one': '{"count":1,"orders":[{"ref":"x"}]}' };
before(async () => {
  tmp = await TempDir.create();
  server = http.createServer((req, res) => {
    const body = bodies[new URL(req.url ?? '/', 'http://x').pathname] ?? '{}';
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(body);
  });
  base = `http://127.0.0.1:${await listen(server)}`;
});
after(async () => {
  await close(server);
  await tmp.remove();
});

async function oracleFor(path: string, select: string, extra = ''): Promise<{ scenario: Scenario; read(): Promise<unknown>; ctx: RenderContext }> {
  const file = await tmp.file(
    `${path.slice(1)}-${select.replace(/\W/g, '')}.yaml`,
    `name: o
target: ${base}
request:
  path: /orders
  headers: { Authorization: "Bearer {{ env.TOKEN }}", X-Tenant: acme-tenant }
  json: { ref: "{{ run.id }}" }
effects:
  count:
    request: { path: "${path}?ref={{ run.id }}", headers: { X-Oracle: oracle-header-value } }
    select: ${select}
${extra}`,
  );
  const [scenario] = (await loadScenarios([file], { scope: SCOPE })).scenarios;
  const client = new HttpClient({ timeoutMs: 5000 });
  const oracle = Oracle.for(scenario!, client)!;
  const ctx: RenderContext = { scope: SCOPE, run: newRun() };
  return {
    scenario: scenario!,
    ctx,
    read: async () => {
      try {
        return await oracle.read(ctx);
      } finally {
        await client.close();
      }
    },
  };
}

async function oracleError(read: () => Promise<unknown>): Promise<OracleError> {
  try {
    await read();
  } catch (err) {
    if (err instanceof OracleError) return err;
    throw err;
  }
  throw new Error('expected the oracle read to fail');
}

describe('a select that matches nothing', () => {
  it('shows the response it ran against, cut at a line end near 500 characters', async () => {
    const o = await oracleFor('/pretty', '$.count');
    const err = await oracleError(o.read);
    const [head, ...rest] = err.message.split('\n');
    assert.equal(head, `oracle select $.count matched nothing in the response to GET ${base}/pretty?ref=${o.ctx.run.runId}; it answered:`);
    const note = rest.pop()!;
    const shown = rest.join('\n');
    assert.ok(PRETTY.startsWith(`${shown}\n`), 'whole lines from the start of the body');
    assert.ok(shown.length <= 500 && shown.length > 400, `shown ${shown.length} characters`);
    assert.equal(note, `… (${PRETTY.length - shown.length} more characters)`);
  });

  it('never the request headers, inherited or the oracle\'s own', async () => {
    const err = await oracleError((await oracleFor('/pretty', '$.count')).read);
    for (const text of ['Authorization', 's3cret-token-value', 'acme-tenant', 'oracle-header-value']) {
      assert.ok(!err.message.includes(text), `the message shows ${text}`);
    }
    assert.equal(err.exchange, undefined, 'no exchange (with its request headers) is attached');
  });

  it('a body on one line is cut at 500 characters; a short one is shown whole', async () => {
    const compact = await oracleError((await oracleFor('/compact', '$.count')).read);
    assert.ok(compact.message.includes(`\n${COMPACT.slice(0, 500)}\n… (${COMPACT.length - 500} more characters)`), compact.message);
    const short = await oracleError((await oracleFor('/short', '$.count')).read);
    assert.ok(short.message.endsWith('; it answered:\n{"orders":[]}'), short.message);
  });
});

describe('effects.ids that matches nothing while the count is not 0', () => {
  it('is an oracle error showing the response, not an empty list every success would be "lost" from', async () => {
    const o = await oracleFor('/one', '$.count', '  ids: $.orders[*].id\n');
    const err = await oracleError(o.read);
    assert.equal(
      err.message,
      `oracle ids $.orders[*].id matched nothing in the response to GET ${base}/one?ref=${o.ctx.run.runId}, though it counts 1; it answered:\n${bodies['/one']}`,
    );
  });

  it('matching nothing with a count of 0 is simply no ids', async () => {
    const o = await oracleFor('/short', '$.orders', '  ids: $.orders[*].id\n');
    assert.deepEqual(await o.read().then((r) => ({ count: (r as { count: number }).count, ids: (r as { ids: string[] }).ids })), { count: 0, ids: [] });
  });
});

describe('responseExcerpt', () => {
  it('keeps text up to the limit, and cuts longer text at its last line end inside it', () => {
    assert.equal(responseExcerpt(Buffer.from('abc'), 10), 'abc');
    assert.equal(responseExcerpt(Buffer.from('line one\nline two\nline three'), 20), 'line one\nline two\n… (11 more characters)');
    // A line end in the first half of the limit would show too little: cut at the limit instead.
    assert.equal(responseExcerpt(Buffer.from(`{\n${'y'.repeat(30)}`), 10), `{\n${'y'.repeat(8)}\n… (22 more characters)`);
    assert.equal(responseExcerpt(Buffer.from('x'.repeat(30)), 10), `${'x'.repeat(10)}\n… (20 more characters)`);
    assert.equal(responseExcerpt(Buffer.alloc(0), 10), '(an empty body)');
  });
});

describe('a connection reset before the oracle answers', () => {
  /** A server whose nth request to a path is reset (TCP RST) when `resets(path, n)` says so; it counts every request. */
  async function resettingServer(resets: (path: string, n: number) => boolean): Promise<{ url: string; seen: Map<string, number>; close(): Promise<void> }> {
    const seen = new Map<string, number>();
    const srv = http.createServer((req, res) => {
      const path = new URL(req.url ?? '/', 'http://x').pathname;
      const n = (seen.get(path) ?? 0) + 1;
      seen.set(path, n);
      if (path === '/fails') return void res.writeHead(503).end();
      if (path === '/silent') return;
      if (path === '/partial') {
        // An answer begun: the status line, the headers and 10 of 100 body bytes, then a reset.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
        res.write('{"count":7');
        return void setTimeout(() => req.socket.resetAndDestroy(), 20);
      }
      if (resets(path, n)) return void req.socket.resetAndDestroy();
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"count":7}');
    });
    const url = `http://127.0.0.1:${await listen(srv)}`;
    return { url, seen, close: () => close(srv) };
  }

  /** Runs `body` with an oracle reading `path` of a server resetting as `resets` says, closing both whatever happens. */
  async function withOracle(
    resets: (path: string, n: number) => boolean,
    path: string,
    body: (read: () => Promise<number>, seen: Map<string, number>) => Promise<void>,
    { method = 'GET', timeoutMs = 5000 } = {},
  ): Promise<void> {
    const srv = await resettingServer(resets);
    const client = new HttpClient({ timeoutMs });
    try {
      const file = await tmp.file(`reset-${path.slice(1)}-${method}.yaml`, `name: o\ntarget: ${srv.url}\nrequest: { path: /orders, json: { ref: "{{ run.id }}" } }\neffects:\n  count:\n    request: { method: ${method}, path: "${path}?ref={{ run.id }}" }\n    select: $.count\n`);
      const [scenario] = (await loadScenarios([file], { scope: SCOPE })).scenarios;
      const oracle = Oracle.for(scenario!, client)!;
      const ctx: RenderContext = { scope: SCOPE, run: newRun() };
      await body(async () => (await oracle.read(ctx)).count, srv.seen);
    } finally {
      await client.close();
      await srv.close();
    }
  }

  it('reads once more: a pooled connection reset as it is reused still gives the count, at the cost of one request', async () => {
    await withOracle((path, n) => path === '/second' && n === 2, '/second', async (read, seen) => {
      assert.equal(await read(), 7);
      assert.equal(await read(), 7, 'the second read, whose first try was reset');
      assert.equal(seen.get('/second'), 3);
    });
  });

  it('only once: reset again, it is an oracle error telling both failures', async () => {
    await withOracle((path) => path === '/always', '/always', async (read, seen) => {
      const err = await oracleError(read);
      assert.match(err.message, /^oracle request failed twice: http:\/\/127\.0\.0\.1:\d+ reset the connection before a complete response \(ECONNRESET\); read again: .*reset the connection/);
      assert.equal(seen.get('/always'), 2);
    });
  });

  it('an answer is never read again, whatever its status, nor one reset after it began', async () => {
    await withOracle(() => false, '/fails', async (read, seen) => {
      assert.match((await oracleError(read)).message, /^oracle answered 503/);
      assert.equal(seen.get('/fails'), 1);
    });
    await withOracle(() => false, '/partial', async (read, seen) => {
      assert.match((await oracleError(read)).message, /^oracle request failed: /);
      assert.equal(seen.get('/partial'), 1);
    });
  });

  it('neither a method that is not safe (a POST search) nor a timeout is sent again', async () => {
    await withOracle((path) => path === '/always', '/always', async (read, seen) => {
      assert.match((await oracleError(read)).message, /^oracle request failed: .*reset the connection/);
      assert.equal(seen.get('/always'), 1);
    }, { method: 'POST' });
    await withOracle(() => false, '/silent', async (read, seen) => {
      assert.match((await oracleError(read)).message, /^oracle request failed: no complete response from .* within 300 ms/);
      assert.equal(seen.get('/silent'), 1);
    }, { timeoutMs: 300 });
  });
});
