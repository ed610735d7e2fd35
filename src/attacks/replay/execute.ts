// replay: send once, then retry with the same key after the response.
import { finishRun, requireSuccess, send, startRun } from '../run.js';
import type { AttackEnv } from '../contract.js';
import { LABELS, type ReplayObservation } from './index.js';

export async function execute(env: AttackEnv): Promise<ReplayObservation> {
  const run = await startRun(env);
  const original = await send(env, run, run.request, LABELS.original);
  requireSuccess(env, original);
  const retry = await send(env, run, run.request, LABELS.retry);
  await finishRun(env, run);
  return { attack: 'replay', run, original, retry };
}
