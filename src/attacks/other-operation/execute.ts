// other-operation: a fresh key on the main request, then the same key on each
// declared operation with its own payload.
import { Oracle } from '../../engine/oracle.js';
import type { AttackEnv } from '../contract.js';
import { finishRun, newContext, requireSuccess, send, startRun } from '../run.js';
import type { OperationObservation, OtherOperationObservation } from './index.js';
import { asOperation, mainLabel, operationRequest, otherLabel } from './requests.js';

export async function execute(env: AttackEnv): Promise<OtherOperationObservation> {
  const operations: OperationObservation[] = [];
  for (const op of env.scenario.operations ?? []) {
    const ctx = newContext(env);
    const run = await startRun(env, ctx);
    // The operation's own oracle, read in the same context (its run.id and key).
    const scenario = asOperation(env.scenario, op);
    const opEnv: AttackEnv = { ...env, scenario, oracle: Oracle.for(scenario, env.client, env.signal ? { signal: env.signal } : {}) };
    const opRun = await startRun(opEnv, ctx);
    const main = await send(env, run, run.request, mainLabel(op));
    requireSuccess(env, main);
    const other = await send(env, run, operationRequest(env.scenario, op, ctx), otherLabel(op));
    await finishRun(env, run);
    await finishRun(opEnv, opRun);
    operations.push({ name: op.name, run, opRun, main, other });
  }
  return { attack: 'other-operation', operations };
}
