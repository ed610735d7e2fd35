// Turns a scenario's templates into concrete requests for one attack run.
// Everything renders once per run, so duplicates and retries of that run are
// byte-identical.
import { randomBytes, randomUUID } from 'node:crypto';
import type { HttpRequest } from '../model/http.js';
import type { RequestTemplate, RunValues, Scenario, Tenant, TemplateScope } from './types.js';
import { renderString, renderValue, shellQuote } from './template.js';

export interface RenderContext {
  scope: TemplateScope;
  run: RunValues;
  captures?: Record<string, string>;
  /** Whose requests these are: its headers merge over the operation's and the oracle's. */
  tenant?: Tenant;
}

/** A fresh `{{ run.id }}` and `{{ key }}` (UUIDv4, sent bare). */
export function newRun(): RunValues {
  return { runId: `ic-${randomBytes(8).toString('hex')}`, key: randomUUID() };
}

export function renderTarget(scenario: Scenario, ctx: RenderContext): string {
  return renderString(scenario.target, ctx);
}

/**
 * The target and a path with exactly one slash at the seam, so a base path is
 * kept (`http://h/base/` or `http://h/base` + `/v1/x` -> `http://h/base/v1/x`)
 * and `--target http://h/` + `/orders` does not become `http://h//orders`,
 * which servers read as another path (or, in `new URL`, another host). A path
 * without a leading slash gets one; an empty path, or one that is only a
 * `?query` or `#fragment`, goes straight after the target. Only the seam is
 * touched: slashes inside the path are sent as written.
 */
export function joinUrl(target: string, path: string): string {
  if (path === '' || path.startsWith('?') || path.startsWith('#')) return target + path;
  const base = target.replace(/\/+$/, '');
  return path.startsWith('/') ? base + path.replace(/^\/+/, '/') : `${base}/${path}`;
}

/** Renders a request template; `body` overrides the template's own body (used by `reuse`). */
export function renderRequest(
  scenario: Scenario,
  template: RequestTemplate,
  ctx: RenderContext,
  opts: {
    keyHeader: boolean;
    inherit?: Record<string, string>;
    json?: unknown;
    /** Send the template's headers exactly as written, a key header it declares included (setup and teardown steps). */
    ownHeaders?: boolean;
  } = { keyHeader: true },
): HttpRequest {
  const url = joinUrl(renderTarget(scenario, ctx), renderString(template.path, ctx, encodeURIComponent));
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(opts.inherit ?? {})) headers[name] = value;
  const own = opts.ownHeaders ? template.headers : { ...template.headers, ...ctx.tenant?.headers };
  for (const [name, value] of Object.entries(own)) {
    deleteHeader(headers, name);
    headers[name] = renderString(value, ctx);
  }
  const keyHeader = scenario.idempotency.header;
  if (!opts.ownHeaders) deleteHeader(headers, keyHeader);
  if (opts.keyHeader) headers[keyHeader] = ctx.run.key;

  let body: Buffer | undefined;
  const json = opts.json !== undefined ? opts.json : template.json !== undefined ? renderValue(template.json, ctx) : undefined;
  if (json !== undefined) {
    body = Buffer.from(JSON.stringify(json));
    if (!hasHeader(headers, 'content-type')) headers['Content-Type'] = 'application/json';
  } else if (template.body !== undefined) {
    body = Buffer.from(renderString(template.body, ctx));
  }
  return { method: template.method, url, headers, ...(body ? { body } : {}) };
}

/** The base URLs of every instance a run's requests are dealt over: the first is the target. */
export function renderInstances(scenario: Scenario, ctx: RenderContext): string[] {
  return (scenario.targets ?? [scenario.target]).map((t) => renderString(t, ctx));
}

/** The same request sent to another instance: the base URL `from` swapped for `to`, the path kept. */
export function onInstance(request: HttpRequest, from: string, to: string): HttpRequest {
  const base = from.replace(/\/+$/, '');
  if (from === to || !request.url.startsWith(base)) return request;
  return { ...request, url: to.replace(/\/+$/, '') + request.url.slice(base.length) };
}

/** The operation under test, with the run's idempotency key. */
export function renderOperation(scenario: Scenario, ctx: RenderContext, json?: unknown): HttpRequest {
  return renderRequest(scenario, scenario.request, ctx, { keyHeader: true, json });
}

/**
 * A setup or teardown step: only its own headers (never the operation's, and
 * no idempotency key of ours), against the scenario's target.
 */
export function renderStep(scenario: Scenario, template: RequestTemplate, ctx: RenderContext): HttpRequest {
  return renderRequest(scenario, template, ctx, { keyHeader: false, ownHeaders: true });
}

/**
 * Stand-ins for every value the scenario's steps capture (`<captured NAME>`),
 * for rendering without running setup (`--dry-run`, `--max-requests`): a
 * context without captures cannot render `{{ captures.NAME }}`.
 */
export function previewCaptures(scenario: Scenario): Record<string, string> {
  const out: Record<string, string> = {};
  for (const step of [...(scenario.setup ?? []), ...(scenario.teardown ?? [])]) {
    for (const name of Object.keys(step.capture)) out[name] = `<captured ${name}>`;
  }
  return out;
}

/** The operation's headers, rendered, without the key header: what oracle requests inherit. */
export function inheritedHeaders(scenario: Scenario, ctx: RenderContext): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(scenario.request.headers)) {
    if (name.toLowerCase() === scenario.idempotency.header.toLowerCase()) continue;
    if (name.toLowerCase() === 'content-type') continue;
    out[name] = renderString(value, ctx);
  }
  return out;
}

export function renderCommand(command: string, ctx: RenderContext): string {
  return renderString(command, ctx, shellQuote);
}

function hasHeader(headers: Record<string, string>, name: string): boolean {
  const lower = name.toLowerCase();
  return Object.keys(headers).some((h) => h.toLowerCase() === lower);
}

function deleteHeader(headers: Record<string, string>, name: string): void {
  const lower = name.toLowerCase();
  for (const h of Object.keys(headers)) if (h.toLowerCase() === lower) delete headers[h];
}
