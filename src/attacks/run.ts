// Shared steps of every attack: open a run (fresh key and run.id, oracle
// before), send through the plain client, close the run (oracle after).
import { statusIn } from '../scenario/status.js';
import { newRun, renderOperation, type RenderContext } from '../scenario/render.js';
import { OracleError } from '../engine/oracle.js';
import type { Exchange, HttpRequest } from '../model/http.js';
import { CannotTest } from '../model/errors.js';
import type { AttackEnv, Run } from './contract.js';

export async function startRun(env: AttackEnv): Promise<Run> {
  const ctx: RenderContext = { scope: env.scope, run: newRun(), ...(env.captures ? { captures: env.captures } : {}) };
  const run: Run = { ctx, request: renderOperation(env.scenario, ctx) };
  if (env.oracle) run.before = await guardOracle(() => env.oracle!.read(ctx));
  return run;
}

/** Reads the oracle once the count has settled. */
export async function finishRun(env: AttackEnv, run: Run): Promise<void> {
  if (env.oracle) run.after = await guardOracle(() => env.oracle!.settle(run.ctx));
}

export async function send(env: AttackEnv, request: HttpRequest, label: string): Promise<Exchange> {
  const exchange = await env.client.send(request, label);
  env.record(exchange);
  requireResponse(exchange);
  return exchange;
}

/** A transport failure means the API could not be tested, not that it is wrong. */
export function requireResponse(exchange: Exchange): void {
  if (!exchange.response) throw new CannotTest(`${exchange.label}: ${exchange.error}`, [exchange], exchange.errorKind);
}

/** The first request of an attack must succeed, or nothing after it means anything. */
export function requireSuccess(env: AttackEnv, exchange: Exchange): void {
  requireResponse(exchange);
  const status = exchange.response!.status;
  if (!statusIn(env.scenario.expect.success, status)) {
    throw new CannotTest(
      `the first request was answered ${status}, not a success (${env.scenario.expect.success.text}): check the request and credentials`,
      [exchange],
    );
  }
}

async function guardOracle<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (err) {
    if (err instanceof OracleError) throw new CannotTest(err.message, err.exchange ? [err.exchange] : [], err.exchange?.errorKind);
    throw err;
  }
}
