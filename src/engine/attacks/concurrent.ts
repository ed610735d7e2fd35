// concurrent: N identical requests with the same key, released together so
// they land inside the server's check-then-act window.
import { lastByteBurst } from '../h1/index.js';
import { statusIn } from '../../scenario/status.js';
import { finishRun, startRun } from './run.js';
import { CannotTest, type AttackEnv, type ConcurrentObservation } from './types.js';
import type { AttackConfigs } from '../../scenario/types.js';

export async function concurrent(env: AttackEnv, config: AttackConfigs['concurrent']): Promise<ConcurrentObservation> {
  const run = await startRun(env);
  const n = config.requests;
  const requests = Array.from({ length: n }, () => run.request);
  const labels = requests.map((_, i) => `duplicate ${i + 1}/${n}`);
  const burst = await lastByteBurst(requests, { ...env.transport, labels });
  env.record(...burst.exchanges);
  // A duplicate the server accepted and then hung up on is the server's fault
  // (it crashed or gave up under the burst): the judge makes it a finding.
  // Failing to connect, TLS and timeouts mean we could not test.
  const failed = burst.exchanges.filter((e) => !e.response && e.errorKind !== 'reset');
  if (failed.length > 0) {
    throw new CannotTest(`${failed.length} of ${n} duplicates got no response: ${failed[0]!.error}`, failed.slice(0, 3), failed[0]!.errorKind);
  }
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
  return { attack: 'concurrent', run, exchanges: burst.exchanges, engine: 'h1', releaseSkewMs: burst.releaseSkewMs };
}
