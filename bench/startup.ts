// Start-up cost: wall time of `node bin/idemchaos.js --version` and `--help`
// against `node -e 0`, the floor any Node CLI pays. Runs interleaved, after
// one unmeasured run of each (page cache).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { median, min, p90 } from './stats.js';

export interface StartupRow {
  name: string;
  command: string;
  runs: number[];
  min: number | null;
  median: number | null;
  p90: number | null;
  failures: number;
}

export interface StartupResult {
  runsWanted: number;
  rows: StartupRow[];
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function runStartup(runs: number): StartupResult {
  const cases = [
    { name: 'node -e 0', args: ['-e', '0'] },
    { name: 'idemchaos --version', args: ['bin/idemchaos.js', '--version'] },
    { name: 'idemchaos --help', args: ['bin/idemchaos.js', '--help'] },
    // Where the difference goes: the ESM loader alone, and commander on top of it.
    { name: 'esm floor', args: ['--input-type=module', '-e', '0'] },
    { name: 'commander only', args: ['--input-type=module', '-e', "import 'commander'"] },
  ];
  const times = cases.map(() => [] as number[]);
  const failures = cases.map(() => 0);
  const once = (i: number): number => {
    const t0 = process.hrtime.bigint();
    const out = spawnSync(process.execPath, cases[i]!.args, { cwd: ROOT, stdio: 'pipe', timeout: 10_000 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (out.status !== 0) failures[i]!++;
    return ms;
  };
  for (let i = 0; i < cases.length; i++) once(i);
  for (let r = 0; r < runs; r++) {
    for (let j = 0; j < cases.length; j++) {
      const i = (r + j) % cases.length;
      times[i]!.push(once(i));
    }
  }
  return {
    runsWanted: runs,
    rows: cases.map((c, i) => ({
      name: c.name,
      command: `node ${c.args.map((a) => (/[\s']/.test(a) ? `"${a}"` : a)).join(' ')}`,
      runs: times[i]!,
      min: min(times[i]!),
      median: median(times[i]!),
      p90: p90(times[i]!),
      failures: failures[i]!,
    })),
  };
}
