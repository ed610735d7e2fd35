// Arrival spread: how close together N duplicates reach the server. The
// timestamping target runs in its own process (bench/target.ts, role
// 'spread'); a burst's spread is max - min of the server-side last-byte
// arrival times of its requests. Engines run round-robin (the order rotated
// every round) so the noise of the box falls on all of them alike.
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Pool } from 'undici';
import { lastByteBurst } from '../src/engine/h1/index.js';
import { singlePacketBurst } from '../src/engine/h2/index.js';
import type { HttpRequest } from '../src/model/http.js';
import {
  TIMEOUT_MS,
  burstPosts,
  curlBurst,
  curlVersion,
  freshFetchBurst,
  globalFetchBurst,
  naiveBurst,
  warmPool,
  warmUp,
  type ClientBurst,
  type Post,
} from './clients.js';
import { startChild, type Child } from './proc.js';

export type SpreadEngineName = 'h1' | 'h2c' | 'h2-tls' | 'naive' | 'fetch-warm' | 'fetch-fresh' | 'curl';

export const SPREAD_ENGINES: ReadonlyArray<{ name: SpreadEngineName; label: string }> = [
  { name: 'h1', label: 'idemchaos h1 (lastByteBurst)' },
  { name: 'h2c', label: 'idemchaos h2 (singlePacketBurst, h2c)' },
  { name: 'h2-tls', label: 'idemchaos h2 (singlePacketBurst, TLS)' },
  { name: 'naive', label: 'naive: Promise.all(undici request), warm Pool' },
  { name: 'fetch-warm', label: 'Promise.all(fetch), warm global pool' },
  { name: 'fetch-fresh', label: 'Promise.all(fetch), new undici Agent per burst' },
  { name: 'curl', label: 'curl --parallel --parallel-immediate' },
];

export interface SpreadSample {
  /** max - min of last-byte arrival at the server, ms; null with fewer than 2 arrivals. */
  spreadMs: number | null;
  /** From the first arrival to the second, ms: what a check-then-act window of one request must outlast. */
  firstGapMs: number | null;
  /** From the first arrival to the ⌈N/2⌉-th, ms. */
  halfMs: number | null;
  /** Requests whose last byte the server saw. */
  arrived: number;
  /** Requests answered 201. */
  ok: number;
  /** Client wall time of the whole burst, ms. */
  wallMs: number;
  /** idemchaos engines: client-side release skew, ms. */
  releaseSkewMs?: number;
  /** h2: connections the burst was released over, and socket writes per connection in the release. */
  connections?: number;
  finalWriteCalls?: number[];
  error?: string;
}

export interface SpreadSeries {
  engine: SpreadEngineName;
  n: number;
  samples: SpreadSample[];
}

export interface SpreadResult {
  ns: number[];
  burstsWanted: number;
  engines: SpreadEngineName[];
  series: SpreadSeries[];
  notes: string[];
  elapsedMs: number;
}

export interface SpreadOptions {
  ns: number[];
  bursts: number;
  /** The whole phase stops starting bursts after this long. */
  budgetMs: number;
  log: (line: string) => void;
}

interface Partial {
  statuses: Array<number | null>;
  errors: string[];
  releaseSkewMs?: number;
  connections?: number;
  finalWriteCalls?: number[];
}

function fromExchanges(result: { exchanges: Array<{ response?: { status: number }; error?: string }> }): Partial {
  const errors = result.exchanges.filter((e) => e.error).slice(0, 3).map((e) => e.error!);
  return { statuses: result.exchanges.map((e) => e.response?.status ?? null), errors };
}

function asRequests(posts: Post[]): HttpRequest[] {
  return posts.map((p) => ({ method: 'POST', url: p.url, headers: p.headers, body: p.body }));
}

function makeCert(dir: string): { certPath: string; keyPath: string } {
  const certPath = path.join(dir, 'cert.pem');
  const keyPath = path.join(dir, 'key.pem');
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost', '-days', '1', '-keyout', keyPath, '-out', certPath],
    { stdio: 'pipe', timeout: 20_000 },
  );
  return { certPath, keyPath };
}

