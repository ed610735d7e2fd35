// `npm run soak`: the false-alarm soak. Every bundled scenario with every
// attack, and the express-idempotency fixture scenarios with theirs, run
// round after round against servers that handle keys correctly, each in a
// process of its own. Any finding is a false alarm of the judge (or of an
// attack), and is printed with its evidence; any attack that could not test
// a correct server is printed too.
//
//   --rounds N          rounds (default 50; IDEMCHAOS_SOAK_ROUNDS)
//   --max-seconds S     start no round after S seconds (default none;
//                       IDEMCHAOS_SOAK_MAX_SECONDS): CI runs a short soak
//   --targets a,b       demo, demo-2, express (default: all three)
//   --json FILE         also save every attack result (verdict, ms, findings)
//   --workers N         as the CLI's flag; default: odd rounds with the CLI's
//                       default (the CPUs: attacks of a scenario side by
//                       side), even rounds with 1 (one after the other)
//
// Exit 0: no finding, no error. 1: a finding (a false alarm). 3: no finding,
// but an attack could not test a correct server. 2: bad arguments.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ATTACK_IDS, type AttackId } from '../src/attacks/index.js';
import type { AttackResult } from '../src/model/results.js';
import { planScenario } from '../src/plan/plan.js';
import { loadScenarios } from '../src/run/load.js';
import { runPlans, SILENT } from '../src/run/pipeline.js';
import { findScenarioFiles } from '../src/scenario/discover.js';
import { killAllChildren, startChild } from './proc.js';
import { max, median } from './stats.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface ScenarioRun {
  /** Relative to the repository. */
  file: string;
  /** The attacks to run; undefined: those the scenario lists (all when it lists none). */
  only?: AttackId[];
}

interface Target {
  name: string;
  /** What bench/target.ts's server role starts. */
  server: { kind: 'demo' | 'express'; instances?: number; latencyMs?: number };
  scenarios: () => Promise<ScenarioRun[]>;
  /** Attacks left out here, and why; shown in the summary. */
  leftOut?: string;
}

const bundled = async (): Promise<ScenarioRun[]> =>
  (await findScenarioFiles([path.join(ROOT, 'scenarios')])).map((file) => ({ file: path.relative(ROOT, file), only: [...ATTACK_IDS] }));

const TARGETS: Target[] = [
  // The demo's defaults (50 ms per create, keys kept 2 s) are what the bundled scenario's ttl: 2s documents.
  { name: 'demo', server: { kind: 'demo' }, scenarios: bundled },
  { name: 'demo-2', server: { kind: 'demo', instances: 2 }, scenarios: bundled },
  {
    name: 'express',
    // The latency of test/e2e/foreign.test.ts: well past the drop attack's cut grace.
    server: { kind: 'express', latencyMs: 150 },
    scenarios: async () => [
      { file: 'test/fixtures/express-orders.yaml' },
      { file: 'test/fixtures/express-callers.yaml', only: ['missing-key', 'other-operation', 'expiry-burst', 'error-retry'] },
    ],
    leftOut:
      "tenant: express-idempotency's keys are one global namespace, so bob is replayed alice's order, a real tenant-leak (test/e2e/foreign.test.ts), not a false alarm",
  },
];

interface Args {
  rounds: number;
  maxSeconds: number;
  targets: Target[];
  json?: string;
  workers?: number;
}

function usage(message: string): never {
  process.stderr.write(`soak: ${message}\n`);
  process.exit(2);
}

function positive(text: string | undefined, name: string): number {
  const n = Number(text);
  if (!(Number.isFinite(n) && n > 0)) usage(`${name} must be a positive number, got ${JSON.stringify(text)}`);
  return n;
}

function parseArgs(argv: string[]): Args {
  const env = process.env;
  const args: Args = {
    rounds: env.IDEMCHAOS_SOAK_ROUNDS ? Math.floor(positive(env.IDEMCHAOS_SOAK_ROUNDS, 'IDEMCHAOS_SOAK_ROUNDS')) : 50,
    maxSeconds: env.IDEMCHAOS_SOAK_MAX_SECONDS ? positive(env.IDEMCHAOS_SOAK_MAX_SECONDS, 'IDEMCHAOS_SOAK_MAX_SECONDS') : Infinity,
    targets: TARGETS,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = (): string => argv[++i] ?? usage(`${a} needs a value`);
    if (a === '--rounds') args.rounds = Math.floor(positive(value(), '--rounds'));
    else if (a === '--max-seconds') args.maxSeconds = positive(value(), '--max-seconds');
    else if (a === '--json') args.json = value();
    else if (a === '--workers') args.workers = Math.floor(positive(value(), '--workers'));
    else if (a === '--targets') {
      const names = value().split(',').filter(Boolean);
      args.targets = names.map((n) => TARGETS.find((t) => t.name === n) ?? usage(`unknown target ${n} (known: ${TARGETS.map((t) => t.name).join(', ')})`));
    } else usage(`unknown argument ${a}`);
  }
  return args;
}

/** One attack result of one round, as the summary and --json keep it. */
interface Row {
  round: number;
  target: string;
  file: string;
  scenario: string;
  attack: string;
  verdict: AttackResult['verdict'];
  durationMs: number;
  reason?: string;
  findings: { kind: string; message: string }[];
}

