// Arrival spread by burst index: is the first burst of a process as tight as
// the ones after it? Every measured run is a fresh process (bench/target.ts,
// role 'h1-client') that sends `bursts` last-byte bursts of N to the spread
// target, `gapMs` apart, the way the concurrent attack sends its bursts; the
// target (role 'spread', its own process, warm) timestamps each request's
// last byte. Kinds of process: one that sends nothing but the bursts, and
// one that first sends plain requests over undici, as a run does before the
// concurrent attack (the replay attack goes first). A third kind repeats the
// plain-requests one with the process and the target pinned to different
// CPUs (taskset), so the scheduler cannot put them on one CPU. Two releases:
// as it was (no rehearsal) and as it is (REHEARSALS passes). Every round runs
// one process of each kind and release, in a new random order, so the box's
// noise falls on all of them and none always follows the same other. Each
// burst also notes whether, just before its release, the process and the
// target's main thread were last on one CPU (/proc/<pid>/stat), where a
// burst lands about twice as far apart.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { REHEARSALS } from '../src/engine/h1/burst.js';
import { startChild, type Child } from './proc.js';

export interface BurstIndexVariant {
  name: string;
  rehearsals: number;
}

export interface BurstIndexCondition {
  name: string;
  /** Plain requests the process sends before its first burst. */
  before: number;
  /** The process and the target pinned to different CPUs. */
  apart?: boolean;
}

export interface BurstIndexSample {
  condition: string;
  variant: string;
  /** The process, 0-based, within its condition and variant. */
  run: number;
  /** 1-based: 1 is the first burst of its process. */
  index: number;
  /** max − min of last-byte arrival at the server, ms; null with fewer than 2 arrivals. */
  spreadMs: number | null;
  releaseSkewMs: number;
  arrived: number;
  ok: number;
  error?: string;
  /** The process and the target's main thread on one CPU just before the release (Linux; absent when it could not be read). */
  sameCpu?: boolean;
}

export interface BurstIndexResult {
  n: number;
  bursts: number;
  gapMs: number;
  runsWanted: number;
  conditions: BurstIndexCondition[];
  variants: BurstIndexVariant[];
  samples: BurstIndexSample[];
  notes: string[];
  elapsedMs: number;
}

export interface BurstIndexOptions {
  n: number;
  bursts: number;
  gapMs: number;
  /** Fresh processes per condition and variant. */
  runs: number;
  budgetMs: number;
  log: (line: string) => void;
}

export const BURST_VARIANTS: BurstIndexVariant[] = [
  { name: 'before: no rehearsal', rehearsals: 0 },
  { name: `after: ${REHEARSALS} rehearsals`, rehearsals: REHEARSALS },
];

export const BURST_CONDITIONS: BurstIndexCondition[] = [
  { name: 'after 10 requests over undici', before: 10 },
  { name: 'bursts only', before: 0 },
  { name: 'after 10 requests, client and target on separate CPUs', before: 10, apart: true },
];

