// Dispatches a planned attack to its executor.
import type { AttackPlan } from '../plan/plan.js';
import { concurrent } from './attacks/concurrent.js';
import { drop } from './attacks/drop.js';
import { expiry } from './attacks/expiry.js';
import { replay } from './attacks/replay.js';
import { reuse } from './attacks/reuse.js';
import type { AttackEnv, Observation } from './attacks/types.js';

export function executeAttack(env: AttackEnv, plan: AttackPlan): Promise<Observation> {
  switch (plan.id) {
    case 'replay':
      return replay(env);
    case 'concurrent':
      return concurrent(env, plan.config);
    case 'reuse':
      return reuse(env, plan.config);
    case 'expiry':
      return expiry(env, plan.config);
    case 'drop':
      return drop(env, plan.config);
  }
}
