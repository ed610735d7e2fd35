// The bench's child process, forked by bench/proc.ts with a role:
//
//   spread  timestamping servers: HTTP/1.1 (node:http), h2c and h2 over TLS
//           (node:http2). Each records process.hrtime.bigint() when the last
//           byte of a request body arrives (first thing in the 'data' handler;
//           the 'end' handler files it). It answers a tiny 201 only once the
//           whole burst is in (n= in the query) or HOLD_MS after its first
//           request, so answering never delays the read, and the timestamp, of
//           a later request of the same burst. The timestamps of a burst go to
//           the parent over IPC when asked.
//   demo    the demo API (startDemo, bug 'race') plus an h2c front that calls
//           the very same request handler, so h1 and h2 bursts hit one store.
//   busy    a busy loop that keeps one core occupied (yields every 50 ms so it
//           notices the parent going away; bounded by maxMs).
//   server  a correct API for the false-alarm soak: the demo (correct mode) or
//           the express-idempotency orders API of test/fixtures.
//   h1-client  not a server: a fresh process that sends a few last-byte bursts
//           to the spread target and reports them (bench/burst-index.ts).
//   mem-client  not a server: a fresh process that imports both engines, sends
//           one burst (or none: the baseline) to the spread target and
//           reports its peak RSS (bench/memory.ts).
//
// Every child exits when the IPC channel closes and after MAX_LIFETIME_MS.
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import { syncBuiltinESMExports } from 'node:module';
import type { AddressInfo } from 'node:net';

const MAX_LIFETIME_MS = 15 * 60_000;
/** The spread target answers a burst once all its requests are in, or this long after the first. */
const HOLD_MS = 1000;

interface Request {
  id: number;
  op: string;
  [field: string]: unknown;
}

function send(message: Record<string, unknown>): void {
  if (process.connected) process.send?.(message);
}

function listen(server: http.Server | http2.Http2Server | http2.Http2SecureServer): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/**
 * The answer's body: a tiny `ok`, or with size= in the query an order as JSON
 * (what an orders API answers a create with), padded to that many bytes when
 * size is larger than the order itself. Cached per size.
 */
const replies = new Map<number, { type: string; body: Buffer }>();
function replyOf(path: string): { type: string; body: Buffer } {
  const match = /[?&]size=(\d+)/.exec(path);
  if (!match) return { type: 'text/plain', body: Buffer.from('ok') };
  const size = Math.min(Number(match[1]), 16 * 1024 * 1024);
  let reply = replies.get(size);
  if (!reply) {
    const order = {
      id: 'ord_5f3c2a9e7b1d4c08',
      status: 'created',
      sku: 'widget-1',
      qty: 2,
      amount: { value: 1998, currency: 'EUR' },
      createdAt: '2026-01-01T12:00:00.000Z',
    };
    const plain = JSON.stringify(order);
    const pad = size - plain.length - ',"note":""'.length;
    const body = Buffer.from(pad > 0 ? JSON.stringify({ ...order, note: 'x'.repeat(pad) }) : plain);
    reply = { type: 'application/json', body };
    replies.set(size, reply);
  }
  return reply;
}

/** The burst a request belongs to: the b= query parameter of its path. */
function burstOf(path: string): string {
  const match = /[?&]b=([^&]*)/.exec(path);
  return match ? decodeURIComponent(match[1]!) : '-';
}

// ---------------------------------------------------------------- spread

