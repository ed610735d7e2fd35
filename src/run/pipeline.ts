// The pipeline of a run, for `run`, `probe`, `demo` and the tests: plans in,
// setup, each attack executed and judged, teardown, events out. It decides
// nothing itself; it only sequences and times.
import { HttpClient } from '../engine/http/client.js';
import { now, type Exchange, type TransportOptions } from '../model/http.js';
import { Oracle } from '../engine/oracle.js';
import { runSetup, runTeardown, type StepsEnv } from '../engine/setup.js';
import { CannotTest } from '../model/errors.js';
import type { AttackEnv } from '../attacks/contract.js';
import { attackById } from '../attacks/index.js';
import { bySeverity, retainedResult, runOk, summarize, type AttackResult, type RunResult, type ScenarioResult } from '../model/results.js';
import { newRun, renderInstances } from '../scenario/render.js';
import type { AttackPlan, ScenarioPlan } from '../plan/plan.js';
import type { TemplateScope } from '../scenario/types.js';
import type { EventSink, ScenarioRef } from '../model/events.js';
import { repeated } from './repeat.js';
import { INTERRUPTED } from '../model/errors.js';
import { forEachLimited } from '../engine/transport/burst.js';
import { burstLock, type Exclusive } from './burst-lock.js';
import { Sequencer, type Lane } from './sequencer.js';
import { announceInterruption, interruptedResult, NOT_STARTED, teardownClient, untilInterrupted, withSignal } from './interrupt.js';

export interface RunnerOptions {
  scope: TemplateScope;
  transport: TransportOptions;
  /** Told every value a setup step captured under a secret name, before anything shows it (the reporters' redactor). */
  onSecret?: (value: string) => void;
  /**
   * Aborting it interrupts the run: nothing new starts, what is in flight
   * ends (sockets closed, command oracles killed) as "interrupted", teardown
   * still runs (bounded), and the result has `interrupted: true`. See interrupt.ts.
   */
  signal?: AbortSignal;
  /**
   * Scenarios run at the same time (default 1: one after the other, each
   * attack after the one before). Above 1, the attacks of a scenario run
   * at the same time too (each has its own keys and run ids, and the oracle
   * counts only its run), bursts never overlap on one target, and the
   * events still come in file order (see sequencer.ts).
   */
  workers?: number;
}

/** For runs whose events nobody watches (the demo's modes, tests). */
export const SILENT: EventSink = { emit: async () => undefined };

export async function runPlans(plans: ScenarioPlan[], options: RunnerOptions, events: EventSink): Promise<RunResult> {
  const startedAt = new Date();
  const t0 = now();
  const workers = Math.max(1, Math.floor(options.workers ?? 1));
  const sequencer = new Sequencer(events, workers > 1);
  await sequencer.direct.emit({
    type: 'run-begin',
    scenarios: plans.map((p) => ({ ref: refOf(p), attacks: p.attacks.map((a) => a.id) })),
  });
  // Every lane up front, in file order: a scenario's start, its attacks, its end.
  const lanes = plans.map((plan) => ({ start: sequencer.lane(), attacks: plan.attacks.map(() => sequencer.lane()), end: sequencer.lane() }));
  const shared: Shared = { parallel: workers > 1, exclusive: burstLock() };
  const scenarios: ScenarioResult[] = [];
  const stopAnnouncing = announceInterruption(options.signal, sequencer.direct);
  await forEachLimited(plans.length, workers, async (i) => {
    const plan = plans[i]!;
    if (options.signal?.aborted) {
      scenarios[i] = notStarted(plan, options);
      for (const lane of [lanes[i]!.start, ...lanes[i]!.attacks, lanes[i]!.end]) lane.close();
    } else {
      scenarios[i] = await runScenario(plan, options, lanes[i]!, shared);
    }
  });
  stopAnnouncing();
  await sequencer.drained();
  const summary = summarize(scenarios);
  const result: RunResult = {
    startedAt: startedAt.toISOString(),
    durationMs: Math.round(now() - t0),
    scenarios,
    summary,
    ok: runOk(summary),
  };
  if (options.signal?.aborted) result.interrupted = true;
  await sequencer.direct.emit({ type: 'run-end', result });
  return result;
}

