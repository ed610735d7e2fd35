// Shared step of the attacks that release bursts (concurrent, expiry-burst):
// N copies of one request through a burst engine, dealt over the target's
// instances, every exchange recorded.
import type { BurstEngine, EngineBurst } from '../engine/engines.js';
import { CannotTest } from '../model/errors.js';
import type { HttpRequest } from '../model/http.js';
import type { AttackEnv } from './contract.js';
import { toInstance } from './run.js';

export async function releaseDuplicates(env: AttackEnv, engine: BurstEngine, request: HttpRequest, labels: string[]): Promise<EngineBurst> {
  const n = labels.length;
  const requests = labels.map((_, i) => toInstance(env, request, i));
  const fire = () => engine.burst(requests, { ...env.transport, labels });
  const burst = await (env.exclusive ? env.exclusive(requests.map((r) => r.url), fire) : fire());
  if (env.instances.length > 1) burst.exchanges.forEach((e, i) => (e.instance = (i % env.instances.length) + 1));
  env.record(...burst.exchanges);
  // A duplicate the server accepted and then hung up on is the server's fault
  // (it crashed or gave up under the burst): the judge makes it a finding.
  // Failing to connect, TLS and timeouts mean we could not test.
  const failed = burst.exchanges.filter((e) => !e.response && e.errorKind !== 'reset');
  if (failed.length > 0) {
    throw new CannotTest(`${failed.length} of ${n} duplicates got no response: ${failed[0]!.error}`, failed.slice(0, 3), failed[0]!.errorKind);
  }
  return burst;
}
