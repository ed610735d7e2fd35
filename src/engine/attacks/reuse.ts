// reuse: after the first request completed, the same key with another payload.
import { changedPayload } from '../../plan/plan.js';
import { renderOperation } from '../../scenario/render.js';
import { renderValue } from '../../scenario/template.js';
import { finishRun, requireSuccess, send, startRun } from './run.js';
import type { AttackEnv, ReuseObservation } from './types.js';
import type { AttackConfigs } from '../../scenario/types.js';

export async function reuse(env: AttackEnv, config: AttackConfigs['reuse']): Promise<ReuseObservation> {
  const run = await startRun(env);
  const original = await send(env, run.request, 'original');
  requireSuccess(env, original);
  const rendered = JSON.parse(run.request.body!.toString('utf8')) as unknown;
  const change = config.change ? (renderValue(config.change, run.ctx) as Record<string, unknown>) : undefined;
  const payload = changedPayload(env.scenario.request.json, change, rendered);
  const changedRequest = renderOperation(env.scenario, run.ctx, payload);
  const changed = await send(env, changedRequest, 'same key, changed payload');
  await finishRun(env, run);
  return { attack: 'reuse', run, original, changed };
}