/** What the scenarios of one run share. */
interface Shared {
  /** The attacks of a scenario at the same time (--workers above 1). */
  parallel: boolean;
  exclusive: Exclusive;
}

interface ScenarioLanes {
  start: Lane;
  attacks: Lane[];
  end: Lane;
}

async function runScenario(plan: ScenarioPlan, options: RunnerOptions, lanes: ScenarioLanes, shared: Shared): Promise<ScenarioResult> {
  const { scenario } = plan;
  const ref = refOf(plan);
  const instances = renderInstances(scenario, { scope: options.scope, run: newRun() });
  const target = instances[0]!;
  await lanes.start.emit({ type: 'scenario-begin', scenario: ref, target });
  const client = new HttpClient(withSignal(options.transport, options.signal));
  const attacks: AttackResult[] = [];
  let unreachable: string | undefined;
  // Setup and teardown only when some attack runs; teardown also after failures.
  const steps: StepsEnv = {
    scenario,
    scope: options.scope,
    client,
    run: newRun(),
    onSecret: (value) => options.onSecret?.(value),
  };
  const runnable = plan.attacks.some((a) => !a.skip);
  let captures: Record<string, string> = {};
  let setupFailure: CannotTest | undefined;
  try {
    if (runnable && scenario.setup?.length) {
      try {
        const setup = await runSetup(steps);
        captures = setup.captures;
        setupFailure = setup.failure;
      } catch (err) {
        setupFailure = new CannotTest(`internal error in idemchaos during setup: ${(err as Error)?.stack ?? String(err)}`);
      }
    }
    lanes.start.close();
    const one = async (j: number): Promise<void> => {
      const attack = plan.attacks[j]!;
      const lane = lanes.attacks[j]!;
      if (options.signal?.aborted) {
        attacks[j] = interruptedResult(attack, plan, 0, NOT_STARTED);
        lane.close();
        return;
      }
      await lane.emit({ type: 'attack-begin', scenario: ref, attack: attack.id });
      const result = setupFailure && !attack.skip
        ? setupErrorResult(attack, plan, setupFailure)
        : unreachable
        ? { ...errorResult(attack, plan, 0, unreachable), unreachable: true }
        : await repeated(plan.repeat ?? 1, (before) => runAttack(plan, attack, options, { client, instances, captures, exclusive: shared.exclusive }, (sent, exchanges) => {
            for (const exchange of exchanges) void lane.emit({ type: 'exchange', scenario: ref, attack: attack.id, exchange });
            void lane.emit({ type: 'attack-progress', scenario: ref, attack: attack.id, requestsSent: before + sent });
          }, (what, until) => void lane.emit({ type: 'attack-wait', scenario: ref, attack: attack.id, what, until })).then(retainedResult));
      // An unreachable target fails every attack the same way: say so once, fast.
      if (result.unreachable) unreachable = result.reason;
      attacks[j] = result;
      await lane.emit({ type: 'attack-end', scenario: ref, result });
      lane.close();
    };
    if (shared.parallel) await Promise.all(plan.attacks.map((_, j) => one(j)));
    else for (let j = 0; j < plan.attacks.length; j++) await one(j);
  } finally {
    // A setup that threw past its own handling, or an attack that did: the lanes must still close.
    lanes.start.close();
    for (const lane of lanes.attacks) lane.close();
    try {
      if (runnable && scenario.teardown?.length) {
        const teardown = teardownClient(options.transport, options.signal);
        try {
          for (const message of await runTeardown({ ...steps, client: teardown.client }, captures)) await lanes.end.emit({ type: 'warning', message });
        } finally {
          await teardown.dispose();
        }
      }
    } finally {
      await client.close();
    }
  }
  const result: ScenarioResult = { name: scenario.name, file: scenario.file, line: scenario.pos.line, target, attacks, attackLines: scenario.attackLines };
  if (setupFailure) result.error = setupFailure.message;
  await lanes.end.emit({ type: 'scenario-end', scenario: ref, result });
  lanes.end.close();
  return result;
}

