// `idemchaos run`: scenario files → plans → runner → reporters → exit code.
import { readFile } from 'node:fs/promises';
import { findScenarioFiles, UsageError } from '../scenario/discover.js';
import { formatMessages, ScenarioError, type ScenarioMessage } from '../scenario/errors.js';
import { loadScenarios } from '../scenario/load.js';
import { parseDuration } from '../scenario/duration.js';
import { renderString } from '../scenario/template.js';
import { ATTACK_IDS, type AttackId, type Scenario, type TemplateScope } from '../scenario/types.js';
import { planScenario, PlanError, type ScenarioPlan } from '../plan/plan.js';
import { newRun } from '../plan/render.js';
import { isSecretHeader, Redactor } from '../report/redact.js';
import { ReporterMultiplexer, type Reporter } from '../report/events.js';
import { TerminalReporter } from '../report/terminal.js';
import { JsonReporter } from '../report/json.js';
import type { TransportOptions } from '../engine/http/types.js';
import type { RunResult } from '../judge/types.js';
import { runPlans } from './runner.js';
import { EXIT } from './exit-codes.js';
import { toolInfo } from './version.js';

export interface RunFlags {
  target?: string;
  var?: string[];
  attack?: string;
  reportJson?: string;
  timeout: string;
  insecure?: boolean;
  ca?: string;
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  try {
    const scope: TemplateScope = { env: process.env, vars: parseVars(flags.var ?? []), secrets: {} };
    const transport = await transportOptions(flags);
    const only = parseAttackList(flags.attack);
    const files = await findScenarioFiles(paths);
    const { scenarios, warnings, sources } = await loadScenarios(files, {
      scope,
      ...(flags.target ? { targetOverride: flags.target } : {}),
    });
    printWarnings(warnings, sources);
    const plans = scenarios.map((s) => planScenario(s, only ? { only } : {}));
    const redact = redactorFor(scenarios, scope);
    const result = await execute(plans, { scope, transport }, redact, flags.reportJson);
    return exitCodeOf(result);
  } catch (err) {
    return reportSetupError(err);
  }
}

/** The terminal reporter plus whatever report files were asked for, then the run. */
export async function execute(
  plans: ScenarioPlan[],
  options: { scope: TemplateScope; transport: TransportOptions },
  redact: Redactor,
  reportJson: string | undefined,
  extra: Reporter[] = [],
): Promise<RunResult> {
  const out = process.stdout;
  const color = Boolean(out.isTTY) && !process.env['NO_COLOR'];
  const reporters: Reporter[] = [
    new TerminalReporter({ out, color, live: Boolean(out.isTTY) && !process.env['CI'], redact }),
    ...extra,
  ];
  if (reportJson) reporters.push(new JsonReporter(reportJson, toolInfo(), redact));
  const mux = new ReporterMultiplexer(reporters, (name, error) => {
    process.stderr.write(`idemchaos: the ${name} reporter failed and was stopped: ${(error as Error)?.message ?? error}\n`);
  });
  return runPlans(plans, options, mux);
}

export function exitCodeOf(result: RunResult): number {
  if (result.summary.failed > 0) return EXIT.findings;
  if (result.summary.errored > 0) return EXIT.couldNotTest;
  return EXIT.ok;
}

/** Bad input: a clear message on stderr and exit 2, never a stack trace. */
export function reportSetupError(err: unknown): number {
  if (err instanceof ScenarioError) {
    const sources = (err as ScenarioError & { sources?: Map<string, string> }).sources ?? new Map<string, string>();
    process.stderr.write(`${formatMessages([...err.messages, ...err.warnings], sources)}\n\n${err.message}\n`);
    return EXIT.usage;
  }
  if (err instanceof UsageError || err instanceof PlanError || err instanceof FlagError) {
    process.stderr.write(`idemchaos: ${err.message}\n`);
    return EXIT.usage;
  }
  throw err;
}

export class FlagError extends Error {}

function printWarnings(warnings: ScenarioMessage[], sources: Map<string, string>): void {
  if (warnings.length > 0) process.stderr.write(`${formatMessages(warnings, sources)}\n\n`);
}

function parseVars(pairs: string[]): Record<string, string> {
  const vars: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq < 1) throw new FlagError(`--var expects NAME=VALUE, got '${pair}'`);
    vars[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return vars;
}

export function parseAttackList(list: string | undefined): AttackId[] | undefined {
  if (list === undefined) return undefined;
  const ids = list.split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = ids.filter((id) => !(ATTACK_IDS as readonly string[]).includes(id));
  if (unknown.length > 0 || ids.length === 0) {
    throw new FlagError(`--attack: unknown attack '${unknown[0] ?? list}' (attacks: ${ATTACK_IDS.join(', ')})`);
  }
  return ids as AttackId[];
}

async function transportOptions(flags: RunFlags): Promise<TransportOptions> {
  let timeoutMs: number;
  try {
    timeoutMs = parseDuration(flags.timeout);
  } catch (err) {
    throw new FlagError(`--timeout: ${(err as Error).message}`);
  }
  if (!(timeoutMs > 0)) throw new FlagError('--timeout must be more than 0');
  const options: TransportOptions = { timeoutMs };
  if (flags.insecure) options.insecure = true;
  if (flags.ca) {
    try {
      options.ca = await readFile(flags.ca);
    } catch (err) {
      throw new FlagError(`--ca: cannot read ${flags.ca}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  }
  return options;
}

/** Declared secrets and the values of credential headers, masked wherever they show up. */
export function redactorFor(scenarios: Scenario[], scope: TemplateScope): Redactor {
  const values = new Set(Object.values(scope.secrets));
  const ctx = { scope, run: newRun() };
  for (const s of scenarios) {
    for (const [name, value] of Object.entries(s.request.headers)) {
      if (!isSecretHeader(name)) continue;
      const rendered = renderString(value, ctx);
      values.add(rendered);
      const token = /^\S+\s+(\S.*)$/.exec(rendered)?.[1];
      if (token) values.add(token);
    }
  }
  return new Redactor(values);
}
