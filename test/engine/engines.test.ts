// The burst engines behind `concurrent`, end to end against real servers on
// 127.0.0.1: the demo API (directly, or behind small h2c / TLS front ends of
// this file's own), and an orders server of this file's own for what the demo
// cannot show (duplicates on chosen bursts, the order of warming requests,
// connection counts). Timing assertions are loose: a busy 2-core box passes.
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import net from 'node:net';
import { startDemo, type DemoMode, type DemoServer } from '../../src/demo/server.js';
import { probeAlpn, resolveEngine, type BurstEngine } from '../../src/engine/engines.js';
import type { BurstObservation, ConcurrentMetrics, ConcurrentObservation } from '../../src/attacks/concurrent/index.js';
import { concurrent } from '../../src/attacks/concurrent/index.js';
import type { Run } from '../../src/attacks/contract.js';
import type { Exchange, TransportOptions } from '../../src/model/http.js';
import type { AttackResult } from '../../src/model/results.js';
import { loadScenarios } from '../../src/run/load.js';
import type { Scenario, TemplateScope } from '../../src/scenario/types.js';
import { planScenario, PlanError, type PlanOptions } from '../../src/plan/plan.js';
import { plannedRequests } from '../../src/plan/requests.js';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import { ScenarioError } from '../../src/scenario/errors.js';
import { orderScenario } from '../helpers/builders.js';
import { ordersScenario, writeScenario } from '../helpers/harness.js';
import { close, listen, selfSignedCert, waitFor } from '../helpers/net.js';

// ---------------------------------------------------------------- helpers

const SCOPE: TemplateScope = { env: {}, vars: {}, secrets: {} };
interface RunOptions {
  insecure?: boolean;
  timeoutMs?: number;
  plan?: PlanOptions;
  effects?: string | false;
}

/** Runs only the `concurrent` attack of the orders scenario against target, configured by `config` (YAML flow map). */
/** A judged concurrent attack: its metrics are the attack's own. */
type ConcurrentResult = AttackResult & { metrics: ConcurrentMetrics };

async function runConcurrent(target: string, config: string, opts: RunOptions = {}): Promise<ConcurrentResult> {
  const yaml = ordersScenario({ attacks: `  concurrent: ${config}`, ...(opts.effects !== undefined ? { effects: opts.effects } : {}) });
  const file = await writeScenario(yaml);
  const { scenarios } = await loadScenarios([file], { scope: SCOPE, targetOverride: target });
  const plans = scenarios.map((s) => planScenario(s, { only: ['concurrent'], ...opts.plan }));
  const transport: TransportOptions = { timeoutMs: opts.timeoutMs ?? 10_000 };
  if (opts.insecure) transport.insecure = true;
  const result = await runPlans(plans, { scope: SCOPE, transport }, SILENT);
  return result.scenarios[0]!.attacks[0]! as ConcurrentResult;
}

/** The verdict, or the finding kinds when it failed; with the details in the assertion message. */
function outcome(r: AttackResult): string | string[] {
  return r.verdict === 'fail' ? r.findings.map((f) => f.kind).sort() : r.verdict;
}

function describeResult(r: AttackResult): string {
  return `${r.verdict}${r.reason ? ` (${r.reason})` : ''}${r.findings.map((f) => `\n  ${f.kind}: ${f.message}`).join('')}\n  metrics: ${JSON.stringify({ ...r.metrics, timeline: undefined, timelines: undefined })}`;
}

// ---------------------------------------------------------------- front ends

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'host', 'http2-settings']);

type Handler = (req: http.IncomingMessage | http2.Http2ServerRequest, res: http.ServerResponse | http2.Http2ServerResponse) => void;

