// Detection power: against the demo API in race mode, with raceTurns k
// event-loop turns between the key lookup and its reservation, how often does
// a burst of N duplicates create more than one order? The demo runs in its own
// process (bench/target.ts, role 'demo') with an h2c front serving the same
// handler; duplicates are counted with GET /orders?ref= (a fresh ref per
// burst). Each setting runs idle and with one core kept busy by another
// process (role 'busy').
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, request } from 'undici';
import { lastByteBurst } from '../src/engine/h1/index.js';
import { singlePacketBurst } from '../src/engine/h2/index.js';
import type { HttpRequest } from '../src/model/http.js';
import { TIMEOUT_MS, burstPosts, naiveBurst, warmPool, warmUp, type Post } from './clients.js';
import { startChild, type Child } from './proc.js';

export type DetectEngine = 'h1' | 'h2' | 'naive';
export const DETECT_ENGINES: readonly DetectEngine[] = ['h1', 'h2', 'naive'];
export type Load = 'idle' | 'busy';

export interface DetectCell {
  k: number;
  load: Load;
  engine: DetectEngine;
  bursts: number;
  /** Bursts that created more than one order. */
  duplicates: number;
  /** Orders created per burst. */
  orders: number[];
  /** Requests with no HTTP response, over all bursts. */
  failedRequests: number;
  firstError?: string;
}

export interface DetectionResult {
  ks: number[];
  n: number;
  latencyMs: number;
  burstsWanted: number;
  cells: DetectCell[];
  notes: string[];
  elapsedMs: number;
}

export interface DetectionOptions {
  ks: number[];
  n: number;
  bursts: number;
  latencyMs: number;
  budgetMs: number;
  log: (line: string) => void;
}

function asRequests(posts: Post[]): HttpRequest[] {
  return posts.map((p) => ({ method: 'POST', url: p.url, headers: p.headers, body: p.body }));
}

async function countOrders(pool: Pool, base: string, ref: string): Promise<number> {
  const res = await request(`${base}/orders?ref=${encodeURIComponent(ref)}`, { dispatcher: pool, signal: AbortSignal.timeout(TIMEOUT_MS) });
  const body = (await res.body.json()) as { count?: unknown };
  if (res.statusCode !== 200 || typeof body.count !== 'number') throw new Error(`GET /orders answered ${res.statusCode}`);
  return body.count;
}

export async function runDetection(opts: DetectionOptions): Promise<DetectionResult> {
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  const notes: string[] = [];
  const cells: DetectCell[] = [];
  const cellsLeft = (): number => opts.ks.length * 2 - cells.length / DETECT_ENGINES.length;

  for (const k of opts.ks) {
    let demo: Child | undefined;
    let busy: Child | undefined;
    let naivePool: Pool | undefined;
    let countPool: Pool | undefined;
    try {
      demo = await startChild('demo', { raceTurns: k, latencyMs: opts.latencyMs });
      const base = String(demo.info.url);
      const h2c = String(demo.info.h2c);
      naivePool = warmPool(base, opts.n);
      countPool = warmPool(base, 1);
      const connected = await warmUp(naivePool, burstPosts(base, 'warm', opts.n, randomUUID(), 'warm'));
      if (connected < opts.n) notes.push(`k=${k}: the naive pool held ${connected} of ${opts.n} connections after warming`);

      const fire = async (engine: DetectEngine, key: string, ref: string): Promise<Array<number | null>> => {
        if (engine === 'naive') return (await naiveBurst(naivePool!, burstPosts(base, 'd', opts.n, key, ref))).statuses;
        const origin = engine === 'h2' ? h2c : base;
        const reqs = asRequests(burstPosts(origin, 'd', opts.n, key, ref));
        const r = engine === 'h2' ? await singlePacketBurst(reqs, { timeoutMs: TIMEOUT_MS }) : await lastByteBurst(reqs, { timeoutMs: TIMEOUT_MS });
        return r.exchanges.map((e) => e.response?.status ?? null);
      };

      for (const load of ['idle', 'busy'] as const) {
        if (load === 'busy') {
          busy = await startChild('busy', { maxMs: Math.max(10_000, deadline - Date.now() + 30_000) });
          await sleep(300);
        }
        const row = new Map<DetectEngine, DetectCell>(
          DETECT_ENGINES.map((engine) => [engine, { k, load, engine, bursts: 0, duplicates: 0, orders: [], failedRequests: 0 }]),
        );
        // Share what is left of the budget evenly among the settings still to run.
        const cellDeadline = Date.now() + Math.max(0, deadline - Date.now()) / Math.max(1, cellsLeft());
        let round = 0;
        for (; round < opts.bursts; round++) {
          if (Date.now() > cellDeadline) {
            notes.push(`k=${k} ${load}: time budget reached after ${round} of ${opts.bursts} bursts per engine`);
            break;
          }
          for (let j = 0; j < DETECT_ENGINES.length; j++) {
            const engine = DETECT_ENGINES[(round + j) % DETECT_ENGINES.length]!;
            const cell = row.get(engine)!;
            const ref = `bench-${randomUUID()}`;
            let statuses: Array<number | null>;
            try {
              statuses = await fire(engine, randomUUID(), ref);
            } catch (err) {
              statuses = Array.from({ length: opts.n }, () => null);
              cell.firstError ??= (err as Error).message;
            }
            cell.failedRequests += statuses.filter((s) => s === null).length;
            let orders: number;
            try {
              orders = await countOrders(countPool, base, ref);
            } catch (err) {
              cell.firstError ??= `count: ${(err as Error).message}`;
              continue;
            }
            cell.bursts++;
            cell.orders.push(orders);
            if (orders > 1) cell.duplicates++;
          }
        }
        cells.push(...row.values());
        const summary = DETECT_ENGINES.map((e) => `${e} ${row.get(e)!.duplicates}/${row.get(e)!.bursts}`).join(', ');
        opts.log(`  detection k=${k} ${load}: ${summary}`);
        if (busy) {
          await busy.stop();
          busy = undefined;
        }
      }
    } catch (err) {
      notes.push(`k=${k}: ${(err as Error).message}`);
      opts.log(`  detection k=${k} failed: ${(err as Error).message}`);
    } finally {
      await busy?.stop();
      await naivePool?.destroy().catch(() => {});
      await countPool?.destroy().catch(() => {});
      await demo?.stop();
    }
  }
  return { ks: opts.ks, n: opts.n, latencyMs: opts.latencyMs, burstsWanted: opts.bursts, cells, notes, elapsedMs: Date.now() - started };
}
