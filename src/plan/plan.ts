// Decides, per scenario, which attacks run with which settings, and which are
// skipped and why. Pure: no I/O, so `--list` and `--dry-run` can use it too.
import { IdemchaosError } from '../model/errors.js';
import { ANY_ATTACKS, ATTACK_IDS, type AttackConfigs, type AttackId } from '../attacks/index.js';
import { MAX_CONCURRENT_REQUESTS } from '../attacks/concurrent/index.js';
import type { AttackFlags } from '../attacks/contract.js';
import { ENGINE_NAMES, type EngineName, type Scenario } from '../scenario/types.js';

export type AttackPlan = {
  [K in AttackId]: { id: K; config: AttackConfigs[K]; skip?: string };
}[AttackId];

export interface ScenarioPlan {
  scenario: Scenario;
  attacks: AttackPlan[];
  /** No oracle: verdicts rest on the responses alone. */
  responseOnly: boolean;
  /** `--repeat`: how many times each attack runs (default 1). */
  repeat?: number;
}

export class PlanError extends IdemchaosError {
  constructor(message: string) {
    super('usage', message);
  }
}


export interface PlanOptions {
  /** `--attack`: run only these, with the scenario's settings where it has them. */
  only?: AttackId[];
  /** `--engine`: how `concurrent` sends its bursts; wins over the scenario's `attacks.concurrent.engine`. */
  engine?: EngineName;
  /** `--requests`: requests per `concurrent` burst; wins over the scenario's `attacks.concurrent.requests`. */
  requests?: number;
  /** `--repeat`: run each attack this many times, for races that show only sometimes. */
  repeat?: number;
}

/** The bound on `--repeat`. */
export const MAX_REPEAT = 1000;

export function planScenario(scenario: Scenario, options: PlanOptions = {}): ScenarioPlan {
  const { requests, engine, repeat } = options;
  if (repeat !== undefined && !(Number.isInteger(repeat) && repeat >= 1 && repeat <= MAX_REPEAT)) {
    throw new PlanError(`--repeat must be a whole number from 1 to ${MAX_REPEAT}, got ${repeat}`);
  }
  if (requests !== undefined && !(Number.isInteger(requests) && requests >= 1 && requests <= MAX_CONCURRENT_REQUESTS)) {
    throw new PlanError(`--requests must be a whole number from 1 to ${MAX_CONCURRENT_REQUESTS}, got ${requests}`);
  }
  if (engine !== undefined && !(ENGINE_NAMES as readonly string[]).includes(engine)) {
    throw new PlanError(`--engine must be one of ${ENGINE_NAMES.join(', ')}, got ${JSON.stringify(engine)}`);
  }
  const flags: AttackFlags = {};
  if (engine !== undefined) flags.engine = engine;
  if (requests !== undefined) flags.requests = requests;
  const ids = options.only ?? (scenario.attacks ? ATTACK_IDS.filter((id) => id in scenario.attacks!) : [...ATTACK_IDS]);
  const attacks = ANY_ATTACKS.filter((a) => (ids as readonly string[]).includes(a.id)).map((attack) => {
    const configured = scenario.attacks?.[attack.id];
    let config = configured === undefined ? attack.defaults : configured;
    if (attack.configure) config = attack.configure(scenario, config, flags);
    const skip = attack.skip(scenario, config);
    return (skip ? { id: attack.id, config, skip } : { id: attack.id, config }) as AttackPlan;
  });
  if (attacks.length > 0 && attacks.every((a) => a.skip)) {
    const reasons = attacks.map((a) => `${a.id}: ${a.skip}`).join('; ');
    throw new PlanError(`${scenario.pos.line > 0 ? `${scenario.file}:${scenario.pos.line}:${scenario.pos.col}` : scenario.file}: scenario '${scenario.name}' gives no attack what it needs (${reasons})`);
  }
  const plan: ScenarioPlan = { scenario, attacks, responseOnly: !scenario.effects?.count };
  if (repeat !== undefined && repeat > 1) plan.repeat = repeat;
  return plan;
}
