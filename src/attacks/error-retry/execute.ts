// error-retry: a key first used with an invalid payload, the same invalid
// request again, then the corrected one, all under that key.
import { CannotTest } from '../../model/errors.js';
import type { AttackEnv } from '../contract.js';
import { finishRun, send, sendThroughInFlight, startRun } from '../run.js';
import type { ErrorRetryConfig, ErrorRetryObservation } from './index.js';
import { errorRetryRequests, LABELS } from './requests.js';

export async function execute(env: AttackEnv, config: ErrorRetryConfig): Promise<ErrorRetryObservation> {
  const run = await startRun(env);
  const { invalid, valid } = errorRetryRequests(env.scenario, config, run.ctx);
  const first = await send(env, run, invalid, LABELS.invalid);
  const code = first.response!.status;
  if (code < 400) {
    throw new CannotTest(`the invalid payload was accepted (${code}), so this cannot be tested: give attacks.error-retry.invalid a payload the API refuses`, [first]);
  }
  const again = await sendThroughInFlight(env, run, invalid, LABELS.again);
  // Effects of the invalid requests, before the corrected one can add its own.
  await finishRun(env, run);
  const afterInvalid = run.after;
  const corrected = await sendThroughInFlight(env, run, valid, LABELS.valid);
  await finishRun(env, run);
  return { attack: 'error-retry', run, first, again: again.attempts, againStuck: again.stuck, corrected: corrected.attempts, correctedStuck: corrected.stuck, ...(afterInvalid ? { afterInvalid } : {}) };
}
