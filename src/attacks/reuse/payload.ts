// The payload `reuse` sends with the same key.
import { hasTemplate } from '../../scenario/template.js';
import { renderOperation, type RenderContext } from '../../scenario/render.js';
import { renderValue } from '../../scenario/template.js';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario } from '../../scenario/types.js';
import { isPlainObject } from '../../model/values.js';
import type { ReuseConfig } from './index.js';

/**
 * `change` merged shallowly into the rendered json, or else the first field
 * that holds no template changed (numbers +1, strings get a suffix).
 * Undefined when nothing can change.
 */
export function changedPayload(json: unknown, change: Record<string, unknown> | undefined, rendered?: unknown): unknown {
  const base = rendered ?? json;
  if (!isPlainObject(json) || !isPlainObject(base)) return undefined;
  if (change) return { ...base, ...change };
  for (const [field, value] of Object.entries(json)) {
    if (typeof value === 'number') return { ...base, [field]: value + 1 };
    if (typeof value === 'string' && !hasTemplate(value)) return { ...base, [field]: `${value}-changed` };
  }
  return undefined;
}

/** The original request of a run and the one with the changed payload, rendered in the same context. */
export function reuseRequests(scenario: Scenario, config: ReuseConfig, ctx: RenderContext): { original: HttpRequest; changed: HttpRequest } {
  const original = renderOperation(scenario, ctx);
  const rendered = JSON.parse(original.body!.toString('utf8')) as unknown;
  const change = config.change ? (renderValue(config.change, ctx) as Record<string, unknown>) : undefined;
  return { original, changed: renderOperation(scenario, ctx, changedPayload(scenario.request.json, change, rendered)) };
}
