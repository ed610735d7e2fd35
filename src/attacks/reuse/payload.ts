// The payloads `reuse` sends with a used key: one variant per field it can
// change (or the one `change:` makes), and the payload of the in-flight step.
import { hasTemplate } from '../../scenario/template.js';
import { renderOperation, type RenderContext } from '../../scenario/render.js';
import { renderValue } from '../../scenario/template.js';
import type { HttpRequest } from '../../model/http.js';
import type { Scenario } from '../../scenario/types.js';
import { isPlainObject } from '../../model/values.js';
import type { ReuseConfig } from './index.js';

/** Fields changed one at a time, at the most: each is a run of its own. */
export const MAX_FIELDS = 8;

/**
 * The top-level fields of `request.json` that hold no template and can be
 * changed (numbers, strings, booleans), in document order, up to MAX_FIELDS.
 * Nulls, lists and maps are left alone.
 */
export function changeableFields(json: unknown): string[] {
  if (!isPlainObject(json)) return [];
  const fields = Object.entries(json).filter(([, value]) => changedValue(value) !== undefined).map(([field]) => field);
  return fields.slice(0, MAX_FIELDS);
}

/** A number +1, a string with a suffix, a boolean flipped; undefined for anything else (or a template). */
function changedValue(value: unknown): unknown {
  if (typeof value === 'number') return value + 1;
  if (typeof value === 'string' && !hasTemplate(value)) return `${value}-changed`;
  if (typeof value === 'boolean') return !value;
  return undefined;
}

/**
 * The rendered json with `fields` of the scenario's json changed, or with
 * `change` merged shallowly when given. Undefined when nothing can change.
 */
export function changedFields(json: unknown, fields: string[], rendered: unknown): Record<string, unknown> | undefined {
  if (!isPlainObject(json) || !isPlainObject(rendered) || fields.length === 0) return undefined;
  const out: Record<string, unknown> = { ...rendered };
  for (const field of fields) out[field] = changedValue(json[field]);
  return out;
}

/**
 * `change` merged shallowly into the rendered json, or else the first number
 * or template-free string changed: the tenant attack's changed payload (reuse
 * changes each field in turn, booleans too). Undefined when nothing can change.
 */
export function changedPayload(json: unknown, change: Record<string, unknown> | undefined, rendered?: unknown): unknown {
  const base = rendered ?? json;
  if (!isPlainObject(json) || !isPlainObject(base)) return undefined;
  if (change) return { ...base, ...change };
  const first = changeableFields(json).find((field) => typeof json[field] !== 'boolean');
  return first === undefined ? undefined : changedFields(json, [first], base);
}

/** One run of reuse: which fields differ in its second request. */
export interface ReuseVariant {
  /** The fields changed: one field, or the keys of `change:`. */
  fields: string[];
  /** Its labels' prefix ("sku: "); empty for the one variant `change:` makes. */
  prefix: string;
}

/** One variant per changeable field, or the one `change:` makes. */
export function reuseVariants(scenario: Scenario, config: ReuseConfig): ReuseVariant[] {
  if (config.change) return [{ fields: Object.keys(config.change), prefix: '' }];
  return changeableFields(scenario.request.json).map((field) => ({ fields: [field], prefix: `${field}: ` }));
}

/**
 * The original request of a run and the one with the changed payload,
 * rendered in the same context: `fields` changed (every variant's at once
 * when `fields` is 'all', as the in-flight step sends), or `change:` merged.
 */
export function reuseRequests(scenario: Scenario, config: ReuseConfig, ctx: RenderContext, fields: string[] | 'all'): { original: HttpRequest; changed: HttpRequest } {
  const original = renderOperation(scenario, ctx);
  const rendered = JSON.parse(original.body!.toString('utf8')) as unknown;
  const json = scenario.request.json;
  const payload = config.change
    ? changedPayload(json, renderValue(config.change, ctx) as Record<string, unknown>, rendered)
    : changedFields(json, fields === 'all' ? changeableFields(json) : fields, rendered);
  return { original, changed: renderOperation(scenario, ctx, payload) };
}