async function spreadRole(config: { certPath: string; keyPath: string }): Promise<void> {
  interface Burst {
    times: bigint[];
    /** Answers held until the whole burst has arrived. */
    answers: Array<() => void>;
    expected: number;
    flushed: boolean;
    timer?: NodeJS.Timeout;
  }
  const bursts = new Map<string, Burst>();
  const flush = (burst: Burst): void => {
    clearTimeout(burst.timer);
    burst.flushed = true;
    const answers = burst.answers;
    burst.answers = [];
    setImmediate(() => {
      for (const answer of answers) answer();
    });
  };
  /** Files one arrival; the answers go out once all `n` of the burst are in, or HOLD_MS after its first. */
  const arrived = (path: string, at: bigint, answer: () => void): void => {
    const id = burstOf(path);
    let burst = bursts.get(id);
    if (!burst) {
      if (bursts.size >= 2000) bursts.clear(); // bursts nobody collected
      const n = Number(/[?&]n=(\d+)/.exec(path)?.[1] ?? '1');
      burst = { times: [], answers: [], expected: n, flushed: false };
      bursts.set(id, burst);
    }
    burst.times.push(at);
    burst.answers.push(answer);
    if (burst.flushed || burst.times.length >= burst.expected) flush(burst);
    else if (!burst.timer) {
      const b = burst;
      b.timer = setTimeout(() => flush(b), HOLD_MS);
    }
  };

  const h1 = http.createServer((req, res) => {
    let last: bigint | undefined;
    req.on('data', () => {
      last = process.hrtime.bigint();
    });
    req.on('end', () => {
      const at = last ?? process.hrtime.bigint();
      arrived(req.url ?? '', at, () => {
        const { type, body } = replyOf(req.url ?? '');
        res.writeHead(201, { 'content-type': type, 'content-length': String(body.length) });
        res.end(body);
      });
    });
    req.on('error', () => {});
    res.on('error', () => {});
  });
  h1.keepAliveTimeout = 60_000;

  const onStream = (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void => {
    let last: bigint | undefined;
    stream.on('data', () => {
      last = process.hrtime.bigint();
    });
    stream.on('end', () => {
      const at = last ?? process.hrtime.bigint();
      arrived(String(headers[':path'] ?? ''), at, () => {
        if (stream.closed || stream.destroyed) return;
        const { type, body } = replyOf(String(headers[':path'] ?? ''));
        stream.respond({ ':status': 201, 'content-type': type, 'content-length': String(body.length) });
        stream.end(body);
      });
    });
    stream.on('error', () => {});
  };
  const h2c = http2.createServer();
  h2c.on('stream', onStream);
  h2c.on('sessionError', () => {});
  // Without a certificate (the burst-index part needs none), no TLS server.
  const h2tls = config.certPath
    ? http2.createSecureServer({
        key: fs.readFileSync(config.keyPath),
        cert: fs.readFileSync(config.certPath),
      })
    : undefined;
  h2tls?.on('stream', onStream);
  h2tls?.on('sessionError', () => {});
  h2tls?.on('tlsClientError', () => {});

  const [h1Port, h2cPort, tlsPort] = await Promise.all([listen(h1), listen(h2c), h2tls ? listen(h2tls) : Promise.resolve(0)]);

  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    if (msg.op === 'collect') {
      const id = String(msg.burst);
      const burst = bursts.get(id);
      bursts.delete(id);
      if (burst) clearTimeout(burst.timer);
      send({ id: msg.id, ok: true, times: (burst?.times ?? []).map((t) => t.toString()) });
    } else {
      send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
    }
  });
  send({
    type: 'ready',
    h1: `http://127.0.0.1:${h1Port}`,
    h2c: `http://127.0.0.1:${h2cPort}`,
    h2tls: `https://127.0.0.1:${tlsPort}`,
  });
}

// ---------------------------------------------------------------- demo

async function demoRole(config: { raceTurns: number; latencyMs: number }): Promise<void> {
  // Capture the demo's node:http server and its request handler as startDemo
  // creates them, so the h2c front can serve the same handler (same closure,
  // same key store, same orders). The demo imports createServer from
  // node:http; syncBuiltinESMExports makes the patched function visible to it.
  let captured: { server: http.Server; listener: http.RequestListener } | undefined;
  const original = http.createServer;
  const patched = ((...args: unknown[]) => {
    const server = (original as (...a: unknown[]) => http.Server).apply(http, args);
    const listener = args.find((a): a is http.RequestListener => typeof a === 'function');
    if (listener) captured = { server, listener };
    return server;
  }) as typeof http.createServer;
  http.createServer = patched;
  syncBuiltinESMExports();
  let demo: { url: string; close(): Promise<void> };
  try {
    const { startDemo } = await import('../src/demo/server.js');
    demo = await startDemo({ bug: 'race', raceTurns: config.raceTurns, latencyMs: config.latencyMs });
  } finally {
    http.createServer = original;
    syncBuiltinESMExports();
  }
  if (!captured) throw new Error('could not capture the demo request handler (startDemo no longer calls node:http createServer)');
  // Keep the warm pools of the naive client warm between bursts.
  captured.server.keepAliveTimeout = 60_000;

  const front = http2.createServer(captured.listener as unknown as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  front.on('sessionError', () => {});
  const frontPort = await listen(front);

  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
  });
  process.once('SIGTERM', () => {
    front.close();
    void demo.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
  send({ type: 'ready', url: demo.url, h2c: `http://127.0.0.1:${frontPort}`, raceTurns: config.raceTurns });
}

// ---------------------------------------------------------------- server

/**
 * A correct server for the false-alarm soak (bench/soak.ts), in a process of
 * its own like a real API: the demo in its correct mode (one instance or
 * several sharing one store), or the express-idempotency orders API of
 * test/fixtures/express-orders.ts, which idemchaos was not written against.
 */
async function serverRole(config: { kind: 'demo' | 'express'; instances?: number; latencyMs?: number; ttlMs?: number }): Promise<void> {
  let server: { urls: string[]; close(): Promise<void> };
  if (config.kind === 'demo') {
    const { startDemo } = await import('../src/demo/server.js');
    const demo = await startDemo({
      bug: 'correct',
      instances: config.instances ?? 1,
      ...(config.latencyMs !== undefined ? { latencyMs: config.latencyMs } : {}),
      ...(config.ttlMs !== undefined ? { ttlMs: config.ttlMs } : {}),
    });
    server = demo;
  } else if (config.kind === 'express') {
    const { startExpressOrders } = await import('../test/fixtures/express-orders.js');
    const express = await startExpressOrders(config.latencyMs !== undefined ? { latencyMs: config.latencyMs } : {});
    server = { urls: [express.url], close: () => express.close() };
  } else {
    throw new Error(`unknown server kind ${String(config.kind)}`);
  }
  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
  });
  process.once('SIGTERM', () => {
    void server.close().finally(() => process.exit(0));
    setTimeout(() => process.exit(0), 500).unref();
  });
  send({ type: 'ready', urls: server.urls });
}

