// Bounded memory: peak RSS of a fresh process that sends one burst of 1000
// requests through idemchaos's engines, against a baseline process that does
// the same imports and sends nothing, and of the CLI run end to end.
//
// Engine cases: a fresh child (bench/target.ts role 'mem-client') imports both
// engines, sends one burst of N (h1 lastByteBurst; h2 singlePacketBurst over
// h2c) to the spread target (its own process, warm for the whole part), whose
// answers carry an order as JSON (~150 bytes) or the same padded to 64 KiB,
// and reports process.resourceUsage().maxRSS after the burst. CLI cases:
// `node bin/idemchaos.js run` on a scenario with one concurrent burst of N
// (and one of 20, the default, for reference) against the demo in its correct
// mode (role 'server'), the same with --dry-run (loads, plans, sends nothing),
// and one burst of N against the spread target with small and 64 KiB answers
// (no oracle: the spread target has none), its maxRSS written at exit by
// bench/maxrss-at-exit.ts.
// Cases run round-robin, the order rotated every round; every child is killed
// at its bound.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startChild, type Child } from './proc.js';
import { max, median, min } from './stats.js';
import type { MemClientReport } from './target.js';

export interface MemoryCase {
  name: string;
  /** What runs, for the table. */
  what: string;
  kind: 'engine' | 'cli';
  engine?: 'none' | 'h1' | 'h2';
  /** Response body bytes asked of the target (engine cases). */
  size?: number;
  /** Requests in the burst. */
  n: number;
  /** The case its figure is compared with: the same process minus the burst. */
  ref?: string;
  /** CLI cases: print the plan instead of sending (--dry-run). */
  dryRun?: boolean;
  /** CLI cases: against the demo (orders scenario, with its oracle) or the spread target (answers of `size` bytes, no oracle). */
  against?: 'demo' | 'spread';
}

export interface MemorySample {
  /** Peak RSS of the child, KiB; null when it did not report. */
  maxRssKiB: number | null;
  /** Engine cases: RSS peak right after the imports, KiB. */
  importedKiB?: number;
  /** Engine cases: 201 responses and the body bytes they carried. */
  ok?: number;
  bodyBytes?: number;
  durationMs: number;
  error?: string;
}

export interface MemoryRow extends MemoryCase {
  samples: MemorySample[];
  median: number | null;
  min: number | null;
  max: number | null;
  failures: number;
}

export interface MemoryResult {
  n: number;
  runsWanted: number;
  rows: MemoryRow[];
  notes: string[];
  elapsedMs: number;
}