/** Starts the target's server, runs each of its scenarios once, stops the server. */
async function round(target: Target, n: number, workers: number, log: (line: string) => void): Promise<Row[]> {
  const child = await startChild('server', target.server);
  const rows: Row[] = [];
  try {
    const urls = child.info.urls as string[];
    for (const run of await target.scenarios()) {
      const scope = { env: {}, vars: {}, secrets: {} };
      const { scenarios } = await loadScenarios([path.join(ROOT, run.file)], { scope, targetOverride: urls.length === 1 ? urls[0]! : urls });
      const plans = scenarios.map((s) => planScenario(s, run.only ? { only: run.only } : {}));
      // The CLI's default bound per request.
      const result = await runPlans(plans, { scope, transport: { timeoutMs: 10_000 }, workers }, SILENT);
      for (const s of result.scenarios) {
        for (const a of s.attacks) {
          const row: Row = {
            round: n,
            target: target.name,
            file: run.file,
            scenario: s.name,
            attack: a.attack,
            verdict: a.verdict,
            durationMs: a.durationMs,
            findings: a.findings.map((f) => ({ kind: f.kind, message: f.message })),
          };
          if (a.reason) row.reason = a.reason;
          rows.push(row);
          if (a.verdict === 'fail') {
            log(`FALSE ALARM  round ${n}, ${target.name}, ${run.file} '${s.name}', ${a.attack}:`);
            for (const f of a.findings) log(`  ${f.kind}: ${f.message.split('\n').join('\n    ')}`);
            log(`  metrics: ${JSON.stringify(a.metrics)}`);
          } else if (a.verdict === 'error') {
            log(`COULD NOT TEST  round ${n}, ${target.name}, ${run.file} '${s.name}', ${a.attack}: ${a.reason ?? '(no reason)'}`);
          }
        }
      }
    }
  } finally {
    await child.stop();
  }
  return rows;
}

function summaryTable(rows: Row[], targets: Target[]): string {
  const lines = ['| target | attack | runs | pass | fail | error | skip | median ms | max ms |', '|---|---|--:|--:|--:|--:|--:|--:|--:|'];
  for (const target of targets) {
    const mine = rows.filter((r) => r.target === target.name);
    const attacks = [...new Set(mine.map((r) => r.attack))];
    for (const attack of attacks) {
      const of = mine.filter((r) => r.attack === attack);
      const count = (v: Row['verdict']) => of.filter((r) => r.verdict === v).length;
      const ms = of.filter((r) => r.verdict !== 'skip').map((r) => r.durationMs);
      const show = (v: number | null) => (v === null ? '–' : String(Math.round(v)));
      lines.push(`| ${target.name} | ${attack} | ${of.length} | ${count('pass')} | ${count('fail')} | ${count('error')} | ${count('skip')} | ${show(median(ms))} | ${show(max(ms))} |`);
    }
  }
  return lines.join('\n');
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const log = (line: string) => process.stdout.write(`${line}\n`);
  const t0 = Date.now();
  const elapsed = () => (Date.now() - t0) / 1000;
  log(`soak: ${args.rounds} round${args.rounds === 1 ? '' : 's'} of ${args.targets.map((t) => t.name).join(', ')}${Number.isFinite(args.maxSeconds) ? `, no round started after ${args.maxSeconds} s` : ''}`);
  const rows: Row[] = [];
  let done = 0;
  for (let n = 1; n <= args.rounds; n++) {
    if (elapsed() >= args.maxSeconds) {
      log(`stopping after ${done} round${done === 1 ? '' : 's'}: ${Math.round(elapsed())} s is past --max-seconds ${args.maxSeconds}`);
      break;
    }
    const started = Date.now();
    const parts: string[] = [];
    for (const target of args.targets) {
      const got = await round(target, n, args.workers ?? (n % 2 === 1 ? os.availableParallelism() : 1), log);
      rows.push(...got);
      const bad = got.filter((r) => r.verdict === 'fail' || r.verdict === 'error').length;
      parts.push(`${target.name} ${got.filter((r) => r.verdict === 'pass').length} pass${bad ? `, ${bad} NOT` : ''}`);
    }
    done = n;
    log(`round ${n}/${args.rounds}: ${parts.join(' · ')} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
  }

  const fails = rows.filter((r) => r.verdict === 'fail');
  const errors = rows.filter((r) => r.verdict === 'error');
  log('');
  log(summaryTable(rows, args.targets));
  for (const t of args.targets) if (t.leftOut) log(`\n${t.name} leaves out ${t.leftOut}.`);
  log('');
  log(
    `${done} round${done === 1 ? '' : 's'} in ${Math.round(elapsed())} s: ${rows.length} attack runs, ` +
      `${fails.length} with findings (false alarms), ${errors.length} could not test`,
  );
  // The plain closing line CI's log reader counts.
  log(`soak: ${rows.filter((r) => r.verdict === 'pass').length} passed, ${fails.length + errors.length} failed, ${rows.filter((r) => r.verdict === 'skip').length} skipped`);
  if (args.json) fs.writeFileSync(args.json, `${JSON.stringify({ rounds: done, seconds: Math.round(elapsed()), rows }, null, 2)}\n`);
  if (done === 0) return 3;
  return fails.length > 0 ? 1 : errors.length > 0 ? 3 : 0;
}

main().then(
  (code) => {
    killAllChildren();
    process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`soak: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    killAllChildren();
    process.exit(3);
  },
);