// ---------------------------------------------------------------- h1-client

/** The CPU a process's main thread last ran on (field 39 of /proc/<pid>/stat); undefined off Linux or when it is gone. */
function lastCpu(pid: string): number | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name, field 2, may hold spaces: count from after its closing parenthesis.
    const cpu = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[36]);
    return Number.isInteger(cpu) ? cpu : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A fresh process that sends `bursts` last-byte bursts of N to the spread
 * target, `gapMs` apart, and reports each one's release skew (the arrival
 * times are the target's): the first burst runs the release loop as cold code,
 * as the first burst of an idemchaos run does. Before it run only the plain
 * requests asked for, and, in the separate-CPUs kind, the taskset that pins it.
 */
async function h1ClientRole(config: {
  url: string;
  n: number;
  bursts: number;
  gapMs: number;
  rehearsals: number;
  /** Plain requests (undici, as the replay attack sends) before the first burst, one after the other. */
  before?: number;
  /** Pin every thread of this process to this CPU (taskset) before anything else; the parent pins the target. */
  pinCpu?: number;
  /** The target's pid: with it, each burst notes whether this process and the target's main thread were on one CPU at its release. */
  targetPid?: number;
  tag: string;
}): Promise<void> {
  if (config.pinCpu !== undefined) {
    const { execFileSync } = await import('node:child_process');
    execFileSync('taskset', ['-a', '-p', '-c', String(config.pinCpu), String(process.pid)], { stdio: 'ignore', timeout: 5_000 });
  }
  const { lastByteBurst } = await import('../src/engine/h1/index.js');
  const { randomUUID } = await import('node:crypto');
  const body = Buffer.from(JSON.stringify({ sku: 'widget-1', qty: 2, ref: config.tag }));
  if (config.before) {
    // What precedes the concurrent attack in a run: the replay attack's exchanges over undici,
    // which share node:net's write path with the burst.
    const { HttpClient } = await import('../src/engine/http/client.js');
    const client = new HttpClient({ timeoutMs: 10_000 });
    for (let i = 0; i < config.before; i++) {
      const url = `${config.url}/orders?b=${encodeURIComponent(`${config.tag}-pre-${i}`)}&n=1`;
      await client.send({ method: 'POST', url, headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID() }, body }, `pre ${i}`);
    }
    await client.close();
  }
  const results: { burst: string; releaseSkewMs: number; released: number; ok: number; error?: string; sameCpu?: boolean }[] = [];
  let sameCpu: boolean | undefined;
  const onOneCpu = (): void => {
    const here = lastCpu('self');
    const there = config.targetPid === undefined ? undefined : lastCpu(String(config.targetPid));
    sameCpu = here === undefined || there === undefined ? undefined : here === there;
  };
  for (let i = 0; i < config.bursts; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, config.gapMs));
    const burst = `${config.tag}-${i}`;
    const key = randomUUID();
    const reqs = Array.from({ length: config.n }, (_, j) => ({
      method: 'POST',
      url: `${config.url}/orders?b=${encodeURIComponent(burst)}&n=${config.n}&i=${j}`,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
    }));
    const r = await lastByteBurst(reqs, {
      timeoutMs: 10_000,
      rehearsals: config.rehearsals,
      beforeRelease: onOneCpu,
    });
    const error = r.exchanges.find((e) => e.error)?.error;
    results.push({
      burst,
      releaseSkewMs: r.releaseSkewMs,
      released: r.released,
      ok: r.exchanges.filter((e) => e.response?.status === 201).length,
      ...(error ? { error } : {}),
      ...(sameCpu === undefined ? {} : { sameCpu }),
    });
  }
  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
  });
  send({ type: 'ready', results });
}

