// drop: cut the connection with a TCP reset at a chosen point, then retry
// with the same key. The server must neither forget the key while keeping the
// side effect, nor act on a request whose body never fully arrived.
import { statusIn } from '../../scenario/status.js';
import { cutExchange, type CutPoint } from '../../engine/h1/index.js';
import { sleep } from '../../engine/oracle.js';
import { now, type Exchange } from '../../model/http.js';
import { finishRun, requireResponse, send, startRun } from '../run.js';
import { CannotTest } from '../../model/errors.js';
import type { AttackEnv } from '../contract.js';
import { cutsOf, IN_FLIGHT_BOUND_MS, isMidBody } from './cuts.js';
import { cutLabel, retryLabel, type DropConfig, type DropCutObservation, type DropObservation } from './index.js';

export async function execute(env: AttackEnv, config: DropConfig): Promise<DropObservation> {
  const cuts: DropCutObservation[] = [];
  for (const cut of cutsOf(config.at)) cuts.push(await cutAndRetry(env, cut));
  return { attack: 'drop', cuts };
}

async function cutAndRetry(env: AttackEnv, point: CutPoint): Promise<DropCutObservation> {
  const run = await startRun(env);
  const cut = await cutExchange(run.request, point, env.transport, cutLabel(point));
  env.record(cut);
  if (cut.errorKind !== 'cut') throw new CannotTest(`${cutLabel(point)}: ${cut.error ?? 'the connection was not cut'}`, [cut], cut.errorKind);
  const observation: DropCutObservation = { point, run, cut, retries: [], stuck: false };
  if (isMidBody(point) && env.oracle) {
    await finishRun(env, run);
    observation.afterCut = run.after;
  }
  await retryThroughInFlight(env, observation);
  await finishRun(env, run);
  return observation;
}

/** Retries with the full request; "in flight" answers wait for Retry-After (1 s when absent), up to the bound. */
async function retryThroughInFlight(env: AttackEnv, obs: DropCutObservation): Promise<void> {
  const deadline = now() + IN_FLIGHT_BOUND_MS;
  for (let attempt = 1; ; attempt++) {
    const retry = await send(env, obs.run.request, retryLabel(attempt));
    obs.retries.push(retry);
    requireResponse(retry);
    if (!statusIn(env.scenario.expect.inFlight, retry.response!.status)) return;
    const left = deadline - now();
    if (left <= 0) {
      obs.stuck = true;
      return;
    }
    await sleep(Math.min(retryAfterMs(retry), left), env.signal);
  }
}

function retryAfterMs(exchange: Exchange): number {
  const header = exchange.response?.headers['retry-after'];
  if (header === undefined) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
}
