// drop: cut the connection with a TCP reset at a chosen point, then retry
// with the same key. The server must neither forget the key while keeping the
// side effect, nor act on a request whose body never fully arrived.
import { cutExchange, type CutPoint } from '../../engine/h1/index.js';
import { finishRun, sendThroughInFlight, startRun } from '../run.js';
import { CannotTest } from '../../model/errors.js';
import type { AttackEnv } from '../contract.js';
import { cutsOf, isMidBody } from './cuts.js';
import { cutLabel, retryLabel, type DropConfig, type DropCutObservation, type DropObservation } from './index.js';

export async function execute(env: AttackEnv, config: DropConfig): Promise<DropObservation> {
  const cuts: DropCutObservation[] = [];
  for (const cut of cutsOf(config.at)) cuts.push(await cutAndRetry(env, cut));
  return { attack: 'drop', cuts };
}

async function cutAndRetry(env: AttackEnv, point: CutPoint): Promise<DropCutObservation> {
  const run = await startRun(env);
  const cut = await cutExchange(run.request, point, env.transport, cutLabel(point));
  if (env.instances.length > 1) cut.instance = 1;
  env.record(cut);
  if (cut.errorKind !== 'cut') throw new CannotTest(`${cutLabel(point)}: ${cut.error ?? 'the connection was not cut'}`, [cut], cut.errorKind);
  const observation: DropCutObservation = { point, run, cut, retries: [], stuck: false };
  if (isMidBody(point) && env.oracle) {
    await finishRun(env, run);
    observation.afterCut = run.after;
  }
  // The cut went to the first instance; the retries go round the others.
  run.sent++;
  const { attempts, stuck } = await sendThroughInFlight(env, run, run.request, retryLabel);
  observation.retries = attempts;
  observation.stuck = stuck;
  await finishRun(env, run);
  return observation;
}
