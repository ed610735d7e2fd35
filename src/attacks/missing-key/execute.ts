// missing-key: four requests, each with its own run.id: no key, an empty
// key, one character over the maximum, exactly the maximum.
import { finishRun, sendUnchecked, requireResponse, startRun } from '../run.js';
import type { AttackEnv } from '../contract.js';
import type { MissingKeyObservation } from './index.js';
import { keyProbes, withKey } from './requests.js';

export async function execute(env: AttackEnv): Promise<MissingKeyObservation> {
  const probes: MissingKeyObservation['probes'] = [];
  for (const probe of keyProbes(env.scenario)) {
    const run = await startRun(env);
    const exchange = await sendUnchecked(env, run, withKey(run.request, env.scenario.idempotency.header, probe.key), probe.label);
    requireResponse(exchange);
    await finishRun(env, run);
    probes.push({ case: probe.case, run, exchange });
  }
  return { attack: 'missing-key', probes };
}
