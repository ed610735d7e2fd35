// expiry: two keys in parallel. Key A is retried shortly before the declared
// ttl and must still replay; key B is retried after ttl + margin and must
// follow `expect.afterExpiry`.
import { finishRun, requireSuccess, send, startRun } from '../run.js';
import { sleep } from '../../engine/oracle.js';
import { now } from '../../model/http.js';
import { marginMs } from '../../scenario/duration.js';
import type { AttackEnv } from '../contract.js';
import { LABELS, retryBeforeTtlMs, type ExpiryConfig, type ExpiryKeyObservation, type ExpiryObservation } from './index.js';

export async function execute(env: AttackEnv, config: ExpiryConfig): Promise<ExpiryObservation> {
  const ttlMs = env.scenario.idempotency.ttlMs!;
  const margin = marginMs(config.margin, ttlMs);
  const [before, after] = await Promise.all([
    retryLater(env, 'A', (original) => original.startedAt + retryBeforeTtlMs(ttlMs), 'the retry of key A, just before the ttl'),
    // Key B: ttl + margin after the first response was received.
    retryLater(env, 'B', (original) => original.endedAt! + ttlMs + margin, 'the retry of key B, after ttl + margin'),
  ]);
  return { attack: 'expiry', ttlMs, before, after };
}

async function retryLater(
  env: AttackEnv,
  name: 'A' | 'B',
  retryAt: (original: { startedAt: number; endedAt?: number }) => number,
  what: string,
): Promise<ExpiryKeyObservation> {
  const run = await startRun(env);
  const labels = LABELS[name];
  const original = await send(env, run, run.request, labels.original);
  requireSuccess(env, original);
  const wait = retryAt(original) - now();
  // now() is the monotonic clock; reporters want wall-clock time.
  env.waiting?.(what, Date.now() + wait);
  await sleep(wait, env.signal);
  const retry = await send(env, run, run.request, labels.retry);
  await finishRun(env, run);
  return { run, original, retry, retryAfterMs: Math.round(retry.startedAt - (name === 'A' ? original.startedAt : original.endedAt!)) };
}
