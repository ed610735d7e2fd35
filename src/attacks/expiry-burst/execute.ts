// expiry-burst: a key used once, then, past ttl + margin, a burst of
// duplicates with it released together.
import { resolveEngine } from '../../engine/engines.js';
import { sleep } from '../../engine/oracle.js';
import { now } from '../../model/http.js';
import { marginMs } from '../../scenario/duration.js';
import type { AttackEnv } from '../contract.js';
import { releaseDuplicates } from '../burst.js';
import { finishRun, requireSuccess, send, startRun } from '../run.js';
import { burstLabels, LABEL_ORIGINAL, type ExpiryBurstConfig, type ExpiryBurstObservation } from './index.js';

export async function execute(env: AttackEnv, config: ExpiryBurstConfig): Promise<ExpiryBurstObservation> {
  const ttlMs = env.scenario.idempotency.ttlMs!;
  const run = await startRun(env);
  const original = await send(env, run, run.request, LABEL_ORIGINAL);
  requireSuccess(env, original);
  const engine = await resolveEngine(config.engine, run.request.url, env.transport);
  try {
    const wait = original.endedAt! + ttlMs + marginMs(config.margin, ttlMs) - now();
    env.waiting?.('the burst after ttl + margin', Date.now() + wait);
    await sleep(wait, env.signal);
    const burst = await releaseDuplicates(env, engine, run.request, burstLabels(config.requests));
    await finishRun(env, run);
    const obs: ExpiryBurstObservation = {
      attack: 'expiry-burst',
      ttlMs,
      engine: engine.name,
      run,
      original,
      exchanges: burst.exchanges,
      releaseSkewMs: burst.releaseSkewMs,
      burstAfterMs: Math.round(Math.min(...burst.exchanges.map((e) => e.startedAt)) - original.endedAt!),
    };
    return obs;
  } finally {
    await engine.close();
  }
}