/** The CPUs this process may run on (and so the target, which inherits them), from /proc. */
function allowedCpus(): number[] {
  let list = '';
  try {
    list = /^Cpus_allowed_list:\s*(\S+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '';
  } catch {
    return [];
  }
  return list.split(',').flatMap((range) => {
    if (!/^\d+(-\d+)?$/.test(range)) return [];
    const [lo, hi] = range.split('-').map(Number);
    return Array.from({ length: (Number.isInteger(hi) ? hi! : lo!) - lo! + 1 }, (_, i) => lo! + i);
  });
}

/** Sets every thread of `pid` to `cpus` (a taskset list); false when taskset is missing or refuses. */
function setAffinity(pid: number, cpus: string): boolean {
  return spawnSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore', timeout: 5_000 }).status === 0;
}

/** Fisher–Yates, so that no kind of process always follows the same other kind. */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** A client process's whole life: start-up, the plain requests, the bursts, its report. */
const CLIENT_BOUND_MS = 30_000;

export async function runBurstIndex(
  opts: BurstIndexOptions,
  variants: BurstIndexVariant[] = BURST_VARIANTS,
  conditions: BurstIndexCondition[] = BURST_CONDITIONS,
): Promise<BurstIndexResult> {
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  const notes: string[] = [];
  const samples: BurstIndexSample[] = [];
  let target: Child | undefined;
  try {
    target = await startChild('spread', { certPath: '', keyPath: '' });
    const h1 = String(target.info.h1);
    const targetPid = target.proc.pid!;
    // The separate-CPUs kind: the target on the first allowed CPU, the client on the second. The
    // target's affinity stays set after a client, so before every other kind it gets all of them back.
    const cpus = allowedCpus();
    const all = cpus.join(',');
    if (conditions.some((c) => c.apart) && (cpus.length < 2 || !setAffinity(targetPid, all))) {
      conditions = conditions.filter((c) => !c.apart);
      notes.push(`${cpus.length < 2 ? 'fewer than 2 CPUs allowed' : 'taskset missing or refused'}: the separate-CPUs kind of process was left out`);
    }
    const pinning = conditions.some((c) => c.apart);
    // Checked before each process, so taskset never reaches a pid the target no longer has.
    const gone = (): boolean => target!.proc.exitCode !== null || target!.proc.signalCode !== null;
    let run = 0;
    for (; run < opts.runs && !gone(); run++) {
      if (Date.now() > deadline) {
        notes.push(`time budget reached after ${run} of ${opts.runs} processes per condition and release`);
        break;
      }
      const pairs = shuffled(conditions.flatMap((condition) => variants.map((variant) => ({ condition, variant }))));
      for (let j = 0; j < pairs.length; j++) {
        const { condition, variant } = pairs[j]!;
        const tag = `bi-${run}-${j}`;
        if (gone()) break;
        if (pinning && !setAffinity(targetPid, condition.apart ? String(cpus[0]) : all)) {
          notes.push(`${condition.name}, ${variant.name}, process ${run + 1}: taskset refused to set the target's CPUs`);
          continue;
        }
        const pin = condition.apart ? { pinCpu: cpus[1] } : {};
        // A process that does not report within its bound is killed (by startChild) and noted, not fatal.
        let client: Child;
        try {
          client = await startChild('h1-client', { url: h1, n: opts.n, bursts: opts.bursts, gapMs: opts.gapMs, tag, before: condition.before, targetPid, ...pin, ...variant }, CLIENT_BOUND_MS);
        } catch (err) {
          notes.push(`${condition.name}, ${variant.name}, process ${run + 1}: ${(err as Error).message}`);
          continue;
        }
        await client.stop();
        const results = client.info.results as { burst: string; releaseSkewMs: number; released: number; ok: number; error?: string; sameCpu?: boolean }[];
        for (const [i, r] of results.entries()) {
          const reply = await target.call('collect', { burst: r.burst });
          const times = ((reply.times as string[] | undefined) ?? []).map((t) => BigInt(t)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
          const sample: BurstIndexSample = {
            condition: condition.name,
            variant: variant.name,
            run,
            index: i + 1,
            spreadMs: times.length >= 2 ? Number(times[times.length - 1]! - times[0]!) / 1e6 : null,
            releaseSkewMs: r.releaseSkewMs,
            arrived: times.length,
            ok: r.ok,
          };
          if (r.error) sample.error = r.error;
          if (r.sameCpu !== undefined) sample.sameCpu = r.sameCpu;
          if (!reply.ok) sample.error = reply.error;
          samples.push(sample);
        }
      }
    }
    if (gone()) notes.push(`the spread target exited: the part stopped in round ${Math.min(run + 1, opts.runs)} of ${opts.runs}`);
    opts.log(`  burst index: ${run} fresh processes × ${conditions.length} kinds × ${variants.length} releases, ${opts.bursts} bursts of ${opts.n} each`);
    return { n: opts.n, bursts: opts.bursts, gapMs: opts.gapMs, runsWanted: opts.runs, conditions, variants, samples, notes, elapsedMs: Date.now() - started };
  } finally {
    await target?.stop();
  }
}
