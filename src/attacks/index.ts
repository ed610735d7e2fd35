// The attacks, in the order they run and are reported. Everything that lists
// attacks (ids, the schema's `attacks:` part, --help, the planner) reads this.
import type { AttackMetrics } from '../model/results.js';
import type { Attack, JudgeContext, Judgement } from './contract.js';
import { concurrent } from './concurrent/index.js';
import { drop } from './drop/index.js';
import { expiry } from './expiry/index.js';
import { replay } from './replay/index.js';
import { reuse } from './reuse/index.js';
import { missingKey } from './missing-key/index.js';
import { otherOperation } from './other-operation/index.js';
import { tenant } from './tenant/index.js';
import { expiryBurst } from './expiry-burst/index.js';
import { errorRetry } from './error-retry/index.js';

export const ATTACKS = [replay, concurrent, reuse, expiry, drop, missingKey, otherOperation, tenant, expiryBurst, errorRetry] as const;

type AnyAttack = (typeof ATTACKS)[number];
export type AttackId = AnyAttack['id'];
export const ATTACK_IDS: readonly AttackId[] = ATTACKS.map((a) => a.id);

type ConfigOf<A> = A extends Attack<string, infer C, infer _O, infer _M> ? C : never;
type ObservationOf<A> = A extends Attack<string, infer _C, infer O, infer _M> ? O : never;

/** The configs by attack id. */
export type AttackConfigs = { [A in AnyAttack as A['id']]: ConfigOf<A> };
/** What any attack observed: the judge's input. */
export type Observation = ObservationOf<AnyAttack>;

export function isAttackId(id: string): id is AttackId {
  return (ATTACK_IDS as readonly string[]).includes(id);
}

/** Any attack, seen through the contract alone: its config and observation are data to pass on. */
export type SomeAttack = Attack<string, unknown, { attack: string }>;

/** The list as the code that treats every attack alike sees it. */
export const ANY_ATTACKS = ATTACKS as unknown as readonly SomeAttack[];

export function attackById(id: string): SomeAttack | undefined {
  return ANY_ATTACKS.find((a) => a.id === id);
}

/** Judges any observation by the rules of the attack that made it. */
export function judgeObservation(obs: Observation, ctx: JudgeContext): Judgement {
  return attackById(obs.attack)!.judge(obs, ctx);
}

/** The attack's one-line account of how a judged run was sent; undefined when it has none. */
export function describeMetrics(result: { attack: string; verdict: string; metrics: AttackMetrics }): string | undefined {
  if (result.verdict !== 'pass' && result.verdict !== 'fail') return undefined;
  return attackById(result.attack)?.describe?.(result.metrics) || undefined;
}
