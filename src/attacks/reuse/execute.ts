// reuse: after the first request completed, the same key with another payload.
import { finishRun, requireSuccess, send, startRun } from '../run.js';
import type { AttackEnv } from '../contract.js';
import { LABELS, type ReuseConfig, type ReuseObservation } from './index.js';
import { reuseRequests } from './payload.js';

export async function execute(env: AttackEnv, config: ReuseConfig): Promise<ReuseObservation> {
  const run = await startRun(env);
  const requests = reuseRequests(env.scenario, config, run.ctx);
  const original = await send(env, run, requests.original, LABELS.original);
  requireSuccess(env, original);
  const changed = await send(env, run, requests.changed, LABELS.changed);
  await finishRun(env, run);
  return { attack: 'reuse', run, original, changed };
}
