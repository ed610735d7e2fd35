// concurrent: N identical requests with the same key, released together so
// they land inside the server's check-then-act window; repeated in several
// bursts, each with a fresh key and run.id, because a race that wins only
// sometimes is still a race.
import { resolveEngine, type BurstEngine } from '../../engine/engines.js';
import { statusIn } from '../../scenario/status.js';
import type { Exchange } from '../../model/http.js';
import { finishRun, startRun } from '../run.js';
import { releaseDuplicates } from '../burst.js';
import { CannotTest } from '../../model/errors.js';
import type { AttackEnv, Run } from '../contract.js';
import { burstLabels, canWarm, warmingLabel, warmingRequest } from './requests.js';
import type { BurstObservation, ConcurrentConfig, ConcurrentObservation } from './index.js';

export async function execute(env: AttackEnv, config: ConcurrentConfig): Promise<ConcurrentObservation> {
  const total = config.bursts;
  const notes: string[] = [];
  const warms = env.oracle !== undefined && canWarm(env.scenario);
  if (config.warm > 0 && !warms) notes.push('warming skipped: it sends the oracle request, and this scenario has no HTTP oracle');
  const bursts: BurstObservation[] = [];
  let engine: BurstEngine | undefined;
  try {
    for (let b = 0; b < total; b++) {
      let burst: BurstObservation;
      try {
        const run = await startRun(env);
        if (!engine) {
          // Resolved against the rendered operation, once for every burst.
          engine = await resolveEngine(config.engine, run.request.url, env.transport);
          if (engine.note) notes.unshift(engine.note);
        }
        burst = await oneBurst(env, engine, config, run, b, warms);
      } catch (err) {
        if (!(err instanceof CannotTest)) throw err;
        // A server that hung up on an earlier burst may be down now: keep what
        // showed it (a finding), rather than turning it into "could not test".
        if (bursts.some(hungUp)) {
          notes.push(`stopped after burst ${b} of ${total}: burst ${b + 1} could not be tested (${err.message})`);
          break;
        }
        throw total > 1 ? new CannotTest(`burst ${b + 1}/${total}: ${err.message}`, err.exchanges, err.transport) : err;
      }
      bursts.push(burst);
      if (hungUp(burst) && burst.run.before && !burst.run.after && b + 1 < total) {
        notes.push(`stopped after burst ${b + 1} of ${total}: the server hung up on duplicates and then did not answer the oracle`);
        break;
      }
    }
  } finally {
    await engine?.close();
  }
  const obs: ConcurrentObservation = { attack: 'concurrent', engine: engine?.name ?? config.engine, requests: config.requests, bursts };
  if (notes.length > 0) obs.notes = notes;
  return obs;
}

function hungUp(burst: BurstObservation): boolean {
  return burst.exchanges.some((e) => !e.response);
}

async function oneBurst(
  env: AttackEnv,
  engine: BurstEngine,
  config: ConcurrentConfig,
  run: Run,
  index: number,
  warms: boolean,
): Promise<BurstObservation> {


  const warm: Exchange[] = [];
  if (warms && config.warm > 0) {
    const req = warmingRequest(env.scenario, run.ctx);
    for (let i = 0; i < config.warm; i++) {
      const label = warmingLabel(config, index, i);
      const exchange = engine.warm ? await engine.warm(req, label) : await env.client.send(req, label);
      env.record(exchange);
      warm.push(exchange);
    }
  }

  const burst = await releaseDuplicates(env, engine, run.request, burstLabels(config, index));
  const dropped = burst.exchanges.some((e) => !e.response);
  const answered = burst.exchanges.filter((e) => e.response);
  if (!dropped && !answered.some((e) => statusIn(env.scenario.expect.success, e.response!.status))) {
    const statuses = [...new Set(answered.map((e) => e.response!.status))].join(', ');
    throw new CannotTest(`no duplicate was answered with a success (got ${statuses}): check the request and credentials`, burst.exchanges.slice(0, 3));
  }
  try {
    await finishRun(env, run);
  } catch (err) {
    // A server that fell over under the burst may not answer the oracle either; the drops are the finding.
    if (!(dropped && err instanceof CannotTest)) throw err;
  }
  const obs: BurstObservation = { run, exchanges: burst.exchanges, releaseSkewMs: burst.releaseSkewMs };
  if (burst.connections !== undefined) obs.connections = burst.connections;
  if (burst.split !== undefined) obs.split = burst.split;
  if (burst.finalWrites !== undefined) obs.finalWrites = burst.finalWrites;
  if (warm.length > 0) obs.warm = warm;
  return obs;
}