export async function runSpread(opts: SpreadOptions): Promise<SpreadResult> {
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  const notes: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idemchaos-bench-'));
  let child: Child | undefined;
  const pools: Pool[] = [];
  const series: SpreadSeries[] = [];
  try {
    let cert: { certPath: string; keyPath: string } | undefined;
    try {
      cert = makeCert(dir);
    } catch (err) {
      notes.push(`no TLS target: openssl failed (${(err as Error).message.split('\n')[0]})`);
    }
    const curl = curlVersion();
    if (!curl) notes.push('no curl with --parallel-immediate at /usr/bin/curl: curl baseline skipped');
    const engines = SPREAD_ENGINES.map((e) => e.name).filter((name) => (name === 'h2-tls' ? cert : name === 'curl' ? curl : true));

    child = await startChild('spread', cert ?? { certPath: '', keyPath: '' });
    const target = child;
    const h1 = String(target.info.h1);
    const h2c = String(target.info.h2c);
    const h2tls = String(target.info.h2tls);

    for (const n of opts.ns) {
      const pool = warmPool(h1, n);
      pools.push(pool);
      const connected = await warmUp(pool, burstPosts(h1, 'warm', n, randomUUID(), 'warm'));
      if (connected < n) notes.push(`N=${n}: the naive pool held ${connected} of ${n} connections after warming`);
      await globalFetchBurst(burstPosts(h1, 'warm', n, randomUUID(), 'warm'));
      await globalFetchBurst(burstPosts(h1, 'warm', n, randomUUID(), 'warm'));

      const fire = async (engine: SpreadEngineName, burst: string): Promise<Partial> => {
        const key = randomUUID();
        switch (engine) {
          case 'h1': {
            const r = await lastByteBurst(asRequests(burstPosts(h1, burst, n, key, burst)), { timeoutMs: TIMEOUT_MS });
            return { ...fromExchanges(r), releaseSkewMs: r.releaseSkewMs };
          }
          case 'h2c':
          case 'h2-tls': {
            const origin = engine === 'h2c' ? h2c : h2tls;
            const r = await singlePacketBurst(asRequests(burstPosts(origin, burst, n, key, burst)), { timeoutMs: TIMEOUT_MS, insecure: true });
            return { ...fromExchanges(r), releaseSkewMs: r.releaseSkewMs, connections: r.connections, finalWriteCalls: r.finalWriteCalls };
          }
          case 'naive':
            return naiveBurst(pool, burstPosts(h1, burst, n, key, burst));
          case 'fetch-warm':
            return globalFetchBurst(burstPosts(h1, burst, n, key, burst));
          case 'fetch-fresh':
            return freshFetchBurst(burstPosts(h1, burst, n, key, burst));
          case 'curl':
            return curlBurst(burstPosts(h1, burst, n, key, burst), dir) as Promise<ClientBurst>;
        }
      };

      const measure = async (engine: SpreadEngineName, burst: string): Promise<SpreadSample> => {
        const t0 = performance.now();
        let part: Partial;
        try {
          part = await fire(engine, burst);
        } catch (err) {
          part = { statuses: [], errors: [(err as Error).message] };
        }
        const wallMs = performance.now() - t0;
        const reply = await target.call('collect', { burst });
        const times = ((reply.times as string[] | undefined) ?? []).map((t) => BigInt(t));
        const sorted = [...times].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        const since = (i: number): number | null => (sorted.length >= 2 && i < sorted.length ? Number(sorted[i]! - sorted[0]!) / 1e6 : null);
        const sample: SpreadSample = {
          spreadMs: since(sorted.length - 1),
          firstGapMs: since(1),
          halfMs: since(Math.ceil(n / 2) - 1),
          arrived: times.length,
          ok: part.statuses.filter((s) => s === 201).length,
          wallMs,
        };
        if (part.releaseSkewMs !== undefined) sample.releaseSkewMs = part.releaseSkewMs;
        if (part.connections !== undefined) sample.connections = part.connections;
        if (part.finalWriteCalls !== undefined) sample.finalWriteCalls = part.finalWriteCalls;
        if (part.errors.length > 0) sample.error = part.errors[0];
        if (!reply.ok) sample.error = reply.error;
        return sample;
      };

      // One unmeasured burst per engine first (JIT, first TLS handshake, curl's page cache).
      for (const engine of engines) await measure(engine, `${n}-warm-${engine}`);

      const perEngine = new Map<SpreadEngineName, SpreadSample[]>(engines.map((e) => [e, []]));
      let round = 0;
      for (; round < opts.bursts; round++) {
        if (Date.now() > deadline) {
          notes.push(`N=${n}: time budget reached after ${round} of ${opts.bursts} rounds`);
          break;
        }
        for (let j = 0; j < engines.length; j++) {
          const engine = engines[(round + j) % engines.length]!;
          perEngine.get(engine)!.push(await measure(engine, `${n}-${round}-${engine}`));
          await sleep(10);
        }
      }
      for (const engine of engines) series.push({ engine, n, samples: perEngine.get(engine)! });
      opts.log(`  spread N=${n}: ${round} rounds × ${engines.length} clients`);
    }
    return { ns: opts.ns, burstsWanted: opts.bursts, engines, series, notes, elapsedMs: Date.now() - started };
  } finally {
    for (const pool of pools) await pool.destroy().catch(() => {});
    await child?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
