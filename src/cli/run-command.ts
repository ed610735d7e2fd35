// `idemchaos run`: scenario files → plans → runner → reporters → exit code.
import { findScenarioFiles } from '../scenario/discover.js';
import { formatMessages, type ScenarioMessage } from '../scenario/errors.js';
import { loadScenarios } from '../run/load.js';
import type { AttackId } from '../attacks/index.js';
import type { EngineName, Scenario, TemplateScope } from '../scenario/types.js';
import { planScenario, type PlanOptions, type ScenarioPlan } from '../plan/plan.js';
import { plannedRequests, requestBudget } from '../plan/requests.js';
import { selectShard } from '../plan/shard.js';
import { redactorForScenarios } from '../secrets/scenarios.js';
import type { Redactor } from '../secrets/redactor.js';
import type { TransportOptions } from '../model/http.js';
import type { RunResult } from '../model/results.js';
import { runPlans } from '../run/pipeline.js';
import { EXIT } from './exit-codes.js';
import { FlagError, reportSetupError } from './errors.js';
import { parseAttackList, parsePositiveInt, parseShardFlag, scopeFrom, transportOptions, type CommonFlags } from './options.js';
import { dryRunText, listText } from './preview.js';
import { checkReportPaths, exitAfterReporters, reportersFor } from './reporters.js';

export interface RunFlags extends CommonFlags {
  /** Repeatable: several instances of one deployment. */
  target?: string[];
}

export async function runCommand(paths: string[], flags: RunFlags): Promise<number> {
  try {
    const scope = scopeFrom(flags);
    const only = parseAttackList(flags.attack);
    const shard = parseShardFlag(flags.shard);
    const files = await findScenarioFiles(paths);
    const { scenarios, warnings, sources } = await loadScenarios(files, {
      scope,
      ...(flags.target?.length ? { targetOverride: flags.target.length === 1 ? flags.target[0]! : flags.target } : {}),
      ...(flags.preset ? { preset: flags.preset } : {}),
    });
    printWarnings(warnings, sources);
    let selected = scenarios;
    if (shard) {
      selected = selectShard(scenarios, shard);
      if (selected.length === 0) {
        process.stdout.write(`shard ${shard.index}/${shard.total} has no scenario (${scenarios.length} in all): nothing to run\n`);
        return EXIT.ok;
      }
    }
    const plans = planAll(selected, planOptions(flags, only));
    return await runOrPreview(plans, scope, await transportOptions(flags), flags, redactorForScenarios(selected, scope));
  } catch (err) {
    return reportSetupError(err);
  }
}

/** `--attack`, `--engine` and `--requests`: the flags win over the scenarios. */
export function planOptions(flags: CommonFlags, only: AttackId[] | undefined): PlanOptions {
  const requests = parsePositiveInt(flags.requests, '--requests');
  return {
    ...(only ? { only } : {}),
    ...(flags.engine ? { engine: flags.engine as EngineName } : {}),
    ...(requests !== undefined ? { requests } : {}),
  };
}

export function planAll(scenarios: Scenario[], options: PlanOptions): ScenarioPlan[] {
  return scenarios.map((s) => planScenario(s, options));
}

/** `--list`, `--dry-run` and `--max-requests` act here, before any connection; otherwise the run. */
export async function runOrPreview(
  plans: ScenarioPlan[],
  scope: TemplateScope,
  transport: TransportOptions,
  flags: CommonFlags,
  redact: Redactor,
): Promise<number> {
  if (flags.list) {
    process.stdout.write(listText(plans));
    return EXIT.ok;
  }
  const maxRequests = parsePositiveInt(flags.maxRequests, '--max-requests');
  if (maxRequests !== undefined) {
    const needed = plans.reduce((n, p) => n + requestBudget(plannedRequests(p, scope)), 0);
    if (needed > maxRequests) {
      throw new FlagError(`this run would send at least ${needed} requests, more than --max-requests ${maxRequests} (see --dry-run)`);
    }
  }
  if (flags.dryRun) {
    process.stdout.write(dryRunText(plans, scope, redact));
    return EXIT.ok;
  }
  await checkReportPaths(flags);
  const events = reportersFor(flags, redact);
  const result = await runPlans(plans, { scope, transport, onSecret: (value) => redact.add(value) }, events);
  return exitAfterReporters(exitCodeOf(result), events);
}

export function exitCodeOf(result: RunResult): number {
  if (result.summary.failed > 0) return EXIT.findings;
  if (result.summary.errored > 0) return EXIT.couldNotTest;
  return EXIT.ok;
}

function printWarnings(warnings: ScenarioMessage[], sources: Map<string, string>): void {
  if (warnings.length > 0) process.stderr.write(`${formatMessages(warnings, sources)}\n\n`);
}
