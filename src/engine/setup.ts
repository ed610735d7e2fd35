// Setup and teardown: requests sent once per scenario, before and after its
// attacks, through the scenario's HttpClient. Setup steps capture values from
// their JSON responses (`capture: { NAME: <JSONPath> }`) for
// `{{ captures.NAME }}`; a failing setup step means the scenario cannot be
// tested. Teardown failures are only warnings.
import { isSecretHeader, isSecretName } from '../secrets/names.js';
import { renderStep, renderTarget, type RenderContext } from '../scenario/render.js';
import { referencesOf } from '../scenario/template.js';
import type { RunValues, Scenario, SetupStep, TemplateScope } from '../scenario/types.js';
import type { HttpClient } from './http/client.js';
import type { Exchange, HttpRequest } from '../model/http.js';
import { CannotTest } from '../model/errors.js';
import { selectAll } from './oracle.js';

export interface StepsEnv {
  scenario: Scenario;
  scope: TemplateScope;
  client: HttpClient;
  /** `{{ run.id }}` and `{{ key }}` for the steps: one pair per scenario, shared by setup and teardown. */
  run: RunValues;
  /** Called with each secret captured value before anything can show it (feed the Redactor). */
  onSecret?: (value: string) => void;
  /** Called with every exchange a step made. */
  record?: (exchange: Exchange) => void;
}

export interface SetupOutcome {
  /** Everything captured, also by the steps before a failure (teardown may need it). */
  captures: Record<string, string>;
  /** Set when a step failed: every attack of the scenario is then "could not test". */
  failure?: CannotTest;
}

/** Runs the setup steps in order, stopping at the first failure. Never throws for a failing step. */
export async function runSetup(env: StepsEnv): Promise<SetupOutcome> {
  const captures: Record<string, string> = {};
  const secret = secretCaptureNames(env.scenario);
  const steps = env.scenario.setup ?? [];
  for (let i = 0; i < steps.length; i++) {
    const problem = await runStep(env, 'setup', i, steps[i]!, captures, secret);
    if (problem) return { captures, failure: problem };
  }
  return { captures };
}

/**
 * Runs every teardown step, also after one failed (each cleans up what it
 * can). Returns one warning per failing step; verdicts do not change.
 */
export async function runTeardown(env: StepsEnv, captures: Record<string, string>): Promise<string[]> {
  const warnings: string[] = [];
  const secret = secretCaptureNames(env.scenario);
  const steps = env.scenario.teardown ?? [];
  for (let i = 0; i < steps.length; i++) {
    const problem = await runStep(env, 'teardown', i, steps[i]!, captures, secret);
    if (problem) warnings.push(`${env.scenario.name}: ${problem.message}`);
  }
  return warnings;
}

/**
 * Capture names whose values must be masked: secret-like names (isSecretName:
 * token, secret, password, key, session, ...), and any capture used in a credential header
 * (`Authorization: Bearer {{ captures.jwt }}`).
 */
export function secretCaptureNames(scenario: Scenario): Set<string> {
  const names = new Set<string>();
  const steps = [...(scenario.setup ?? []), ...(scenario.teardown ?? [])];
  for (const step of steps) for (const name of Object.keys(step.capture)) if (isSecretName(name)) names.add(name);
  const templates = [scenario.request, ...steps.map((s) => s.request)];
  if (scenario.effects?.count?.kind === 'request') templates.push(scenario.effects.count.request);
  for (const template of templates) {
    for (const [header, value] of Object.entries(template.headers)) {
      if (!isSecretHeader(header, [scenario.idempotency.header])) continue;
      for (const ref of referencesOf(value)) if (ref.kind === 'captures' && ref.name) names.add(ref.name);
    }
  }
  return names;
}

/** One step: send, check the status, capture. A CannotTest describing it when it failed. */
async function runStep(
  env: StepsEnv,
  kind: 'setup' | 'teardown',
  index: number,
  step: SetupStep,
  captures: Record<string, string>,
  secret: Set<string>,
): Promise<CannotTest | undefined> {
  const ctx: RenderContext = { scope: env.scope, run: env.run, captures };
  const name = (req?: HttpRequest) => `${kind} step ${index + 1} (${step.request.method} ${shownPath(env.scenario, step, ctx, req)})`;
  let request: HttpRequest;
  try {
    request = renderStep(env.scenario, step.request, ctx);
  } catch (err) {
    // Only when an earlier step failed to capture what this one uses (teardown).
    return new CannotTest(`${name()}: not sent: ${(err as Error).message}`);
  }
  const exchange = await env.client.send(request, `${kind} step ${index + 1}`);
  env.record?.(exchange);
  if (!exchange.response) {
    return new CannotTest(`${name(request)}: no response: ${exchange.error ?? 'unknown error'}`, [exchange], exchange.errorKind);
  }
  const { status, body } = exchange.response;
  if (status < 200 || status > 299) return new CannotTest(`${name(request)}: answered ${status}`, [exchange]);

  const wanted = Object.entries(step.capture);
  if (wanted.length === 0) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return new CannotTest(
      `${name(request)}: answered ${status} with a body that is not JSON, so nothing can be captured (${wanted.map(([n]) => `'${n}'`).join(', ')})`,
      [exchange],
    );
  }
  for (const [capture, path] of wanted) {
    const [first] = selectAll(json, path);
    if (first === undefined) {
      return new CannotTest(`${name(request)}: capture '${capture}' (${path}) matched nothing in the response`, [exchange]);
    }
    const value = typeof first === 'string' ? first : JSON.stringify(first);
    // Before anything can show it: the redactor must know the value first.
    if (secret.has(capture)) env.onSecret?.(value);
    captures[capture] = value;
  }
  return undefined;
}

/** The path as sent (target stripped), or as written when it could not be rendered. */
function shownPath(scenario: Scenario, step: SetupStep, ctx: RenderContext, request?: HttpRequest): string {
  if (!request) return step.request.path;
  try {
    const target = renderTarget(scenario, ctx);
    return request.url.startsWith(target) && request.url.length > target.length ? request.url.slice(target.length) : request.url;
  } catch {
    return step.request.path;
  }
}
