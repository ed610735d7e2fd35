// Decides, per scenario, which attacks run with which settings, and which are
// skipped and why. Pure: no I/O, so `--list` and `--dry-run` can use it too.
import { hasTemplate } from '../scenario/template.js';
import {
  ATTACK_DEFAULTS,
  ATTACK_IDS,
  ENGINE_NAMES,
  type AttackConfigs,
  type AttackId,
  type EngineName,
  type Scenario,
} from '../scenario/types.js';

export type AttackPlan = {
  [K in AttackId]: { id: K; config: AttackConfigs[K]; skip?: string };
}[AttackId];

export interface ScenarioPlan {
  scenario: Scenario;
  attacks: AttackPlan[];
  /** No oracle: verdicts rest on the responses alone. */
  responseOnly: boolean;
}

export class PlanError extends Error {}

/** The bound the schema puts on `attacks.concurrent.requests`, and so on `--requests`. */
export const MAX_CONCURRENT_REQUESTS = 1000;

export interface PlanOptions {
  /** `--attack`: run only these, with the scenario's settings where it has them. */
  only?: AttackId[];
  /** `--engine`: how `concurrent` sends its bursts; wins over the scenario's `attacks.concurrent.engine`. */
  engine?: EngineName;
  /** `--requests`: requests per `concurrent` burst; wins over the scenario's `attacks.concurrent.requests`. */
  requests?: number;
}

export function planScenario(scenario: Scenario, options: PlanOptions = {}): ScenarioPlan {
  const { requests, engine } = options;
  if (requests !== undefined && !(Number.isInteger(requests) && requests >= 1 && requests <= MAX_CONCURRENT_REQUESTS)) {
    throw new PlanError(`--requests must be a whole number from 1 to ${MAX_CONCURRENT_REQUESTS}, got ${requests}`);
  }
  if (engine !== undefined && !(ENGINE_NAMES as readonly string[]).includes(engine)) {
    throw new PlanError(`--engine must be one of ${ENGINE_NAMES.join(', ')}, got ${JSON.stringify(engine)}`);
  }
  const ids = options.only ?? (scenario.attacks ? ATTACK_IDS.filter((id) => id in scenario.attacks!) : [...ATTACK_IDS]);
  const attacks = ATTACK_IDS.filter((id) => ids.includes(id)).map((id) => planAttack(scenario, id, options));
  if (attacks.length > 0 && attacks.every((a) => a.skip)) {
    const reasons = attacks.map((a) => `${a.id}: ${a.skip}`).join('; ');
    throw new PlanError(`${scenario.file}:${scenario.pos.line}:${scenario.pos.col}: scenario '${scenario.name}' gives no attack what it needs (${reasons})`);
  }
  return { scenario, attacks, responseOnly: !scenario.effects?.count };
}

function planAttack(scenario: Scenario, id: AttackId, options: PlanOptions): AttackPlan {
  const config = { ...ATTACK_DEFAULTS[id], ...(scenario.attacks?.[id] ?? {}) } as never;
  const plan = { id, config } as AttackPlan;
  if (plan.id === 'concurrent') {
    // The flags win over the scenario.
    if (options.engine !== undefined) plan.config = { ...plan.config, engine: options.engine };
    if (options.requests !== undefined) plan.config = { ...plan.config, requests: options.requests };
  }
  if (plan.id === 'drop' && !hasBody(scenario)) {
    // A mid-body cut needs a body to cut.
    plan.config = { at: plan.config.at.filter((p) => p !== 'mid-body') };
  }
  const skip = skipReason(scenario, plan);
  return skip ? ({ ...plan, skip } as AttackPlan) : plan;
}

function skipReason(scenario: Scenario, plan: AttackPlan): string | undefined {
  switch (plan.id) {
    case 'reuse':
      if (scenario.request.body !== undefined) {
        return plan.config.change
          ? '`attacks.reuse.change` merges into `request.json`; this scenario sends a raw `body:`'
          : 'a raw `body:` needs `attacks.reuse.change` to say what differs';
      }
      if (plan.config.change) return undefined;
      if (changedPayload(scenario.request.json, undefined) === undefined)
        return 'no field of `request.json` is free of templates to change; give `attacks.reuse.change`';
      return undefined;
    case 'expiry':
      return scenario.idempotency.ttlMs === undefined ? 'declare `idempotency.ttl` (the retention the API documents)' : undefined;
    case 'drop':
      return plan.config.at.length === 0 ? 'the request has no body to cut mid-body; add after-send or mid-response to `attacks.drop.at`' : undefined;
    default:
      return undefined;
  }
}

/**
 * The payload `reuse` sends with the same key: `change` merged shallowly into
 * the rendered json, or else the first field that holds no template changed
 * (numbers +1, strings get a suffix). Undefined when nothing can change.
 */
export function changedPayload(json: unknown, change: Record<string, unknown> | undefined, rendered?: unknown): unknown {
  const base = rendered ?? json;
  if (!isPlainObject(json) || !isPlainObject(base)) return undefined;
  if (change) return { ...base, ...change };
  for (const [field, value] of Object.entries(json)) {
    if (typeof value === 'number') return { ...base, [field]: value + 1 };
    if (typeof value === 'string' && !hasTemplate(value)) return { ...base, [field]: `${value}-changed` };
  }
  return undefined;
}

function hasBody(scenario: Scenario): boolean {
  const { json, body } = scenario.request;
  return json !== undefined || (body !== undefined && body.length >= 2);
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
