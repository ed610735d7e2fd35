// drop: cut the connection with a TCP reset at a chosen point, then retry
// with the same key. The server must neither forget the key while keeping the
// side effect, nor act on a request whose body never fully arrived.
import { statusIn } from '../../scenario/status.js';
import { cutExchange, type CutPoint } from '../h1/index.js';
import { sleep } from '../oracle.js';
import { now, type Exchange } from '../../model/http.js';
import { finishRun, requireResponse, send, startRun } from './run.js';
import { CannotTest, type AttackEnv, type DropCutObservation, type DropObservation } from './types.js';
import type { AttackConfigs, DropPoint } from '../../scenario/types.js';

const CUTS: Record<DropPoint, CutPoint[]> = {
  'after-send': ['after-send'],
  'mid-body': ['mid-body-first', 'mid-body-middle', 'mid-body-last'],
  'mid-response': ['mid-response'],
};

/** How long a retry may keep being answered "in flight". */
export const IN_FLIGHT_BOUND_MS = 10_000;

export async function drop(env: AttackEnv, config: AttackConfigs['drop']): Promise<DropObservation> {
  const cuts: DropCutObservation[] = [];
  for (const point of config.at) {
    for (const cut of CUTS[point]) cuts.push(await cutAndRetry(env, cut));
  }
  return { attack: 'drop', cuts };
}

async function cutAndRetry(env: AttackEnv, point: CutPoint): Promise<DropCutObservation> {
  const run = await startRun(env);
  const cut = await cutExchange(run.request, point, env.transport, `cut ${point}`);
  env.record(cut);
  if (cut.errorKind !== 'cut') throw new CannotTest(`cut ${point}: ${cut.error ?? 'the connection was not cut'}`, [cut], cut.errorKind);
  const observation: DropCutObservation = { point, run, cut, retries: [], stuck: false };
  if (point.startsWith('mid-body') && env.oracle) {
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
    const retry = await send(env, obs.run.request, `retry ${attempt} (same key)`);
    obs.retries.push(retry);
    requireResponse(retry);
    if (!statusIn(env.scenario.expect.inFlight, retry.response!.status)) return;
    const left = deadline - now();
    if (left <= 0) {
      obs.stuck = true;
      return;
    }
    await sleep(Math.min(retryAfterMs(retry), left));
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