/** What an attack run shares with the other attacks of its scenario. */
interface AttackShared {
  client: HttpClient;
  instances: string[];
  captures: Record<string, string>;
  exclusive: Exclusive;
}

async function runAttack(
  plan: ScenarioPlan,
  attack: AttackPlan,
  options: RunnerOptions,
  { client, instances, captures, exclusive }: AttackShared,
  progress: (sent: number, exchanges: Exchange[]) => void,
  waiting: (what: string, untilMs: number) => void,
): Promise<AttackResult> {
  const base = { attack: attack.id, responseOnly: plan.responseOnly, metrics: {}, findings: [] };
  if (attack.skip) return { ...base, verdict: 'skip', reason: attack.skip, durationMs: 0 };
  const t0 = now();
  let sent = 0;
  const recorded: Exchange[] = [];
  const { signal } = options;
  const env: AttackEnv = {
    scenario: plan.scenario,
    scope: options.scope,
    client,
    transport: withSignal(options.transport, signal),
    instances,
    oracle: Oracle.for(plan.scenario, client, { signal }),
    signal,
    captures,
    record: (...exchanges) => (recorded.push(...exchanges), progress((sent += exchanges.length), exchanges)),
    waiting,
    exclusive,
  };
  try {
    const module = attackById(attack.id)!;
    const observation = await untilInterrupted(module.execute(env, attack.config), signal);
    // Cut short, its observation is partial: judged, it could show findings that are not there.
    if (signal?.aborted) return interruptedResult(attack, plan, now() - t0, INTERRUPTED, { exchanges: [...recorded] });
    const judged = module.judge(observation, { scenario: plan.scenario, baseUrl: instances[0]! });
    const { metrics } = judged;
    const findings = bySeverity(judged.findings);
    const durationMs = Math.round(now() - t0);
    const evidence = findings.length > 0 ? {} : { evidence: { exchanges: recorded } };
    return { ...base, verdict: findings.length > 0 ? 'fail' : 'pass', durationMs, metrics: { ...metrics, requestsSent: sent }, findings, ...evidence };
  } catch (err) {
    if (signal?.aborted) return interruptedResult(attack, plan, now() - t0, INTERRUPTED, { exchanges: [...recorded] });
    if (!(err instanceof CannotTest)) {
      // A bug of ours must not hide the other attacks' verdicts.
      return errorResult(attack, plan, now() - t0, `internal error in idemchaos: ${(err as Error)?.stack ?? String(err)}`);
    }
    const result: AttackResult = { ...errorResult(attack, plan, now() - t0, err.message), errorEvidence: { exchanges: err.exchanges } };
    if (err.transport === 'connect' || err.transport === 'tls') result.unreachable = true;
    return result;
  }
}

/** A failed setup step: the attack could not be tested; the step's exchange is the evidence. */
function setupErrorResult(attack: AttackPlan, plan: ScenarioPlan, failure: CannotTest): AttackResult {
  const result: AttackResult = { ...errorResult(attack, plan, 0, failure.message), errorEvidence: { exchanges: failure.exchanges } };
  if (failure.transport === 'connect' || failure.transport === 'tls') result.unreachable = true;
  return result;
}

function errorResult(attack: AttackPlan, plan: ScenarioPlan, ms: number, reason: string): AttackResult {
  return {
    attack: attack.id,
    verdict: 'error',
    reason,
    responseOnly: plan.responseOnly,
    durationMs: Math.round(ms),
    metrics: {},
    findings: [],
  };
}

/** A scenario the interrupted run never reached: every attack of it "interrupted before it started", no events. */
function notStarted(plan: ScenarioPlan, options: RunnerOptions): ScenarioResult {
  const { scenario } = plan;
  const target = renderInstances(scenario, { scope: options.scope, run: newRun() })[0]!;
  const attacks = plan.attacks.map((attack) => interruptedResult(attack, plan, 0, NOT_STARTED));
  return { name: scenario.name, file: scenario.file, line: scenario.pos.line, target, attacks, attackLines: scenario.attackLines };
}

function refOf(plan: ScenarioPlan): ScenarioRef {
  return { name: plan.scenario.name, file: plan.scenario.file, line: plan.scenario.pos.line };
}