/** A request handler (HTTP/1.1 or HTTP/2 compat) that forwards to origin over HTTP/1.1. */
function forwardTo(origin: string): Handler {
  const agent = new http.Agent({ keepAlive: false });
  return (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('error', () => undefined);
    req.on('end', () => {
      const headers: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined && !k.startsWith(':') && !HOP_BY_HOP.has(k)) headers[k] = v;
      const up = http.request(`${origin}${req.url}`, { method: req.method, headers, agent }, (upRes) => {
        const body: Buffer[] = [];
        upRes.on('data', (c: Buffer) => body.push(c));
        upRes.on('end', () => {
          const out: Record<string, string | string[]> = {};
          for (const [k, v] of Object.entries(upRes.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
          (res as http.ServerResponse).writeHead(upRes.statusCode ?? 502, out);
          res.end(Buffer.concat(body));
        });
      });
      up.on('error', () => {
        if (!res.headersSent) (res as http.ServerResponse).writeHead(502);
        res.end();
      });
      up.end(Buffer.concat(chunks));
    });
  };
}

interface FrontEnd {
  url: string;
  close(): Promise<void>;
}

/**
 * One plain-http port that speaks both HTTP/1.1 (the oracle's reads) and h2c
 * with prior knowledge (the h2 engine's bursts): the first bytes of each
 * connection pick the server it is piped to.
 */
async function h2cFrontEnd(handler: Handler): Promise<FrontEnd> {
  const h1 = http.createServer(handler as http.RequestListener);
  const h2 = http2.createServer({}, handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const p1 = await listen(h1);
  const p2 = await listen(h2);
  const sockets = new Set<net.Socket>();
  const front = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    socket.once('data', (first: Buffer) => {
      const up = net.connect(first.subarray(0, 3).toString('latin1') === 'PRI' ? p2 : p1, '127.0.0.1');
      sockets.add(up);
      up.setNoDelay(true);
      socket.setNoDelay(true);
      const end = (): void => {
        socket.destroy();
        up.destroy();
      };
      up.on('error', end);
      up.once('close', () => {
        sockets.delete(up);
        end();
      });
      socket.once('close', end);
      up.write(first);
      socket.pipe(up).pipe(socket);
    });
  });
  const port = await listen(front);
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all([close(front), close(h1), close(h2)]);
    },
  };
}

// ---------------------------------------------------------------- an orders server of our own

interface SeenRequest {
  method: string;
  url: string;
  key?: string;
  /** The POST body's ref, once the body arrived. */
  ref?: string;
  port: number;
}

interface OrdersServer {
  url: string;
  seen: SeenRequest[];
  /** Connections open right now. */
  open(): number;
  /** Connections ever accepted. */
  accepted(): number;
  close(): Promise<void>;
}

/**
 * A correct orders API (claim the key, 409 while in flight, exact replays),
 * except for the keys that arrive as the n-th new key for n in
 * `duplicateKeys` (0-based): every request with such a key creates an order.
 */
async function ordersServer(opts: { latencyMs?: number; duplicateKeys?: number[] } = {}): Promise<OrdersServer> {
  const latency = opts.latencyMs ?? 100;
  const orders: { id: string; ref: string }[] = [];
  const keys = new Map<string, { index: number; response?: string }>();
  const seen: SeenRequest[] = [];
  let open = 0;
  let accepted = 0;
  const server = http.createServer((req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    const url = new URL(req.url ?? '/', 'http://x');
    const keyHeader = req.headers['idempotency-key'];
    const record: SeenRequest = { method: req.method ?? '', url: req.url ?? '', port: req.socket.remotePort ?? 0 };
    if (typeof keyHeader === 'string') record.key = keyHeader;
    seen.push(record);
    if (req.method !== 'POST') {
      const items = orders.filter((o) => o.ref === url.searchParams.get('ref'));
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: items.length, items }));
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const ref = String((JSON.parse(body) as { ref: unknown }).ref);
      record.ref = ref;
      const key = record.key ?? '';
      let state = keys.get(key);
      if (!state) {
        state = { index: keys.size };
        keys.set(key, state);
      } else if (!opts.duplicateKeys?.includes(state.index)) {
        if (state.response === undefined) res.writeHead(409, { 'content-type': 'application/json' }).end('{"error":"in flight"}');
        else res.writeHead(201, { 'content-type': 'application/json' }).end(state.response);
        return;
      }
      const claimed = state;
      setTimeout(() => {
        const order = { id: `o${orders.length + 1}`, ref };
        orders.push(order);
        const text = JSON.stringify(order);
        claimed.response ??= text;
        res.writeHead(201, { 'content-type': 'application/json' }).end(text);
      }, latency);
    });
  });
  server.on('connection', (socket) => {
    open++;
    accepted++;
    socket.once('close', () => open--);
  });
  // Bursts of 1000 connections: a backlog that holds them.
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1', backlog: 2048 }, () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`,
    seen,
    open: () => open,
    accepted: () => accepted,
    close: () => close(server),
  };
}

