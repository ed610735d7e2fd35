// Arrival spread by burst index: is the first burst of a process as tight as
// the ones after it? Every measured run is a fresh process (bench/target.ts,
// role 'h1-client') that sends `bursts` last-byte bursts of N to the spread
// target, `gapMs` apart, the way the concurrent attack sends its bursts; the
// target (role 'spread', its own process, warm) timestamps each request's
// last byte. Two kinds of process: one that sends nothing but the bursts, and
// one that first sends plain requests over undici, as a run does before the
// concurrent attack (the replay attack goes first). Two releases, alternated
// process by process so the box's noise falls on both: as it was (no
// rehearsal) and as it is (REHEARSALS passes). A third kind repeats the
// plain-requests one with the process and the target pinned to different
// CPUs (taskset), so the scheduler cannot put them on one CPU: what is left
// of a first-burst difference there is the engine's.
import { spawnSync } from 'node:child_process';
import os from 'node:os';
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

/** taskset can pin processes here, and there are two CPUs to pin them to. */
function canPin(): boolean {
  return os.availableParallelism() >= 2 && spawnSync('taskset', ['-V'], { stdio: 'ignore', timeout: 5_000 }).status === 0;
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
  const pinning = conditions.some((c) => c.apart);
  if (pinning && !canPin()) {
    conditions = conditions.filter((c) => !c.apart);
    notes.push('no taskset or fewer than 2 CPUs: the separate-CPUs kind of process was left out');
  }
  const all = `0-${os.availableParallelism() - 1}`;
  let target: Child | undefined;
  try {
    target = await startChild('spread', { certPath: '', keyPath: '' });
    const h1 = String(target.info.h1);
    const targetPid = target.proc.pid!;
    // Affinity outlives a process, so the processes that are not pinned set both back to every CPU.
    const affinity = (condition: BurstIndexCondition) =>
      !conditions.some((c) => c.apart) ? {} : { affinity: condition.apart ? { cpus: '1', targetCpus: '0', targetPid } : { cpus: all, targetCpus: all, targetPid } };
    let run = 0;
    for (; run < opts.runs; run++) {
      if (Date.now() > deadline) {
        notes.push(`time budget reached after ${run} of ${opts.runs} processes per condition and release`);
        break;
      }
      const pairs = conditions.flatMap((condition) => variants.map((variant) => ({ condition, variant })));
      for (let j = 0; j < pairs.length; j++) {
        const { condition, variant } = pairs[(run + j) % pairs.length]!;
        const tag = `bi-${run}-${j}`;
        // A process that does not report within its bound is killed (by startChild) and noted, not fatal.
        let client: Child;
        try {
          client = await startChild('h1-client', { url: h1, n: opts.n, bursts: opts.bursts, gapMs: opts.gapMs, tag, before: condition.before, ...affinity(condition), ...variant }, CLIENT_BOUND_MS);
        } catch (err) {
          notes.push(`${condition.name}, ${variant.name}, process ${run + 1}: ${(err as Error).message}`);
          continue;
        }
        await client.stop();
        const results = client.info.results as { burst: string; releaseSkewMs: number; released: number; ok: number; error?: string }[];
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
          if (!reply.ok) sample.error = reply.error;
          samples.push(sample);
        }
      }
    }
    opts.log(`  burst index: ${run} fresh processes × ${conditions.length} kinds × ${variants.length} releases, ${opts.bursts} bursts of ${opts.n} each`);
    return { n: opts.n, bursts: opts.bursts, gapMs: opts.gapMs, runsWanted: opts.runs, conditions, variants, samples, notes, elapsedMs: Date.now() - started };
  } finally {
    await target?.stop();
  }
}
