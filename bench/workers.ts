// --workers: a big suite fast, and bursts as sharp as alone.
//
// Suite: 20 copies of the bundled scenario (all ten attacks) against the demo
// (correct, its own process), run by the CLI (`node bin/idemchaos.js run`)
// with --workers 1 and with the default (no flag), beside one copy alone
// with --workers 1 (the run as it was). Wall time from spawn to exit; the
// verdicts of every attack read back from --report-json.
//
// Detection: the demo in race mode with one event-loop turn between lookup
// and reservation (a narrow race the h1 engine catches about half the time),
// copies of the bundled scenario with the attacks that send traffic beside
// the bursts, --workers 1 against --workers 4: of all concurrent bursts, how
// many made a duplicate (`duplicateBursts` / `bursts` of the concurrent
// attack's metrics). The same rate means neighbours do not blunt a burst.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startChild, type Child } from './proc.js';
import { across, fmt, fmtRatio, median, pct, ratio, table } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = path.join(ROOT, 'bin', 'idemchaos.js');
const SCENARIO = path.join(ROOT, 'scenarios', 'orders.yaml');
/** Every CLI run is killed past this. */
const RUN_BOUND_MS = 600_000;
/** The attacks of the detection part: the bursts and the attacks that send requests beside them. */
const BESIDE_BURSTS = 'concurrent,reuse,missing-key,other-operation,tenant,expiry-burst';

export interface SuiteRun {
  /** 'one' (a copy alone, --workers 1), 'suite-1' (--workers 1), 'suite-default' (no flag). */
  setting: 'one' | 'suite-1' | 'suite-default';
  ms: number;
  exit: number | null;
  /** Every attack's verdict, "scenario › attack: verdict", in report order. */
  verdicts: string[];
  error?: string;
}

export interface DetectionRun {
  workers: number;
  copies: number;
  bursts: number;
  duplicateBursts: number;
  ms: number;
  error?: string;
}

export interface WorkersResult {
  copies: number;
  defaultWorkers: number;
  suite: SuiteRun[];
  detection: DetectionRun[];
  raceTurns: number;
  notes: string[];
  elapsedMs: number;
}

export interface WorkersOptions {
  copies: number;
  /** Rounds of (one, suite-default); suite-1 runs in the first round only (it is the slow one). */
  rounds: number;
  detectionCopies: number;
  detectionRounds: number;
  budgetMs: number;
  log: (line: string) => void;
}

/** N copies of the bundled scenario, each its own file and name (what a suite of N operations looks like). */
function writeCopies(dir: string, n: number): string[] {
  const text = fs.readFileSync(SCENARIO, 'utf8');
  return Array.from({ length: n }, (_, i) => {
    const file = path.join(dir, `orders-${String(i + 1).padStart(2, '0')}.yaml`);
    fs.writeFileSync(file, text.replace(/^name: (.*)$/m, `name: $1 ${i + 1}`));
    return file;
  });
}

interface CliRun {
  ms: number;
  exit: number | null;
  report?: { scenarios: { name: string; attacks: { attack: string; verdict: string; metrics: Record<string, unknown> }[] }[] };
  error?: string;
}