// ---------------------------------------------------------------- TLS material

let key: Buffer;
let cert: Buffer;

before(() => {
  ({ key, cert } = selfSignedCert());
});

/** https in front of origin: HTTP/2 and HTTP/1.1 by ALPN, or HTTP/1.1 only. */
async function tlsFrontEnd(origin: string, h2: boolean): Promise<FrontEnd> {
  const handler = forwardTo(origin);
  const server = h2
    ? http2.createSecureServer({ key, cert, allowHTTP1: true }, handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void)
    : https.createServer({ key, cert }, handler as http.RequestListener);
  const sessions = new Set<http2.ServerHttp2Session>();
  if (h2) (server as http2.Http2SecureServer).on('session', (s) => {
    sessions.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sessions.delete(s));
  });
  const port = await listen(server);
  return {
    url: `https://127.0.0.1:${port}`,
    async close() {
      for (const s of sessions) s.destroy();
      await close(server);
    },
  };
}

// ---------------------------------------------------------------- the demo through every engine

const EXPECTED: Partial<Record<DemoMode, string | string[]>> = { race: ['duplicate-effect'], correct: 'pass' };

async function withDemo<T>(mode: DemoMode, fn: (demo: DemoServer) => Promise<T>): Promise<T> {
  const demo = await startDemo({ bug: mode, latencyMs: 100 });
  try {
    return await fn(demo);
  } finally {
    await demo.close();
  }
}

describe('the concurrent attack through each engine, against the demo API', () => {
  for (const mode of ['race', 'correct'] as const) {
    test(`h1 against ${mode}`, async () => {
      const r = await withDemo(mode, (demo) => runConcurrent(demo.url, '{ requests: 10, engine: h1 }'));
      assert.deepEqual(outcome(r), EXPECTED[mode], describeResult(r));
      assert.equal(r.metrics['engine'], 'h1');
      assert.equal(r.metrics['bursts'], 3);
      assert.equal(r.metrics['requests'], 10);
    });

    test(`naive against ${mode}`, async () => {
      const r = await withDemo(mode, (demo) => runConcurrent(demo.url, '{ requests: 10, engine: naive }'));
      assert.deepEqual(outcome(r), EXPECTED[mode], describeResult(r));
      assert.equal(r.metrics['engine'], 'naive');
      const skews = r.metrics['releaseSkewMsByBurst'] as number[];
      assert.equal(skews.length, 3);
      for (const s of skews) assert.ok(s >= 0 && s < 1000, `skew ${s}`);
    });

    test(`h2 (h2c, prior knowledge) against ${mode}, through an h2c front end`, async () => {
      const r = await withDemo(mode, async (demo) => {
        const front = await h2cFrontEnd(forwardTo(demo.url));
        try {
          return await runConcurrent(front.url, '{ requests: 10, engine: h2 }');
        } finally {
          await front.close();
        }
      });
      assert.deepEqual(outcome(r), EXPECTED[mode], describeResult(r));
      assert.equal(r.metrics['engine'], 'h2');
      assert.equal(r.metrics['connections'], 1, 'ten requests fit one connection');
      assert.equal(r.metrics['split'], undefined);
    });

    test(`auto over TLS picks h2 for an https server offering it, against ${mode}`, async () => {
      const r = await withDemo(mode, async (demo) => {
        const front = await tlsFrontEnd(demo.url, true);
        try {
          return await runConcurrent(front.url, '{ requests: 10 }', { insecure: true });
        } finally {
          await front.close();
        }
      });
      assert.deepEqual(outcome(r), EXPECTED[mode], describeResult(r));
      assert.equal(r.metrics['engine'], 'h2');
      assert.match(String((r.metrics['notes'] as string[])[0]), /^auto: h2 \(127\.0\.0\.1:\d+ offers HTTP\/2 by ALPN\)$/);
    });
  }

  test('auto picks h1 for an https server without h2, and finds the race', async () => {
    const r = await withDemo('race', async (demo) => {
      const front = await tlsFrontEnd(demo.url, false);
      try {
        return await runConcurrent(front.url, '{ requests: 10, engine: auto }', { insecure: true });
      } finally {
        await front.close();
      }
    });
    assert.deepEqual(outcome(r), ['duplicate-effect'], describeResult(r));
    assert.equal(r.metrics['engine'], 'h1');
    assert.match(String((r.metrics['notes'] as string[])[0]), /^auto: h1 \(127\.0\.0\.1:\d+ chose http\/1\.1 by ALPN\)$/);
  });

  test('auto picks h1 for a plain http target', async () => {
    const r = await withDemo('race', (demo) => runConcurrent(demo.url, '{ requests: 10 }'));
    assert.deepEqual(outcome(r), ['duplicate-effect'], describeResult(r));
    assert.equal(r.metrics['engine'], 'h1');
  });

  test('--engine and --requests (PlanOptions) win over the scenario', async () => {
    const r = await withDemo('correct', (demo) =>
      runConcurrent(demo.url, '{ requests: 10, engine: h2, bursts: 1 }', { plan: { engine: 'naive', requests: 4 } }),
    );
    assert.equal(r.verdict, 'pass', describeResult(r));
    assert.equal(r.metrics['engine'], 'naive');
    assert.equal(r.metrics['requests'], 4);
    assert.equal(r.metrics['bursts'], 1);
    assert.deepEqual(Object.values(r.metrics['statuses'] as Record<string, number>).reduce((a, b) => a + b, 0), 4);
  });
});