// ---------------------------------------------------------------- mem-client

export interface MemClientReport {
  /** process.resourceUsage().maxRSS after the imports, KiB. */
  importedKiB: number;
  /** The same after the burst (the process's peak so far), KiB. */
  maxRssKiB: number;
  /** Responses with status 201, and the response body bytes they carried. */
  ok: number;
  bodyBytes: number;
  durationMs: number;
  error?: string;
}

/**
 * A fresh process that imports both engines and sends one burst of N to the
 * spread target (`engine` 'h1': lastByteBurst, 'h2': singlePacketBurst over
 * h2c; 'none': nothing, the baseline), each response carrying `size` bytes of
 * JSON, then reports its peak RSS (a high-water mark: the burst's peak, whatever was
 * collected since).
 */
async function memClientRole(config: {
  engine: 'none' | 'h1' | 'h2';
  /** The spread target's h1 and h2c origins. */
  url: string;
  h2c: string;
  n: number;
  size: number;
  tag: string;
  timeoutMs: number;
}): Promise<void> {
  const { lastByteBurst } = await import('../src/engine/h1/index.js');
  const { singlePacketBurst } = await import('../src/engine/h2/index.js');
  const { randomUUID } = await import('node:crypto');
  const importedKiB = process.resourceUsage().maxRSS;
  const report: MemClientReport = { importedKiB, maxRssKiB: importedKiB, ok: 0, bodyBytes: 0, durationMs: 0 };
  if (config.engine !== 'none') {
    const body = Buffer.from(JSON.stringify({ sku: 'widget-1', qty: 2, ref: config.tag }));
    const key = randomUUID();
    const reqs = Array.from({ length: config.n }, (_, j) => ({
      method: 'POST',
      url: `${config.engine === 'h2' ? config.h2c : config.url}/orders?b=${encodeURIComponent(config.tag)}&n=${config.n}&size=${config.size}&i=${j}`,
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body,
    }));
    const t0 = performance.now();
    const opts = { timeoutMs: config.timeoutMs };
    const r = config.engine === 'h1' ? await lastByteBurst(reqs, opts) : await singlePacketBurst(reqs, opts);
    report.durationMs = performance.now() - t0;
    report.ok = r.exchanges.filter((e) => e.response?.status === 201).length;
    report.bodyBytes = r.exchanges.reduce((sum, e) => sum + (e.response?.body.length ?? 0), 0);
    const error = r.exchanges.find((e) => e.error)?.error;
    if (error) report.error = error;
  }
  report.maxRssKiB = process.resourceUsage().maxRSS;
  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    send({ id: msg.id, ok: false, error: `unknown op ${msg.op}` });
  });
  send({ type: 'ready', ...report });
}

// ---------------------------------------------------------------- busy

function busyRole(config: { maxMs: number }): void {
  const deadline = Date.now() + Math.min(Math.max(0, config.maxMs), MAX_LIFETIME_MS);
  let spins = 0;
  const spin = (): void => {
    const until = Math.min(Date.now() + 50, deadline);
    while (Date.now() < until) spins++;
    if (Date.now() >= deadline) process.exit(0);
    setImmediate(spin);
  };
  process.on('message', (raw: unknown) => {
    const msg = raw as Request;
    send({ id: msg.id, ok: true, spins });
  });
  send({ type: 'ready' });
  spin();
}

// ---------------------------------------------------------------- main

async function main(): Promise<void> {
  setTimeout(() => process.exit(3), MAX_LIFETIME_MS).unref();
  process.on('disconnect', () => process.exit(0));
  const role = process.argv[2];
  const config = JSON.parse(process.argv[3] ?? '{}') as Record<string, unknown>;
  if (role === 'spread') await spreadRole(config as { certPath: string; keyPath: string });
  else if (role === 'demo') await demoRole(config as { raceTurns: number; latencyMs: number });
  else if (role === 'busy') busyRole(config as { maxMs: number });
  else if (role === 'server') await serverRole(config as { kind: 'demo' | 'express' });
  else if (role === 'h1-client') await h1ClientRole(config as Parameters<typeof h1ClientRole>[0]);
  else if (role === 'mem-client') await memClientRole(config as Parameters<typeof memClientRole>[0]);
  else throw new Error(`unknown role ${String(role)}`);
}

main().catch((err: unknown) => {
  send({ type: 'fatal', error: err instanceof Error ? err.message : String(err) });
  setTimeout(() => process.exit(1), 100);
});
