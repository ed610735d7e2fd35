// reuse: for each variant a fresh key and run.id, the original, then the same
// key with the variant's payload once the original was answered. Then, if
// every original took IN_FLIGHT_MIN_MS or more, a fresh key whose changed
// payload is sent halfway through the fastest original's time, while the key's
// own original still runs. The fastest, not the first: a first request slowed
// by a cold server would aim past the end of a warm one.
import { sleep } from '../../engine/oracle.js';
import { finishRun, requireSuccess, send, startRun } from '../run.js';
import type { AttackEnv } from '../contract.js';
import { IN_FLIGHT_MIN_MS, LABELS, type ReuseConfig, type ReuseInFlightObservation, type ReuseObservation, type ReuseVariantObservation } from './index.js';
import { reuseRequests, reuseVariants } from './payload.js';

export async function execute(env: AttackEnv, config: ReuseConfig): Promise<ReuseObservation> {
  const variants: ReuseVariantObservation[] = [];
  for (const variant of reuseVariants(env.scenario, config)) {
    const run = await startRun(env);
    const requests = reuseRequests(env.scenario, config, run.ctx, variant.fields);
    const original = await send(env, run, requests.original, LABELS.original(variant.prefix));
    requireSuccess(env, original);
    const changed = await send(env, run, requests.changed, LABELS.changed(variant.prefix));
    await finishRun(env, run);
    variants.push({ fields: variant.fields, run, original, changed });
  }
  const took = variants.map((v) => (v.original.endedAt ?? v.original.startedAt) - v.original.startedAt);
  const fastestMs = Math.min(...took);
  const observation: ReuseObservation = { attack: 'reuse', change: config.change !== undefined, variants, firstMs: took[0]!, fastestMs };
  if (fastestMs >= IN_FLIGHT_MIN_MS) observation.inFlight = await whileInFlight(env, config, fastestMs / 2);
  return observation;
}

/** The original with a fresh key, and `afterMs` after it was sent the changed payload with that key. */
async function whileInFlight(env: AttackEnv, config: ReuseConfig, afterMs: number): Promise<ReuseInFlightObservation> {
  const run = await startRun(env);
  const requests = reuseRequests(env.scenario, config, run.ctx, 'all');
  const started = performance.now();
  const pending = send(env, run, requests.original, LABELS.inFlightOriginal);
  // Settled below; until then a failure must not count as unhandled.
  pending.catch(() => {});
  env.waiting?.(`${LABELS.inFlightChanged}, half the fastest original's time after it`, Date.now() + afterMs);
  await sleep(afterMs, env.signal);
  const sentAfterMs = performance.now() - started;
  const changed = await send(env, run, requests.changed, LABELS.inFlightChanged);
  const original = await pending;
  await finishRun(env, run);
  return { run, original, changed, sentAfterMs };
}