// ---------------------------------------------------------------- resolveEngine

describe('resolveEngine', () => {
  const transport: TransportOptions = { timeoutMs: 5_000 };

  async function resolved(name: Parameters<typeof resolveEngine>[0], url: string): Promise<BurstEngine> {
    const engine = await resolveEngine(name, url, transport);
    await engine.close();
    return engine;
  }

  test('named engines are used as named, whatever the scheme', async () => {
    assert.equal((await resolved('h1', 'https://127.0.0.1:1/x')).name, 'h1');
    assert.equal((await resolved('h2', 'http://127.0.0.1:1/x')).name, 'h2');
    assert.equal((await resolved('naive', 'http://127.0.0.1:1/x')).name, 'naive');
    assert.equal((await resolved('h2', 'http://127.0.0.1:1/x')).note, undefined);
  });

  test('auto: h1 for http without touching the network', async () => {
    const engine = await resolved('auto', 'http://127.0.0.1:1/orders');
    assert.equal(engine.name, 'h1');
    assert.match(engine.note ?? '', /plain http/);
  });

  test('auto: h2 for https offering h2 (the probe closes its connection), h1 without', async () => {
    const h2 = http2.createSecureServer({ key, cert, allowHTTP1: true });
    let open = 0;
    h2.on('secureConnection', (s: net.Socket) => {
      open++;
      s.once('close', () => open--);
    });
    const h1 = https.createServer({ key, cert });
    try {
      const p2 = await listen(h2);
      const p1 = await listen(h1);
      const a = await resolved('auto', `https://127.0.0.1:${p2}/orders`);
      assert.equal(a.name, 'h2');
      await waitFor(() => open === 0, 5_000, () => `the probe's connection to close (${open} open)`);
      const b = await resolved('auto', `https://127.0.0.1:${p1}/orders`);
      assert.equal(b.name, 'h1');
      assert.match(b.note ?? '', /chose http\/1\.1/);
      assert.deepEqual(await probeAlpn(new URL(`https://127.0.0.1:${p2}`), 5_000), { where: `127.0.0.1:${p2}`, protocol: 'h2' });
    } finally {
      await close(h2);
      await close(h1);
    }
  });

  test('auto: a failing probe falls back to h1 with the reason (the burst reports the failure)', async () => {
    const server = net.createServer();
    const port = await listen(server);
    await close(server);
    const engine = await resolved('auto', `https://127.0.0.1:${port}/orders`);
    assert.equal(engine.name, 'h1');
    assert.match(engine.note ?? '', /ALPN probe failed: ECONNREFUSED/);
  });

  test('auto: a server that never answers the handshake is bounded by the timeout', async () => {
    const sockets: net.Socket[] = [];
    const server = net.createServer((s) => sockets.push(s));
    const port = await listen(server);
    try {
      const t0 = Date.now();
      const engine = await resolveEngine('auto', `https://127.0.0.1:${port}/`, { timeoutMs: 300 });
      assert.equal(engine.name, 'h1');
      assert.match(engine.note ?? '', /no TLS handshake within 300 ms/);
      assert.ok(Date.now() - t0 < 5_000);
    } finally {
      for (const s of sockets) s.destroy();
      await close(server);
    }
  });
});

