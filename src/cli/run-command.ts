// `idemchaos run`: scenario files → plans → runner → reporters → exit code.
import { findScenarioFiles } from '../scenario/discover.js';
import { formatMessages, type ScenarioMessage } from '../scenario/errors.js';
import { loadScenarios } from '../run/load.js';
import type { AttackId } from '../attacks/index.js';
import type { EngineName, Scenario, TemplateScope } from '../scenario/types.js';
import { planScenario, type PlanOptions, type ScenarioPlan } from '../plan/plan.js';
import { conditionalRequests, plannedRequests, requestBudget } from '../plan/requests.js';
import { selectShard } from '../plan/shard.js';
import { redactorForScenarios } from '../secrets/scenarios.js';
import type { Redactor } from '../secrets/redactor.js';
import type { TransportOptions } from '../model/http.js';
import type { RunResult } from '../model/results.js';
import { runPlans } from '../run/pipeline.js';
import { EXIT } from './exit-codes.js';
import { location } from '../model/text.js';
import { FlagError, reportSetupError } from './errors.js';
import { parseAttackList, parsePositiveInt, parseShardFlag, parseWorkers, scopeFrom, transportOptions, type CommonFlags } from './options.js';
import { dryRunText, listText } from './preview.js';
import { checkReportPaths, exitAfterReporters, reportersFor } from './reporters.js';
import { interruptOnSignals } from './interrupt.js';

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
    // Flags first: a bad one is the whole answer, without the note.
    const transport = await transportOptions(flags);
    const note = responseOnlyNote(plans);
    if (note) process.stderr.write(note);
    return await runOrPreview(plans, scope, transport, flags, redactorForScenarios(selected, scope));
  } catch (err) {
    return reportSetupError(err);
  }
}

/** What response-only verdicts cannot see; `probe` without `--count` says the same. */
export const RESPONSE_ONLY_MISSES =
  'duplicates hidden behind identical responses, an effect lost behind a success answer, and an effect of a request cut mid-body cannot be seen';

/**
 * One note for the whole run, naming the scenarios without an oracle whose
 * attacks will run; undefined when every such scenario has one.
 */
export function responseOnlyNote(plans: ScenarioPlan[]): string | undefined {
  const blind = plans.filter((p) => p.responseOnly && p.attacks.some((a) => !a.skip)).map((p) => p.scenario);
  if (blind.length === 0) return undefined;
  const shown = blind.slice(0, 3).map((s) => `'${s.name}' (${location(s.file, s.pos.line)})`);
  const more = blind.length > 3 ? ` and ${blind.length - 3} more` : '';
  const which = plans.length === 1 ? 'the scenario' : blind.length === 1 ? 'scenario' : 'scenarios';
  const its = blind.length === 1 ? 'its' : 'their';
  return `note: ${which} ${shown.join(', ')}${more} declare${blind.length === 1 ? 's' : ''} no side-effect oracle (effects.count), so ${its} verdicts are response-only: ${RESPONSE_ONLY_MISSES}
`;
}

/** `--attack`, `--engine`, `--requests` and `--repeat`: the flags win over the scenarios. */
export function planOptions(flags: CommonFlags, only: AttackId[] | undefined): PlanOptions {
  const requests = parsePositiveInt(flags.requests, '--requests');
  const repeat = parsePositiveInt(flags.repeat, '--repeat');
  return {
    ...(only ? { only } : {}),
    ...(repeat !== undefined ? { repeat } : {}),
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
  const workers = parseWorkers(flags.workers);
  if (maxRequests !== undefined) {
    // A cap: steps sent only if the run's measurements say so count as sent.
    const planned = plans.map((p) => plannedRequests(p, scope));
    const atLeast = planned.reduce((n, p) => n + requestBudget(p), 0);
    const needed = atLeast + planned.reduce((n, p) => n + conditionalRequests(p), 0);
    if (needed > maxRequests) {
      const what = needed > atLeast ? `may send ${needed} requests (at least ${atLeast}, ${needed} if every step marked "if" runs)` : `would send at least ${needed} requests`;
      throw new FlagError(`this run ${what}, more than --max-requests ${maxRequests} (see --dry-run)`);
    }
  }
  if (flags.dryRun) {
    process.stdout.write(dryRunText(plans, scope, redact));
    return EXIT.ok;
  }
  await checkReportPaths(flags);
  const events = reportersFor(flags, redact);
  const interruption = interruptOnSignals();
  let result: RunResult;
  try {
    result = await runPlans(plans, { scope, transport, workers, onSecret: (value) => redact.add(value), signal: interruption.signal }, events);
  } finally {
    interruption.dispose();
  }
  // Interrupted, the run's verdict is incomplete whatever it says: 130 or 143, as a shell would report it.
  return interruption.exitCode ?? exitAfterReporters(exitCodeOf(result), events);
}

export function exitCodeOf(result: RunResult): number {
  if (result.summary.failed > 0) return EXIT.findings;
  if (result.summary.errored > 0) return EXIT.couldNotTest;
  return EXIT.ok;
}

function printWarnings(warnings: ScenarioMessage[], sources: Map<string, string>): void {
  if (warnings.length > 0) process.stderr.write(`${formatMessages(warnings, sources)}\n\n`);
}
