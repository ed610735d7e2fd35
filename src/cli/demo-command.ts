// `idemchaos demo`: the embedded orders API, once correct and once per bug,
// each attacked with the bundled scenarios, a few modes at a time.
import { fileURLToPath } from 'node:url';
import { Chalk } from 'chalk';
import Table from 'cli-table3';
import { findScenarioFiles } from '../scenario/discover.js';
import { loadScenarios } from '../run/load.js';
import { parseDuration } from '../scenario/duration.js';
import { planScenario } from '../plan/plan.js';
import { ATTACK_IDS } from '../attacks/index.js';
import type { TemplateScope } from '../scenario/types.js';
import { runPlans, SILENT } from '../run/pipeline.js';
import { jsonReport } from '../report/json.js';
import { Redactor } from '../secrets/redactor.js';
import { reportSetupError } from './errors.js';
import { toolInfo } from './version.js';
import { EXIT } from './exit-codes.js';
import { runOk, summarize, type RunResult, type ScenarioResult } from '../model/results.js';
import { DEMO_MODES, isDemoMode, startDemo, type DemoMode } from '../demo/server.js';
import { writeFile } from 'node:fs/promises';
import { forEachLimited } from '../engine/transport/burst.js';
import path from 'node:path';
import { commandName } from './invocation.js';
import { shellQuote } from './shell.js';

const SCENARIO_DIR = fileURLToPath(new URL('../../../scenarios/', import.meta.url));
/** Short enough to keep the demo near half a minute, long enough for a busy machine. */
const DEMO_LATENCY_MS = 50;
/** Modes attacked at the same time. */
const MODES_AT_ONCE = 8;

export async function demoCommand(flags: { reportJson?: string }): Promise<number> {
  const out = process.stdout;
  const c = new Chalk({ level: out.isTTY && !process.env['NO_COLOR'] ? 1 : 0 });
  try {
    const scope: TemplateScope = { env: {}, vars: {}, secrets: {} };
    const files = await findScenarioFiles([SCENARIO_DIR]);
    // The target is each demo server's URL, filled in per mode below.
    const { scenarios } = await loadScenarios(files, { scope, targetOverride: 'http://127.0.0.1:1' });
    out.write(
      `${c.bold('idemchaos demo')}: the embedded orders API, started once correct and once per bug,\n` +
        `attacked with ${files.length} bundled scenario file${files.length === 1 ? '' : 's'} (${scenarios.length} scenario${scenarios.length === 1 ? '' : 's'}), all modes in parallel.\n\n`,
    );
    const t0 = Date.now();
    const perMode: { mode: DemoMode; results: ScenarioResult[] }[] = [];
    // A few modes at a time: fifteen bursts at once on a small machine spread
    // the duplicates so far apart that timing-sensitive modes look different.
    await forEachLimited(DEMO_MODES.length, MODES_AT_ONCE, async (i) => {
        const { mode } = DEMO_MODES[i]!;
        const results: ScenarioResult[] = [];
        for (const scenario of scenarios) {
          // A key store per instance only shows across instances.
          const instances = mode === 'per-instance-store' ? 2 : 1;
          const server = await startDemo({ bug: mode, latencyMs: DEMO_LATENCY_MS, ttlMs: scenario.idempotency.ttlMs ?? 2000, instances });
          try {
            const plan = planScenario({ ...scenario, target: server.url, ...(instances > 1 ? { targets: server.urls } : {}) });
            const run = await runPlans([plan], { scope, transport: { timeoutMs: 10_000 } }, SILENT);
            results.push(...run.scenarios.map((s) => ({ ...s, name: `${s.name} [${mode}]` })));
          } finally {
            await server.close();
          }
        }
        out.write(`  ${c.dim('done')} ${mode} ${c.dim(`(${((Date.now() - t0) / 1000).toFixed(1)}s)`)}\n`);
        perMode[i] = { mode, results };
    });

    out.write('\nThe modes:\n');
    const width = Math.max(...DEMO_MODES.map((m) => m.mode.length));
    for (const { mode, description } of DEMO_MODES) out.write(`  ${c.bold(mode.padEnd(width))} ${description}\n`);
    out.write(`\n${renderTable(perMode, c)}\n`);
    for (const { mode, results } of perMode) {
      for (const s of results) {
        for (const a of s.attacks) {
          for (const f of a.findings) out.write(`${c.red(`✖ ${mode} › ${a.attack}: ${f.kind}`)}  ${f.message}\n`);
          if (a.verdict === 'error') out.write(`${c.yellow(`! ${mode} › ${a.attack}: could not test`)}  ${a.reason}\n`);
        }
      }
    }
    const correct = perMode.find((m) => m.mode === 'correct')!;
    const falseAlarm = correct.results.some((s) => s.attacks.some((a) => a.verdict !== 'pass' && a.verdict !== 'skip'));
    if (falseAlarm) out.write(`\n${c.yellow('warning: the correct mode did not pass every attack; this machine may be overloaded')}\n`);
    // Commands that work from here: how idemchaos was run, and its bundled scenarios from the working directory.
    const command = commandName();
    const rel = path.relative(process.cwd(), SCENARIO_DIR);
    const bundled = shellQuote(rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? `${rel}/` : SCENARIO_DIR);
    out.write(
      `\nEvery finding above comes with full evidence (requests, responses, oracle counts, diffs) in a real run:\n` +
        `  ${command} serve-demo --bug race        # in one terminal; prints its URL\n` +
        `  ${command} run ${bundled} --target <url> --report-json report.json\n`,
    );
    if (flags.reportJson) {
      const scenariosAll = perMode.flatMap((m) => m.results);
      const summary = summarize(scenariosAll);
      const combined: RunResult = {
        startedAt: new Date(t0).toISOString(),
        durationMs: Date.now() - t0,
        scenarios: scenariosAll,
        summary,
        ok: runOk(summary),
      };
      await writeFile(flags.reportJson, JSON.stringify(jsonReport(new Redactor().run(combined), toolInfo()), null, 2) + '\n');
    }
    return EXIT.ok;
  } catch (err) {
    return reportSetupError(err);
  }
}

