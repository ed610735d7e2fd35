// replay: send once, then retry with the same key after the response.
import { finishRun, requireSuccess, send, startRun } from './run.js';
import type { AttackEnv, ReplayObservation } from './types.js';

export async function replay(env: AttackEnv): Promise<ReplayObservation> {
  const run = await startRun(env);
  const original = await send(env, run.request, 'original');
  requireSuccess(env, original);
  const retry = await send(env, run.request, 'retry (same key)');
  await finishRun(env, run);
  return { attack: 'replay', run, original, retry };
}