// ---------------------------------------------------------------- bursts, warming, 1000 requests

describe('bursts', () => {
  test('duplicates on chosen bursts read as a rate: "2 of 3 bursts created duplicates"', async () => {
    const server = await ordersServer({ duplicateKeys: [0, 2] });
    try {
      const r = await runConcurrent(server.url, '{ requests: 5, engine: h1, bursts: 3 }');
      assert.deepEqual(outcome(r), ['duplicate-effect', 'wrong-replay'], describeResult(r));
      const dup = r.findings.find((f) => f.kind === 'duplicate-effect')!;
      assert.equal(dup.message, '2 of 3 bursts created duplicates (5, 1, 5 side effects for one key each)');
      assert.equal(dup.evidence.oracle?.note, 'burst 1: 0 → 5; burst 3: 0 → 5');
      // Evidence from both bad bursts.
      assert.ok(dup.evidence.exchanges.some((e) => e.label === 'duplicate 1/5 (burst 1/3)'));
      assert.ok(dup.evidence.exchanges.some((e) => e.label === 'duplicate 1/5 (burst 3/3)'));
      assert.ok(!dup.evidence.exchanges.some((e) => e.label.endsWith('(burst 2/3)')));
      const replay = r.findings.find((f) => f.kind === 'wrong-replay')!;
      assert.equal(replay.message, 'in bursts 1 and 3 of 3: 4 of 5 success responses differ from the first');
      assert.equal(r.metrics['duplicateBursts'], 2);
      assert.deepEqual(r.metrics['effectsByBurst'], [5, 1, 5]);
      assert.equal(r.metrics['effects'], 5);
      const bodies = r.metrics['bodies'] as { distinct: number; distinctByBurst: number[]; top: { responses: number; text: string }[] };
      assert.deepEqual(bodies.distinctByBurst, [5, 1, 5]);
      assert.equal(bodies.distinct, 11);
      assert.equal(bodies.top[0]!.responses, 1 + (r.metrics['statuses'] as Record<string, number>)['201']! - 11);
      assert.equal((r.metrics['timelines'] as unknown[]).length, 3);
      assert.equal((r.metrics['timeline'] as unknown[]).length, 5);
    } finally {
      await server.close();
    }
  });

  test('each burst has its own key and run.id', async () => {
    const server = await ordersServer();
    try {
      const r = await runConcurrent(server.url, '{ requests: 4, engine: h1, bursts: 3 }');
      assert.equal(r.verdict, 'pass', describeResult(r));
      const posts = server.seen.filter((s) => s.method === 'POST');
      assert.equal(posts.length, 12);
      assert.equal(new Set(posts.map((p) => p.key)).size, 3);
      assert.equal(new Set(posts.map((p) => p.ref)).size, 3);
      assert.deepEqual(r.metrics['effectsByBurst'], [1, 1, 1]);
      assert.deepEqual((r.metrics['bodies'] as { distinctByBurst: number[] }).distinctByBurst, [1, 1, 1]);
    } finally {
      await server.close();
    }
  });

  test('warming sends the oracle request before each burst (h1: through a plain client)', async () => {
    const server = await ordersServer();
    try {
      const r = await runConcurrent(server.url, '{ requests: 4, engine: h1, bursts: 2, warm: 2 }');
      assert.equal(r.verdict, 'pass', describeResult(r));
      assert.equal(r.metrics['warm'], 2);
      assert.equal(r.metrics['requestsSent'], 2 * (2 + 4));
      const posts = server.seen.filter((s) => s.method === 'POST');
      const refs = [...new Set(posts.map((p) => p.ref))];
      assert.equal(refs.length, 2);
      for (const ref of refs) {
        const firstPost = server.seen.findIndex((s) => s.method === 'POST' && s.ref === ref);
        const key = server.seen[firstPost]!.key;
        // Headers of every duplicate arrive before any body: find the first request with the key.
        const firstOfKey = server.seen.findIndex((s) => s.key === key);
        const getsBefore = server.seen.slice(0, firstOfKey).filter((s) => s.method === 'GET' && s.url.includes(ref!)).length;
        assert.equal(getsBefore, 3, `the oracle read and 2 warming requests precede burst ${ref}`);
      }
    } finally {
      await server.close();
    }
  });

  test('naive warms over its own pool: a duplicate reuses the warmed connection', async () => {
    const server = await ordersServer();
    try {
      const r = await runConcurrent(server.url, '{ requests: 4, engine: naive, bursts: 1, warm: 1 }');
      assert.equal(r.verdict, 'pass', describeResult(r));
      const firstPost = server.seen.findIndex((s) => s.method === 'POST');
      const warm = server.seen[firstPost - 1]!;
      assert.equal(warm.method, 'GET');
      const ports = server.seen.filter((s) => s.method === 'POST').map((s) => s.port);
      assert.ok(ports.includes(warm.port), `warm port ${warm.port}, burst ports ${ports.join(', ')}`);
    } finally {
      await server.close();
    }
  });

  test('warming without an HTTP oracle is skipped with a note', async () => {
    const server = await ordersServer();
    try {
      const r = await runConcurrent(server.url, '{ requests: 3, engine: h1, bursts: 1, warm: 3 }', {
        // A command oracle must filter by the run (or the scenario is refused); this one only prints 0.
        effects: 'effects:\n  command: "test -n {{ run.id }} && echo 0"\n  settle: 0ms\n',
      });
      assert.deepEqual(r.metrics['notes'], ['warming skipped: it sends the oracle request, and this scenario has no HTTP oracle']);
      assert.equal(r.metrics['warm'], undefined);
      assert.equal(server.seen.filter((s) => s.method === 'GET').length, 0);
    } finally {
      await server.close();
    }
  });

  test('1000 requests in one h1 burst complete, and every socket is closed afterwards', async (t) => {
    const server = await ordersServer({ latencyMs: 100 });
    try {
      const r = await runConcurrent(server.url, '{ requests: 1000, engine: h1, bursts: 1 }', { timeoutMs: 60_000 });
      assert.equal(r.verdict, 'pass', describeResult(r));
      const statuses = r.metrics['statuses'] as Record<string, number>;
      assert.equal((statuses['201'] ?? 0) + (statuses['409'] ?? 0), 1000, JSON.stringify(statuses));
      assert.equal(r.metrics['effects'], 1);
      assert.ok(server.accepted() >= 1000);
      await waitFor(() => server.open() === 0, 10_000, () => `every connection to close (${server.open()} still open)`);
      t.diagnostic(`1000 over h1: release skew ${String(r.metrics['releaseSkewMs'])} ms, response spread ${String(r.metrics['responseSpreadMs'])} ms, ${r.durationMs} ms in all`);
    } finally {
      await server.close();
    }
  });

  test('a server that hangs up on duplicates: a finding in every burst, not "could not test"', async () => {
    const busy = new Set<string>();
    const server = http.createServer((req, res) => {
      if (req.method === 'GET') return void res.setHeader('content-type', 'application/json').end('{"count":0}');
      req.resume();
      req.on('end', () => {
        const k = String(req.headers['idempotency-key']);
        if (busy.has(k)) return void req.socket.destroy();
        busy.add(k);
        setTimeout(() => res.writeHead(201).end('{}'), 100);
      });
    });
    const port = await listen(server);
    try {
      const r = await runConcurrent(`http://127.0.0.1:${port}`, '{ requests: 4, engine: h1, bursts: 2 }');
      assert.deepEqual(outcome(r), ['lost-effect', 'server-error'], describeResult(r));
      assert.equal(r.findings.find((f) => f.kind === 'server-error')!.message.split(':')[0], 'in all 2 bursts');
      assert.deepEqual(r.metrics['statuses'], { '201': 2, 'no response': 6 });
    } finally {
      await close(server);
    }
  });
});

