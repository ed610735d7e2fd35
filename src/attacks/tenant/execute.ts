// tenant: the first tenant's key, sent by the second tenant with the same
// payload and then a changed one.
import type { AttackEnv } from '../contract.js';
import { finishRun, newContext, requireSuccess, send, startRun } from '../run.js';
import type { TenantObservation } from './index.js';
import { labels, tenantRequests } from './requests.js';

export async function execute(env: AttackEnv): Promise<TenantObservation> {
  const [first, second] = env.scenario.tenants!;
  const ctx = newContext(env, first);
  const run = await startRun(env, ctx);
  // The same key and run.id, read through the second tenant's eyes (its headers on the oracle).
  const secondRun = await startRun(env, { ...ctx, tenant: second! });
  const requests = tenantRequests(env.scenario, ctx, second!);
  const l = labels(env.scenario);
  const original = await send(env, run, requests.original, l.original);
  requireSuccess(env, original);
  const same = await send(env, secondRun, requests.same, l.same);
  const changed = await send(env, secondRun, requests.changed, l.changed);
  await finishRun(env, run);
  await finishRun(env, secondRun);
  return { attack: 'tenant', run, secondRun, original, same, changed };
}