function runCli(paths: string[], target: string, extra: string[], dir: string): CliRun {
  const reportFile = path.join(dir, `report-${Date.now()}-${Math.random().toString(36).slice(2)}.json`);
  const t0 = process.hrtime.bigint();
  const out = spawnSync(process.execPath, [BIN, 'run', ...paths, '--target', target, '--quiet', '--report-json', reportFile, ...extra], {
    cwd: ROOT,
    stdio: 'pipe',
    timeout: RUN_BOUND_MS,
    killSignal: 'SIGKILL',
    env: { ...process.env, NO_COLOR: '1', GITHUB_ACTIONS: 'false' },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const run: CliRun = { ms, exit: out.status };
  try {
    run.report = JSON.parse(fs.readFileSync(reportFile, 'utf8')) as CliRun['report'];
  } catch {
    run.error = out.error ? String(out.error) : `no report (exit ${out.status}): ${out.stderr.toString().trim().split('\n').at(-1) ?? ''}`;
  }
  return run;
}

function verdictsOf(run: CliRun): string[] {
  return (run.report?.scenarios ?? []).flatMap((s) => s.attacks.map((a) => `${s.name} › ${a.attack}: ${a.verdict}`));
}

export async function runWorkers(opts: WorkersOptions): Promise<WorkersResult> {
  const started = Date.now();
  const deadline = started + opts.budgetMs;
  const notes: string[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'idemchaos-workers-'));
  const suite: SuiteRun[] = [];
  const detection: DetectionRun[] = [];
  const raceTurns = 1;
  let server: Child | undefined;
  try {
    const files = writeCopies(dir, opts.copies);
    server = await startChild('server', { kind: 'demo' });
    const target = (server.info.urls as string[])[0]!;
    const record = (setting: SuiteRun['setting'], run: CliRun): void => {
      const row: SuiteRun = { setting, ms: run.ms, exit: run.exit, verdicts: verdictsOf(run) };
      if (run.error) row.error = run.error;
      suite.push(row);
      opts.log(`  workers: ${setting} ${(run.ms / 1000).toFixed(1)} s, exit ${run.exit}`);
    };
    for (let round = 0; round < opts.rounds; round++) {
      if (Date.now() > deadline) {
        notes.push(`time budget reached after ${round} of ${opts.rounds} suite rounds`);
        break;
      }
      record('one', runCli([files[0]!], target, ['--workers', '1'], dir));
      record('suite-default', runCli([dir], target, [], dir));
      if (round === 0) record('suite-1', runCli([dir], target, ['--workers', '1'], dir));
    }
    await server.stop();
    server = undefined;

    // Detection: its own demo, in race mode.
    const detectionFiles = files.slice(0, opts.detectionCopies);
    server = await startChild('demo', { raceTurns, latencyMs: 20 });
    const raceUrl = String(server.info.url);
    for (let round = 0; round < opts.detectionRounds; round++) {
      if (Date.now() > deadline) {
        notes.push(`time budget reached after ${round} of ${opts.detectionRounds} detection rounds`);
        break;
      }
      // Alternated, so the box's noise falls on both.
      for (const workers of round % 2 === 0 ? [1, 4] : [4, 1]) {
        const run = runCli(detectionFiles, raceUrl, ['--workers', String(workers), '--attack', BESIDE_BURSTS], dir);
        const concurrent = (run.report?.scenarios ?? []).map((s) => s.attacks.find((a) => a.attack === 'concurrent'));
        const row: DetectionRun = {
          workers,
          copies: detectionFiles.length,
          bursts: concurrent.reduce((n, a) => n + Number(a?.metrics['bursts'] ?? 0), 0),
          duplicateBursts: concurrent.reduce((n, a) => n + Number(a?.metrics['duplicateBursts'] ?? 0), 0),
          ms: run.ms,
        };
        if (run.error) row.error = run.error;
        detection.push(row);
        opts.log(`  workers: race k=${raceTurns}, --workers ${workers}: ${row.duplicateBursts}/${row.bursts} bursts caught (${(run.ms / 1000).toFixed(1)} s)`);
      }
    }
  } finally {
    await server?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return { copies: opts.copies, defaultWorkers: os.availableParallelism(), suite, detection, raceTurns, notes, elapsedMs: Date.now() - started };
}

// ---------------------------------------------------------------- rendering

type Num = number | null;

function suiteMs(result: WorkersResult, setting: SuiteRun['setting']): Num {
  return median(result.suite.filter((r) => r.setting === setting && !r.error).map((r) => r.ms / 1000));
}

/** The verdicts of the suite runs, with scenario names dropped: the same multiset means the same verdicts. */
function sameVerdicts(result: WorkersResult): boolean {
  const runs = result.suite.filter((r) => r.setting !== 'one' && !r.error).map((r) => r.verdicts.join('\n'));
  return runs.length > 1 && runs.every((v) => v === runs[0]);
}

export function renderWorkers(results: WorkersResult[]): string {
  if (results.length === 0) return '';
  const first = results[0]!;
  const one = results.map((r) => suiteMs(r, 'one'));
  const rows = (['one', 'suite-1', 'suite-default'] as const).map((setting) => {
    const values = results.map((r) => suiteMs(r, setting));
    const label = {
      one: '1 copy, `--workers 1` (the run as it was)',
      'suite-1': `${first.copies} copies, \`--workers 1\``,
      'suite-default': `${first.copies} copies, default (\`--workers ${first.defaultWorkers}\`, the CPUs)`,
    }[setting];
    const runs = results.map((r) => r.suite.filter((x) => x.setting === setting).length).join(' / ');
    const exits = [...new Set(results.flatMap((r) => r.suite.filter((x) => x.setting === setting).map((x) => String(x.exit))))].join(', ');
    const allPass = results.every((r) => r.suite.filter((x) => x.setting === setting).every((x) => x.verdicts.length > 0 && x.verdicts.every((v) => v.endsWith(': pass'))));
    return [label, runs, `**${across(values)}**`, across(results.map((r, i) => ratio(values[i], one[i] ?? null)), fmtRatio), exits, allPass ? 'all pass' : 'not all pass'];
  });
  const same = results.every(sameVerdicts) ? 'the same in every suite run' : 'differ between suite runs (see the JSON)';
  const out = [
    `**Suite**: wall time, s, from spawn to exit (median over runs), against the demo (correct, its own process); verdicts ${same}\n\n` +
      table(['run', 'runs', 'wall time s', '÷ 1 copy', 'exit', 'verdicts'], rows),
  ];
  const det = (workers: number) => {
    const rows = results.flatMap((r) => r.detection.filter((d) => d.workers === workers && !d.error));
    const caught = rows.reduce((n, d) => n + d.duplicateBursts, 0);
    const bursts = rows.reduce((n, d) => n + d.bursts, 0);
    return [
      `\`--workers ${workers}\``,
      String(rows.length),
      String(rows[0]?.copies ?? '–'),
      `**${pct(caught, bursts)}** (${caught}/${bursts})`,
      fmt(median(rows.map((d) => d.ms / 1000))),
    ];
  };
  out.push(
    `**Detection beside other attacks**: demo \`race\`, raceTurns ${first.raceTurns}, latencyMs 20; each run the copies with \`--attack ${BESIDE_BURSTS}\`; concurrent bursts (N = 20, h1) that made a duplicate\n\n` +
      table(['workers', 'runs', 'copies', 'bursts caught', 'median wall time s'], [det(1), det(4)]),
  );
  const notes = results.flatMap((r, i) => [
    ...r.notes.map((n) => `run ${i + 1}: ${n}`),
    ...r.suite.filter((x) => x.error).map((x) => `run ${i + 1}: ${x.setting}: ${x.error}`),
    ...r.detection.filter((x) => x.error).map((x) => `run ${i + 1}: detection --workers ${x.workers}: ${x.error}`),
  ]);
  if (notes.length > 0) out.push(notes.map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n');
}

export interface WorkersVerdict {
  target: string;
  figure: string;
  met: boolean | null;
}

export function workersVerdicts(results: WorkersResult[]): WorkersVerdict[] {
  if (results.length === 0) return [];
  const per = results.map((r) => ratio(suiteMs(r, 'suite-default'), suiteMs(r, 'one')));
  const med = median(per);
  const rate = (workers: number) => {
    const rows = results.flatMap((r) => r.detection.filter((d) => d.workers === workers && !d.error));
    const bursts = rows.reduce((n, d) => n + d.bursts, 0);
    return bursts > 0 ? rows.reduce((n, d) => n + d.duplicateBursts, 0) / bursts : null;
  };
  const [r1, r4] = [rate(1), rate(4)];
  return [
    {
      target: `a suite of ${results[0]!.copies} copies with the default workers takes at most 3× one copy alone`,
      figure: across(per, fmtRatio),
      met: med === null ? null : med <= 3,
    },
    {
      // Within 15 points: at ~50% over ~100 bursts a binomial's 95% interval is about ±10 points.
      target: 'a narrow race is caught as often with `--workers 4` as with `--workers 1` (within 15 points)',
      figure: `${r1 === null ? '–' : `${Math.round(r1 * 100)}%`} with 1, ${r4 === null ? '–' : `${Math.round(r4 * 100)}%`} with 4`,
      met: r1 === null || r4 === null ? null : Math.abs(r1 - r4) <= 0.15,
    },
  ];
}
