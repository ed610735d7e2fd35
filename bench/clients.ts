// The baselines, written here on purpose (not the CLI's engines): what a
// script or a load tool would do to send N duplicates "at the same time".
//
//   naive        Promise.all over undici request() on a warm Pool (N connections)
//   fetch-warm   Promise.all over Node's global fetch, its pool warmed first
//   fetch-fresh  Promise.all over undici fetch with a new Agent per burst
//   curl         curl --parallel --parallel-immediate --parallel-max N
//
// Every call is bounded by TIMEOUT_MS.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { Agent, Pool, fetch as undiciFetch, request } from 'undici';

export const TIMEOUT_MS = 10_000;

export interface Post {
  url: string;
  headers: Record<string, string>;
  body: Buffer;
}

export interface ClientBurst {
  /** HTTP status per request; null when it failed. */
  statuses: Array<number | null>;
  /** The first few transport errors. */
  errors: string[];
}

/** N identical POSTs of one burst: same key, same body; b= and n= tell the spread target the burst and its size. */
export function burstPosts(origin: string, burst: string, n: number, key: string, ref: string): Post[] {
  const body = Buffer.from(JSON.stringify({ sku: 'widget-1', qty: 2, ref }));
  return Array.from({ length: n }, (_, i) => ({
    url: `${origin}/orders?b=${encodeURIComponent(burst)}&n=${n}&i=${i}`,
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body,
  }));
}

function settle(results: PromiseSettledResult<number>[]): ClientBurst {
  const errors: string[] = [];
  const statuses = results.map((r) => {
    if (r.status === 'fulfilled') return r.value;
    if (errors.length < 3) errors.push(String((r.reason as Error)?.message ?? r.reason));
    return null;
  });
  return { statuses, errors };
}

// ---------------------------------------------------------------- undici request

export function warmPool(origin: string, connections: number): Pool {
  return new Pool(origin, {
    connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: TIMEOUT_MS,
    bodyTimeout: TIMEOUT_MS,
  });
}

/** Sends rounds of N concurrent requests until the pool holds N connections (at most 4 rounds). */
export async function warmUp(pool: Pool, posts: Post[]): Promise<number> {
  for (let round = 0; round < 4; round++) {
    await naiveBurst(pool, posts);
    if (pool.stats.connected >= posts.length) break;
  }
  return pool.stats.connected;
}

export async function naiveBurst(pool: Pool, posts: Post[]): Promise<ClientBurst> {
  const results = await Promise.allSettled(
    posts.map(async (p) => {
      const res = await request(p.url, {
        dispatcher: pool,
        method: 'POST',
        headers: p.headers,
        body: p.body,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      await res.body.dump();
      return res.statusCode;
    }),
  );
  return settle(results);
}

// ---------------------------------------------------------------- fetch

/** Node's own global fetch (its global dispatcher keeps the connections warm between bursts). */
export async function globalFetchBurst(posts: Post[]): Promise<ClientBurst> {
  const results = await Promise.allSettled(
    posts.map(async (p) => {
      const res = await fetch(p.url, { method: 'POST', headers: p.headers, body: p.body, signal: AbortSignal.timeout(TIMEOUT_MS) });
      await res.arrayBuffer();
      return res.status;
    }),
  );
  return settle(results);
}

/** undici's fetch over a brand-new Agent: every request opens its own connection. */
export async function freshFetchBurst(posts: Post[]): Promise<ClientBurst> {
  const agent = new Agent({ headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
  try {
    const results = await Promise.allSettled(
      posts.map(async (p) => {
        const res = await undiciFetch(p.url, {
          method: 'POST',
          headers: p.headers,
          body: p.body,
          dispatcher: agent,
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        await res.arrayBuffer();
        return res.status;
      }),
    );
    return settle(results);
  } finally {
    await agent.destroy().catch(() => {});
  }
}

// ---------------------------------------------------------------- curl

export const CURL = '/usr/bin/curl';

/** "curl 7.88.1" or null when curl is missing or lacks --parallel-immediate. */
export function curlVersion(): string | null {
  if (!fs.existsSync(CURL)) return null;
  const out = spawnSync(CURL, ['--version'], { encoding: 'utf8', timeout: 5000 });
  const first = out.stdout?.split('\n')[0] ?? '';
  const m = /^curl (\d+)\.(\d+)\.(\d+)/.exec(first);
  if (!m) return null;
  const [maj, mnr] = [Number(m[1]), Number(m[2])];
  if (maj < 7 || (maj === 7 && mnr < 68)) return null; // --parallel-immediate arrived in 7.68
  return `curl ${m[1]}.${m[2]}.${m[3]}`;
}

/** One curl process posting all N requests in parallel (a --config file lists the URLs). */
export async function curlBurst(posts: Post[], dir: string): Promise<ClientBurst> {
  const n = posts.length;
  const quote = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  const lines = [
    'parallel',
    'parallel-immediate',
    `parallel-max = ${n}`,
    'silent',
    `max-time = ${TIMEOUT_MS / 1000}`,
    `write-out = ${quote('%{http_code}\\n')}`,
    ...Object.entries(posts[0]!.headers).map(([k, v]) => `header = ${quote(`${k}: ${v}`)}`),
    `data-binary = ${quote(posts[0]!.body.toString('utf8'))}`,
  ];
  for (const p of posts) lines.push(`url = ${quote(p.url)}`, 'output = "/dev/null"');
  const file = path.join(dir, 'curl.config');
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
  return new Promise<ClientBurst>((resolve) => {
    const proc = spawn(CURL, ['--config', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), TIMEOUT_MS + 2000);
    proc.on('close', (code) => {
      clearTimeout(timer);
      const codes = stdout.split('\n').filter((l) => /^\d{3}$/.test(l)).map(Number);
      const statuses: Array<number | null> = Array.from({ length: n }, (_, i) => (codes[i] && codes[i]! > 0 ? codes[i]! : null));
      const errors = code === 0 ? [] : [`curl exited ${code}: ${stderr.trim().slice(0, 200)}`];
      resolve({ statuses, errors });
    });
    proc.on('error', (err) => {
      clearTimeout(timer);
      resolve({ statuses: posts.map(() => null), errors: [err.message] });
    });
  });
}
