// The request body of a generated scenario: the operation's documented
// example, else a deterministic sample of its schema (openapi-sampler:
// required fields only, readOnly ones left out, formats and enums honoured),
// with one field set to `{{ run.id }}` so the oracle can count this run alone.
import sampler from 'openapi-sampler';
import type { ApiBody, Schema } from './model.js';

export const RUN_ID = '{{ run.id }}';
/** What a run id looks like (`ic-` and 16 hex digits), to test patterns and lengths against. */
const RUN_ID_SAMPLE = 'ic-0123456789abcdef';

/** A top-level body field that can carry the run id. */
export interface Carrier {
  field: string;
  /** How the value is written: a string, `x@example.com`, a one-item list, or an entry of a map. */
  shape: 'string' | 'email' | 'list' | 'map';
  required: boolean;
  schema: Schema;
}

export interface BodyPlan {
  kind: 'json' | 'form' | 'none' | 'unsupported';
  mediaType?: string;
  /** For json: the value; for form: the encoded text. */
  json?: unknown;
  form?: string;
  /** The field set to the run id, and the value written there. */
  carrier?: Carrier & { value: unknown; added: boolean };
  /** Where the body came from, for the file's comment. */
  from: string;
}

type Raw = Record<string, unknown>;

function isMap(value: unknown): value is Raw {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Follows a `$ref` left in place at a cycle. */
function resolve(schema: unknown, root: Raw, depth = 0): Schema | undefined {
  if (!isMap(schema)) return undefined;
  const ref = schema.$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/') || depth > 20) return schema;
  let node: unknown = root;
  for (const part of ref.slice(2).split('/')) node = isMap(node) ? node[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  return resolve(node, root, depth + 1);
}

/** The properties an object schema has, through allOf (merged) and oneOf/anyOf (the first, as the sampler takes). */
export function objectView(schema: Schema | undefined, root: Raw): { properties: Record<string, Schema>; required: Set<string> } {
  const properties: Record<string, Schema> = {};
  const required = new Set<string>();
  const seen = new Set<unknown>();
  const visit = (s: unknown): void => {
    const r = resolve(s, root);
    if (!r || seen.has(r)) return;
    seen.add(r);
    for (const [k, v] of Object.entries(isMap(r.properties) ? r.properties : {})) {
      const resolved = resolve(v, root);
      if (resolved) properties[k] = properties[k] ? { ...properties[k], ...resolved } : resolved;
    }
    if (Array.isArray(r.required)) for (const k of r.required) if (typeof k === 'string') required.add(k);
    if (Array.isArray(r.allOf)) r.allOf.forEach(visit);
    for (const key of ['oneOf', 'anyOf'] as const) if (Array.isArray(r[key]) && r[key].length > 0) visit(r[key][0]);
  };
  visit(schema);
  return { properties, required };
}

/** A property schema's own types, `allOf` members merged (`type: [string, "null"]` counts as string). */
function typesOf(schema: Schema, root: Raw): Set<string> {
  const out = new Set<string>();
  const add = (s: unknown) => {
    const r = resolve(s, root);
    if (!r) return;
    if (typeof r.type === 'string') out.add(r.type);
    if (Array.isArray(r.type)) for (const t of r.type) if (typeof t === 'string') out.add(t);
    if (Array.isArray(r.allOf)) r.allOf.forEach(add);
  };
  add(schema);
  return out;
}

const UNFIT_FORMATS = new Set(['date', 'date-time', 'time', 'duration', 'uuid', 'uri', 'url', 'uri-reference', 'iri', 'ipv4', 'ipv6', 'hostname', 'byte', 'binary', 'int32', 'int64', 'decimal', 'currency', 'country']);

/** Whether a run id (or `runid@example.com`) fits the string schema. */
function fitsString(schema: Schema, value: string): boolean {
  if (schema.readOnly === true || schema.enum !== undefined || schema.const !== undefined) return false;
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) return false;
  if (typeof schema.pattern === 'string') {
    try {
      if (!new RegExp(schema.pattern, 'u').test(value)) return false;
    } catch {
      return false;
    }
  }
  return true;
}

function carrierOf(field: string, schema: Schema, required: boolean, root: Raw): Carrier | undefined {
  if (schema.readOnly === true) return undefined;
  // A required field the document gives an example for (`charge: ch_123`, `eventType: user.signup`)
  // most likely names something that must exist: the run id there would make the request fail.
  const documented = schema.example !== undefined || (Array.isArray(schema.examples) && schema.examples.length > 0);
  if (required && documented && !REFERENCE_NAMES.slice(0, 2).some((re) => re.test(field))) return undefined;
  const types = typesOf(schema, root);
  const format = typeof schema.format === 'string' ? schema.format.toLowerCase() : undefined;
  if (types.has('string') || (types.size === 0 && !schema.properties && !schema.items)) {
    if (format === 'email' || format === 'idn-email') return fitsString(schema, `${RUN_ID_SAMPLE}@example.com`) ? { field, shape: 'email', required, schema } : undefined;
    if (format && UNFIT_FORMATS.has(format)) return undefined;
    return fitsString(schema, RUN_ID_SAMPLE) ? { field, shape: 'string', required, schema } : undefined;
  }
  if (types.has('array')) {
    const items = resolve(schema.items, root);
    // Only lists that tag the resource (channels, tags, labels): a run id in `expand` or `scopes` would change the request's meaning.
    const tags = /channel|tag|label|categor|keyword|group|reference/i.test(field);
    if (tags && items && typesOf(items, root).has('string') && fitsString(items, RUN_ID_SAMPLE) && !items.format) return { field, shape: 'list', required, schema };
    return undefined;
  }
  if (types.has('object') && /metadata|labels|tags|attributes/i.test(field)) {
    const extra = schema.additionalProperties;
    const ok = extra === undefined || extra === true || (isMap(extra) && typesOf(extra, root).has('string'));
    return ok ? { field, shape: 'map', required, schema } : undefined;
  }
  return undefined;
}

/** Names that say "the client's own reference", best first. */
const REFERENCE_NAMES = [
  /^(ref|reference|client_?ref(erence)?(_?id)?|merchant_?ref(erence)?|external_?(id|ref(erence)?)|customer_?ref(erence)?|order_?ref(erence)?|correlation_?id)$/i,
  /ref(erence)?$/i,
  /^(description|note|notes|memo|comment|title|name|label|subject)$/i,
  /metadata/i,
];

function rank(c: Carrier): number {
  const i = REFERENCE_NAMES.findIndex((re) => re.test(c.field));
  return (i < 0 ? REFERENCE_NAMES.length : i) * 2 + (c.required ? 0 : 1);
}

/** Every top-level field that can carry the run id, best first. */
export function carriers(body: ApiBody | undefined, root: Raw): Carrier[] {
  if (!body?.schema) return [];
  const view = objectView(body.schema, root);
  const out: Carrier[] = [];
  for (const [field, schema] of Object.entries(view.properties)) {
    const c = carrierOf(field, schema, view.required.has(field), root);
    if (c) out.push(c);
  }
  return out.sort((a, b) => rank(a) - rank(b));
}

/** The value a carrier holds in the body. */
export function carrierValue(c: Pick<Carrier, 'shape'>): unknown {
  switch (c.shape) {
    case 'email':
      return `${RUN_ID}@example.com`;
    case 'list':
      return [RUN_ID];
    case 'map':
      return { idemchaos_run: RUN_ID };
    default:
      return RUN_ID;
  }
}

/** The text an oracle filters by for a carrier (a list's item, a map's entry). */
export function filterValue(c: Pick<Carrier, 'shape'>): string {
  return c.shape === 'email' ? `${RUN_ID}@example.com` : RUN_ID;
}

const JSON_TYPE = /^application\/(.+\+)?json(;.*)?$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded(;.*)?$/i;

/**
 * The body, with `chosen` (or the best carrier) set to the run id. `chosen`
 * is the one the oracle can filter by, when there is one.
 */
export function planBody(body: ApiBody | undefined, root: Raw, chosen?: Carrier): BodyPlan {
  if (!body) return { kind: 'none', from: 'the operation documents no request body' };
  const json = JSON_TYPE.test(body.mediaType);
  const form = FORM_TYPE.test(body.mediaType);
  if (!json && !form) {
    return { kind: 'unsupported', mediaType: body.mediaType, from: `the operation takes ${body.mediaType}, which idemchaos does not generate` };
  }
  let value: unknown;
  let from: string;
  if (body.example !== undefined) {
    value = structuredClone(body.example.value);
    from = `the document's example (${body.example.from})`;
  } else if (body.schema) {
    value = sampler.sample(body.schema as never, { skipReadOnly: true, skipNonRequired: true, quiet: true }, root);
    from = 'a sample of the schema (required fields only, readOnly ones left out; formats, enums and examples honoured)';
  } else {
    value = {};
    from = 'no schema and no example: an empty object';
  }
  const carrier = chosen ?? carriers(body, root)[0] ?? exampleCarrier(value);
  let set: BodyPlan['carrier'];
  if (carrier && isMap(value)) {
    const added = !(carrier.field in value);
    const v = carrierValue(carrier);
    value[carrier.field] = v;
    set = { ...carrier, value: v, added };
  }
  const kind = form ? 'form' : 'json';
  return {
    kind,
    mediaType: body.mediaType,
    ...(form ? { form: encodeForm(value, body.encoding) } : { json: value }),
    ...(set ? { carrier: set } : {}),
    from,
  };
}

/** Without a schema: a string field of the example whose name says it is a reference. */
function exampleCarrier(value: unknown): Carrier | undefined {
  if (!isMap(value)) return undefined;
  for (const re of REFERENCE_NAMES) {
    const field = Object.keys(value).find((k) => re.test(k) && typeof value[k] === 'string');
    if (field) return { field, shape: 'string', required: false, schema: {} };
  }
  return undefined;
}

/**
 * application/x-www-form-urlencoded: scalars as `k=v`, lists as repeated
 * `k=v` (form style, exploded: OpenAPI's default) unless their encoding says
 * deepObject, objects as `k[sub]=v` (deepObject, as Stripe and most form APIs
 * read nested values). Templates are kept as they are, so they render per run.
 */
export function encodeForm(value: unknown, encoding: ApiBody['encoding'] = {}): string {
  const pairs: string[] = [];
  const put = (key: string, v: unknown): void => {
    if (v === undefined || v === null) return;
    if (Array.isArray(v)) {
      v.forEach((item, i) => (isMap(item) ? put(`${key}[${i}]`, item) : put(encoding[key]?.style === 'deepObject' ? `${key}[${i}]` : key, item)));
    } else if (isMap(v)) {
      for (const [k, x] of Object.entries(v)) put(`${key}[${k}]`, x);
    } else {
      pairs.push(`${encodePart(key)}=${encodePart(String(v))}`);
    }
  };
  if (isMap(value)) for (const [k, v] of Object.entries(value)) put(k, v);
  return pairs.join('&');
}

/** Percent-encodes all but `{{ ... }}` templates (and the brackets of nested keys). */
function encodePart(text: string): string {
  return text
    .split(/(\{\{.*?\}\})/)
    .map((piece, i) => (i % 2 === 1 ? piece : encodeURIComponent(piece).replace(/%5B/g, '[').replace(/%5D/g, ']')))
    .join('');
}
