// Shared steps of every attack: open a run (fresh key and run.id, oracle
// before), send through the plain client, close the run (oracle after).
import { statusIn } from '../scenario/status.js';
import { newRun, onInstance, renderOperation, type RenderContext } from '../scenario/render.js';
import { sleep } from '../engine/oracle.js';
import { OracleError } from '../engine/oracle.js';
import { now, type Exchange, type HttpRequest } from '../model/http.js';
import { CannotTest } from '../model/errors.js';
import type { AttackEnv, Run } from './contract.js';

/** A fresh key and run.id, as the first tenant (the scenario's first), unless told whose. */
export function newContext(env: AttackEnv, tenant = env.scenario.tenants?.[0]): RenderContext {
  return { scope: env.scope, run: newRun(), ...(env.captures ? { captures: env.captures } : {}), ...(tenant ? { tenant } : {}) };
}

/** Opens a run: its context, the operation rendered in it, and the oracle read before. */
export async function startRun(env: AttackEnv, ctx: RenderContext = newContext(env)): Promise<Run> {
  const run: Run = { ctx, request: renderOperation(env.scenario, ctx), sent: 0 };
  if (env.oracle) run.before = await guardOracle(() => env.oracle!.read(ctx));
  return run;
}

/** Reads the oracle once the count has settled. */
export async function finishRun(env: AttackEnv, run: Run): Promise<void> {
  if (env.oracle) run.after = await guardOracle(() => env.oracle!.settle(run.ctx));
}

/**
 * Sends one request of a run to the next instance (the original to the
 * first, each retry to the next), records it, and requires a response.
 */
export async function send(env: AttackEnv, run: Run, request: HttpRequest, label: string): Promise<Exchange> {
  const exchange = await sendUnchecked(env, run, request, label);
  requireResponse(exchange);
  return exchange;
}

/** As send, but a transport failure is returned for the caller to judge. */
export async function sendUnchecked(env: AttackEnv, run: Run, request: HttpRequest, label: string): Promise<Exchange> {
  const instance = run.sent++ % env.instances.length;
  const exchange = await env.client.send(toInstance(env, request, instance), label);
  if (env.instances.length > 1) exchange.instance = instance + 1;
  env.record(exchange);
  return exchange;
}

/** A request addressed to instance i (0-based) of the target. */
export function toInstance(env: AttackEnv, request: HttpRequest, i: number): HttpRequest {
  return onInstance(request, env.instances[0]!, env.instances[i % env.instances.length]!);
}

/** How long a retry may keep being answered "in flight" before the key counts as stuck. */
export const IN_FLIGHT_BOUND_MS = 10_000;

/**
 * Sends `request` and, while the answer is "in flight", again after
 * Retry-After (1 s when absent), up to IN_FLIGHT_BOUND_MS. Returns every
 * attempt, the last one final, and whether the bound was reached still in flight.
 */
export async function sendThroughInFlight(
  env: AttackEnv,
  run: Run,
  request: HttpRequest,
  label: (attempt: number) => string,
): Promise<{ attempts: Exchange[]; stuck: boolean }> {
  const deadline = now() + IN_FLIGHT_BOUND_MS;
  const attempts: Exchange[] = [];
  for (let attempt = 1; ; attempt++) {
    const exchange = await send(env, run, request, label(attempt));
    attempts.push(exchange);
    if (!statusIn(env.scenario.expect.inFlight, exchange.response!.status)) return { attempts, stuck: false };
    const left = deadline - now();
    if (left <= 0) return { attempts, stuck: true };
    const wait = Math.min(retryAfterMs(exchange), left);
    env.waiting?.(`${label(attempt + 1)} after an in-flight answer (Retry-After)`, Date.now() + wait);
    await sleep(wait, env.signal);
  }
}

/** Retry-After as ms: seconds or an HTTP date; 1 s when absent or unreadable. */
export function retryAfterMs(exchange: Exchange): number {
  const header = exchange.response?.headers['retry-after'];
  if (header === undefined) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(header);
  return Number.isNaN(date) ? 1000 : Math.max(0, date - Date.now());
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