// ---------------------------------------------------------------- judge, plan, scenario

const ORDER = { id: 'o-1', amount: 10 };

function scenarioFor(): Scenario {
  return orderScenario({
    name: 's',
    file: 's.yaml',
    pos: { file: 's.yaml', line: 1, col: 1 },
    request: { method: 'POST', path: '/orders', headers: {}, json: {} },
    effects: { count: { kind: 'command', command: 'true' }, id: '$.id', settleMs: 0, timeoutMs: 10_000 },
  });
}

function handBurst(statuses: number[], effects: number, body: unknown = ORDER): BurstObservation {
  const run: Run = {
    ctx: { scope: SCOPE, run: { runId: 'r', key: 'k' } },
    sent: 0,
    request: { method: 'POST', url: 'http://api.test/orders', headers: {} },
    before: { count: 0, at: 0 },
    after: { count: effects, at: 1 },
  };
  const exchanges: Exchange[] = statuses.map((status, i) => ({
    label: `duplicate ${i + 1}/${statuses.length}`,
    request: run.request,
    response: { status, headers: {}, body: Buffer.from(JSON.stringify(status < 300 ? body : { error: 'busy' })) },
    startedAt: 1000 + i,
    sentAt: 1000 + i,
    endedAt: 1100 + i,
  }));
  return { run, exchanges, releaseSkewMs: 0.5 };
}