export interface MemoryOptions {
  n: number;
  runs: number;
  budgetMs: number;
  log: (line: string) => void;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const AT_EXIT = pathToFileURL(fileURLToPath(new URL('./maxrss-at-exit.js', import.meta.url))).href;
/** One engine child's whole life: imports, connecting N sockets, the burst, its report. */
const ENGINE_BOUND_MS = 60_000;
/** One CLI run: start-up, the burst, the oracle's reads, the report. */
const CLI_BOUND_MS = 90_000;
/** The padded answer. */
export const LARGE_BODY = 64 * 1024;

export function memoryCases(n: number): MemoryCase[] {
  return [
    { name: 'baseline', what: 'both engines imported, no burst', kind: 'engine', engine: 'none', n: 0 },
    { name: 'h1', what: `lastByteBurst, ${n} requests, ~150-byte JSON answers`, kind: 'engine', engine: 'h1', size: 0, n, ref: 'baseline' },
    { name: 'h1 64 KiB', what: `lastByteBurst, ${n} requests, 64 KiB JSON answers`, kind: 'engine', engine: 'h1', size: LARGE_BODY, n, ref: 'baseline' },
    { name: 'h2c', what: `singlePacketBurst (h2c), ${n} requests, ~150-byte JSON answers`, kind: 'engine', engine: 'h2', size: 0, n, ref: 'baseline' },
    { name: 'h2c 64 KiB', what: `singlePacketBurst (h2c), ${n} requests, 64 KiB JSON answers`, kind: 'engine', engine: 'h2', size: LARGE_BODY, n, ref: 'baseline' },
    { name: 'cli dry-run', what: `idemchaos run --dry-run of the ${n}-request demo scenario: loads and plans, sends nothing`, kind: 'cli', n, dryRun: true, against: 'demo' },
    { name: 'cli 20', what: 'idemchaos run: one concurrent burst of 20 (h1) against the demo, oracle included', kind: 'cli', n: 20, ref: 'cli dry-run', against: 'demo' },
    { name: `cli ${n}`, what: `idemchaos run: one concurrent burst of ${n} (h1) against the demo, oracle included`, kind: 'cli', n, ref: 'cli 20', against: 'demo' },
    { name: `cli ${n} spread`, what: `idemchaos run: one concurrent burst of ${n} (h1) against the spread target, ~150-byte JSON answers, no oracle`, kind: 'cli', n, size: 0, ref: 'cli dry-run', against: 'spread' },
    { name: `cli ${n} 64 KiB`, what: `idemchaos run: the same with 64 KiB JSON answers`, kind: 'cli', n, size: LARGE_BODY, ref: `cli ${n} spread`, against: 'spread' },
  ];
}

/**
 * Against the demo: the bundled orders scenario's request and contract, with
 * one concurrent burst of n and nothing else. Against the spread target: the
 * same request, no oracle, the burst size and answer size in the query.
 */
function scenarioYaml(c: MemoryCase): string {
  const n = c.n;
  if (c.against === 'spread') {
    return `name: create order (memory bench, ${n}, ${c.size ?? 0}-byte answers)
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: "/orders?b={{ run.id }}&n=${n}&size=${c.size ?? 0}"
  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" }
idempotency:
  header: Idempotency-Key
expect:
  success: [200, 201]
attacks:
  concurrent: { requests: ${n}, bursts: 1, engine: h1 }
`;
  }
  return `name: create order (memory bench, ${n})
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: /orders
  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" }
idempotency:
  header: Idempotency-Key
  ttl: 2s
effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}" }
    select: $.count
  id: $.id
  ids: $.items[*].id
expect:
  success: [200, 201]
  inFlight: [409]
  mismatch: [422]
attacks:
  concurrent: { requests: ${n}, bursts: 1, engine: h1 }
`;
}

async function engineSample(target: Child, c: MemoryCase, tag: string): Promise<MemorySample> {
  const t0 = Date.now();
  let child: Child;
  try {
    child = await startChild(
      'mem-client',
      { engine: c.engine, url: String(target.info.h1), h2c: String(target.info.h2c), n: c.n, size: c.size ?? 0, tag, timeoutMs: 10_000 },
      ENGINE_BOUND_MS,
    );
  } catch (err) {
    return { maxRssKiB: null, durationMs: Date.now() - t0, error: (err as Error).message };
  }
  await child.stop();
  await target.call('collect', { burst: tag });
  const r = child.info as unknown as MemClientReport;
  const sample: MemorySample = { maxRssKiB: r.maxRssKiB, importedKiB: r.importedKiB, ok: r.ok, bodyBytes: r.bodyBytes, durationMs: r.durationMs };
  if (c.engine !== 'none' && r.ok !== c.n) sample.error = `${r.ok} of ${c.n} answered 201${r.error ? `; first error: ${r.error}` : ''}`;
  return sample;
}

function cliSample(baseUrl: string, scenario: string, dryRun: boolean, dir: string, tag: string): MemorySample {
  const out = path.join(dir, `${tag}.maxrss`);
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ['--import', AT_EXIT, 'bin/idemchaos.js', 'run', scenario, dryRun ? '--dry-run' : '--quiet'], {
    cwd: ROOT,
    env: { ...process.env, BASE_URL: baseUrl, IDEMCHAOS_BENCH_MAXRSS: out, NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: CLI_BOUND_MS,
    killSignal: 'SIGKILL',
    maxBuffer: 16 * 1024 * 1024,
  });
  const durationMs = Date.now() - t0;
  const kib = fs.existsSync(out) ? Number(fs.readFileSync(out, 'utf8')) : NaN;
  fs.rmSync(out, { force: true });
  const sample: MemorySample = { maxRssKiB: Number.isFinite(kib) ? kib : null, durationMs };
  // 0: no finding; 1: a finding (the demo's correct mode should give none, but the figure stands).
  if (run.status !== 0) {
    const why = run.signal ? `killed (${run.signal}) at its ${CLI_BOUND_MS} ms bound` : `exit ${run.status}`;
    sample.error = `${why}: ${String(run.stderr || run.stdout).trim().split('\n').slice(-2).join(' / ').slice(0, 300)}`;
  }
  return sample;
}

export async function runMemory(opts: MemoryOptions): Promise<MemoryResult> {
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  const cases = memoryCases(opts.n);
  const samples = cases.map(() => [] as MemorySample[]);
  const notes: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idemchaos-bench-mem-'));
  let target: Child | undefined;
  let demo: Child | undefined;
  try {
    target = await startChild('spread', { certPath: '', keyPath: '' });
    demo = await startChild('server', { kind: 'demo' });
    const demoUrl = (demo.info.urls as string[])[0]!;
    // One scenario file per CLI case (the dry run reads the demo scenario of the same n).
    const scenarios = new Map<string, string>();
    for (const c of cases.filter((x) => x.kind === 'cli')) {
      const file = path.join(dir, `memory-${c.against}-${c.n}-${c.size ?? 0}.yaml`);
      fs.writeFileSync(file, scenarioYaml(c));
      scenarios.set(c.name, file);
    }
    const urlOf = (c: MemoryCase): string => (c.against === 'spread' ? String(target!.info.h1) : demoUrl);
    let run = 0;
    for (; run < opts.runs; run++) {
      if (Date.now() > deadline) {
        notes.push(`time budget reached after ${run} of ${opts.runs} rounds`);
        break;
      }
      for (let j = 0; j < cases.length; j++) {
        const i = (run + j) % cases.length;
        const c = cases[i]!;
        const tag = `mem-${run}-${i}`;
        samples[i]!.push(c.kind === 'engine' ? await engineSample(target, c, tag) : cliSample(urlOf(c), scenarios.get(c.name)!, c.dryRun === true, dir, tag));
      }
    }
    opts.log(`  memory: ${run} rounds of ${cases.length} fresh processes`);
    const rows = cases.map((c, i): MemoryRow => {
      const kib = samples[i]!.map((s) => s.maxRssKiB);
      return { ...c, samples: samples[i]!, median: median(kib), min: min(kib), max: max(kib), failures: samples[i]!.filter((s) => s.error).length };
    });
    return { n: opts.n, runsWanted: opts.runs, rows, notes, elapsedMs: Date.now() - started };
  } finally {
    await Promise.all([target?.stop(), demo?.stop()]);
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
