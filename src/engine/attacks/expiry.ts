// expiry: two keys in parallel. Key A is retried shortly before the declared
// ttl and must still replay; key B is retried after ttl + margin and must
// follow `expect.afterExpiry`.
import { finishRun, requireSuccess, send, startRun } from './run.js';
import { sleep } from '../oracle.js';
import { now } from '../../model/http.js';
import type { AttackEnv, ExpiryKeyObservation, ExpiryObservation } from './types.js';
import type { AttackConfigs } from '../../scenario/types.js';

export async function expiry(env: AttackEnv, config: AttackConfigs['expiry']): Promise<ExpiryObservation> {
  const ttlMs = env.scenario.idempotency.ttlMs!;
  const margin = 'ms' in config.margin ? config.margin.ms : ttlMs * config.margin.fraction;
  const [before, after] = await Promise.all([
    // Key A: ttl − max(10 % of ttl, 200 ms) after the first request was sent.
    retryLater(env, 'A', (original) => original.startedAt + ttlMs - Math.max(ttlMs * 0.1, 200)),
    // Key B: ttl + margin after the first response was received.
    retryLater(env, 'B', (original) => original.endedAt! + ttlMs + margin),
  ]);
  return { attack: 'expiry', ttlMs, before, after };
}

async function retryLater(
  env: AttackEnv,
  name: string,
  retryAt: (original: { startedAt: number; endedAt?: number }) => number,
): Promise<ExpiryKeyObservation> {
  const run = await startRun(env);
  const original = await send(env, run.request, `key ${name}: original`);
  requireSuccess(env, original);
  const at = retryAt(original);
  await sleep(at - now());
  const label = name === 'A' ? 'key A: retry before the ttl' : 'key B: retry after ttl + margin';
  const retry = await send(env, run.request, label);
  await finishRun(env, run);
  return { run, original, retry, retryAfterMs: Math.round(retry.startedAt - (name === 'A' ? original.startedAt : original.endedAt!)) };
}