describe('judge: several bursts', () => {
  test('the duplicate rate, identical answers noted; the metrics', () => {
    const obs: ConcurrentObservation = {
      attack: 'concurrent',
      engine: 'h2',
      requests: 3,
      bursts: [
        { ...handBurst([201, 201, 201], 5), connections: 1, split: 'x' },
        handBurst([201, 409, 409], 1),
        handBurst([201, 201, 201], 3),
      ],
    };
    const j = concurrent.judge(obs, { scenario: scenarioFor(), baseUrl: 'http://api.test' });
    assert.deepEqual(j.findings.map((f) => f.kind), ['duplicate-effect']);
    assert.equal(
      j.findings[0]!.message,
      '2 of 3 bursts created duplicates (5, 1, 3 side effects for one key each), though within each burst all success responses were identical',
    );
    assert.equal(j.metrics['duplicateBursts'], 2);
    assert.equal(j.metrics['engine'], 'h2');
    assert.equal(j.metrics['bursts'], 3);
    assert.equal(j.metrics['connections'], 1);
    assert.equal(j.metrics['split'], 'x');
    assert.deepEqual(j.metrics['statuses'], { '201': 7, '409': 2 });
    assert.deepEqual(j.metrics['releaseSkewMsByBurst'], [0.5, 0.5, 0.5]);
    assert.equal(j.metrics['releaseSkewMs'], 0.5);
    assert.deepEqual(j.metrics['responseSpreadMsByBurst'], [2, 2, 2]);
    // The same body in every burst (hand-built): one distinct body for all seven successes.
    assert.deepEqual(j.metrics['bodies'], { distinct: 1, distinctByBurst: [1, 1, 1], top: [{ responses: 7, text: JSON.stringify(ORDER) }] });
  });

  test('one burst keeps the single-burst messages', () => {
    const obs: ConcurrentObservation = { attack: 'concurrent', engine: 'h1', bursts: [handBurst([201, 201], 2)] };
    const j = concurrent.judge(obs, { scenario: scenarioFor(), baseUrl: 'http://api.test' });
    assert.equal(j.findings[0]!.message, '2 concurrent duplicates made 2 side effects (expected 1), though all 2 success responses were identical');
    assert.equal(j.metrics['requests'], 2);
  });

  test('a clean set of bursts passes', () => {
    const obs: ConcurrentObservation = { attack: 'concurrent', engine: 'h1', bursts: [handBurst([201, 409], 1), handBurst([409, 201], 1)] };
    const j = concurrent.judge(obs, { scenario: scenarioFor(), baseUrl: 'http://api.test' });
    assert.deepEqual(j.findings, []);
    assert.equal(j.metrics['duplicateBursts'], 0);
    assert.deepEqual(j.metrics['effectsByBurst'], [1, 1]);
  });

  test('other rules say which bursts broke them', () => {
    const obs: ConcurrentObservation = {
      attack: 'concurrent',
      engine: 'h1',
      bursts: [handBurst([201, 500], 1), handBurst([201, 409], 1), handBurst([201, 500], 1)],
    };
    const j = concurrent.judge(obs, { scenario: scenarioFor(), baseUrl: 'http://api.test' });
    assert.deepEqual(j.findings.map((f) => f.kind), ['server-error']);
    assert.equal(j.findings[0]!.message, 'in bursts 1 and 3 of 3: 1 of 2 duplicates were answered 500');
  });
});