function renderTable(perMode: { mode: DemoMode; results: ScenarioResult[] }[], c: InstanceType<typeof Chalk>): string {
  const table = new Table({ head: ['mode', 'scenario', ...ATTACK_IDS], style: { head: [], border: [] } });
  for (const { mode, results } of perMode) {
    for (const s of results) {
      table.push([
        mode,
        s.name.replace(/ \[[^\]]+\]$/, ''),
        ...ATTACK_IDS.map((id) => {
          const a = s.attacks.find((x) => x.attack === id);
          if (!a) return '';
          if (a.verdict === 'fail') return c.red(a.findings.map((f) => f.kind).join('\n'));
          return { pass: c.green('pass'), error: c.yellow('error'), skip: c.dim('skip') }[a.verdict];
        }),
      ]);
    }
  }
  return table.toString();
}

export async function serveDemoCommand(flags: { bug: string; port: string; latency: string; ttl: string; instances: string }): Promise<number> {
  if (!isDemoMode(flags.bug)) {
    process.stderr.write(`idemchaos: --bug: unknown mode '${flags.bug}' (modes: ${DEMO_MODES.map((m) => m.mode).join(', ')})\n`);
    return EXIT.usage;
  }
  let latencyMs: number;
  let ttlMs: number;
  try {
    latencyMs = parseDuration(flags.latency);
    ttlMs = parseDuration(flags.ttl);
  } catch (err) {
    process.stderr.write(`idemchaos: ${(err as Error).message}\n`);
    return EXIT.usage;
  }
  const port = Number(flags.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`idemchaos: --port: expected a port number, got '${flags.port}'\n`);
    return EXIT.usage;
  }
  const instances = Number(flags.instances);
  if (!Number.isInteger(instances) || instances < 1) {
    process.stderr.write(`idemchaos: --instances: expected a whole number of at least 1, got '${flags.instances}'\n`);
    return EXIT.usage;
  }
  if (port !== 0 && port + instances - 1 > 65535) {
    process.stderr.write(`idemchaos: --port: ${port} leaves no room for ${instances} consecutive ports\n`);
    return EXIT.usage;
  }
  const server = await startDemo({ bug: flags.bug, port, latencyMs, ttlMs, instances });
  const description = DEMO_MODES.find((m) => m.mode === flags.bug)!.description;
  process.stdout.write(`demo orders API (${flags.bug}: ${description})\nlistening on ${server.urls.join(', ')}  (Ctrl-C to stop)\nits OpenAPI description: ${server.url}/openapi.json  (idemchaos init --from it)\n`);
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  return EXIT.ok;
}