describe('plan and scenario: engine, bursts, warm', () => {
  test('the scenario config, defaults filled in; the flags win', async () => {
    const file = await writeScenario(ordersScenario({ attacks: '  concurrent: { engine: h2, bursts: 5, warm: 2 }' }));
    const { scenarios } = await loadScenarios([file], { scope: SCOPE, targetOverride: 'http://api.test' });
    const s = scenarios[0]!;
    assert.deepEqual(s.attacks?.concurrent, { requests: 20, engine: 'h2', bursts: 5, warm: 2 });
    assert.deepEqual(planScenario(s).attacks[0]!.config, { requests: 20, engine: 'h2', bursts: 5, warm: 2 });
    assert.deepEqual(planScenario(s, { engine: 'naive', requests: 7 }).attacks[0]!.config, { requests: 7, engine: 'naive', bursts: 5, warm: 2 });
    assert.deepEqual(planScenario(s, { only: ['replay'], engine: 'h1' }).attacks.map((a) => a.id), ['replay']);
    assert.throws(() => planScenario(s, { requests: 0 }), PlanError);
    assert.throws(() => planScenario(s, { requests: 1001 }), /--requests must be a whole number from 1 to 1000/);
    assert.throws(() => planScenario(s, { engine: 'h3' as never }), /--engine must be one of auto, h1, h2, naive/);
  });

  test('out-of-range bursts and warm, and an unknown engine, are scenario errors', async () => {
    for (const [config, pattern] of [
      ['{ bursts: 0 }', /'attacks\.concurrent\.bursts' must be at least 1/],
      ['{ bursts: 101 }', /'attacks\.concurrent\.bursts' must be at most 100/],
      ['{ warm: 21 }', /'attacks\.concurrent\.warm' must be at most 20/],
      ['{ engine: h3 }', /attacks\.concurrent\.engine/],
    ] as const) {
      const file = await writeScenario(ordersScenario({ attacks: `  concurrent: ${config}` }));
      await assert.rejects(loadScenarios([file], { scope: SCOPE, targetOverride: 'http://api.test' }), (err: unknown) => {
        assert.ok(err instanceof ScenarioError);
        assert.match(err.messages.map((m) => m.message).join('\n'), pattern);
        return true;
      });
    }
  });

  test('the dry run counts every burst and its warming', async () => {
    const file = await writeScenario(ordersScenario({ attacks: '  concurrent: { requests: 10, bursts: 3, warm: 2, engine: naive }' }));
    const { scenarios } = await loadScenarios([file], { scope: SCOPE, targetOverride: 'http://api.test' });
    const planned = plannedRequests(planScenario(scenarios[0]!), SCOPE);
    const c = planned[0]!;
    assert.equal(c.requests.length, 3);
    assert.deepEqual(c.requests.map((r) => r.times), [10, 10, 10]);
    assert.equal(c.requests[1]!.label, 'burst 2/3: 10 duplicates, released together (engine naive), after 2 warming requests (the oracle request)');
    assert.equal(new Set(c.requests.map((r) => r.request.headers['Idempotency-Key'])).size, 3);
    assert.deepEqual(c.effects, { correct: 3, atMost: 30 });
    // What the budget counts is checked against the wire for every attack in test/attacks/preview.test.ts.
  });
});
