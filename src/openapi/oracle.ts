// The side-effect oracle of a generated scenario: a GET on the same
// collection that filters by a field the body carries counts the run's
// effects; without one, only the id a success names is known, and the
// verdicts are response-only.
import { objectView, type Carrier } from './body.js';
import { successResponses, type ApiDocument, type ApiOperation, type ApiParameter, type Schema } from './model.js';

export interface CountPlan {
  list: ApiOperation;
  /** The query parameter that filters by the carrier. */
  param: ApiParameter;
  carrier: Carrier;
  /** JSONPath to the count (or the list whose length counts). */
  select: string;
  /** JSONPath to the ids of the listed effects, when the items have one. */
  ids?: string;
  /** What the select was read from, for the comment. */
  selectFrom: string;
}

type Raw = Record<string, unknown>;

const norm = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');
const samePath = (a: string, b: string) => (a.length > 1 ? a.replace(/\/+$/, '') : a) === (b.length > 1 ? b.replace(/\/+$/, '') : b);

/** A query parameter and a body field name the same thing: `ref`/`ref`, `email`/`email`, `channel`/`channels`. */
function matches(param: string, field: string): boolean {
  const p = norm(param);
  const f = norm(field);
  return p === f || `${p}s` === f || p === `${f}s` || `${p}es` === f;
}

/** The GETs on the operation's own path (its collection), each with the carriers it can filter by. */
export function listingsFor(api: ApiDocument, op: ApiOperation, candidates: Carrier[]): { list: ApiOperation; param: ApiParameter; carrier: Carrier }[] {
  const out: { list: ApiOperation; param: ApiParameter; carrier: Carrier }[] = [];
  for (const list of api.operations) {
    if (list.method !== 'GET' || !samePath(list.path, op.path)) continue;
    for (const carrier of candidates) {
      const param = list.parameters.find((p) => p.in === 'query' && matches(p.name, carrier.field) && filterable(p));
      if (param) out.push({ list, param, carrier });
    }
  }
  return out;
}

function filterable(p: ApiParameter): boolean {
  const s = p.schema ?? {};
  if (s.enum !== undefined) return false;
  const type = Array.isArray(s.type) ? s.type : [s.type];
  if (type.includes('string') || type.includes(undefined)) return true;
  const items = s.items as Raw | undefined;
  return type.includes('array') && !!items && (items.type === 'string' || items.type === undefined);
}

/** A count for the first listing whose response says where its items (or their number) are. */
export function planCount(api: ApiDocument, op: ApiOperation, candidates: Carrier[], bodyFields: Set<string>): CountPlan | undefined {
  for (const found of listingsFor(api, op, candidates)) {
    const response = successResponses(found.list).find((r) => r.schema);
    if (!response?.schema) continue;
    const where = selectFrom(response.schema, api.root, bodyFields);
    if (!where) continue;
    return { ...found, ...where, selectFrom: `the ${response.status} response schema of GET ${found.list.path}` };
  }
  return undefined;
}

const COUNT_NAMES = /^(count|total|totalcount|totalresults|totalitems|totalelements|size|numberofitems)$/;
const LIST_NAMES = /^(data|items|results|entries|records|list|values|content|elements|objects)$/;

function isType(schema: Schema | undefined, type: string): boolean {
  if (!schema) return false;
  return schema.type === type || (Array.isArray(schema.type) && schema.type.includes(type)) || (type === 'array' && schema.items !== undefined && schema.type === undefined);
}

function selectFrom(schema: Schema, root: Raw, bodyFields: Set<string>): { select: string; ids?: string } | undefined {
  if (isType(schema, 'array')) {
    const id = idField(schema.items as Schema | undefined, root, bodyFields);
    return { select: '$', ...(id ? { ids: `$[*]${member(id)}` } : {}) };
  }
  const view = objectView(schema, root);
  const entries = Object.entries(view.properties);
  const count = entries.find(([k, s]) => COUNT_NAMES.test(norm(k)) && (isType(s, 'integer') || isType(s, 'number')));
  const arrays = entries.filter(([, s]) => isType(s, 'array'));
  const list = arrays.find(([k]) => LIST_NAMES.test(norm(k))) ?? arrays[0];
  const id = list ? idField(list[1].items as Schema | undefined, root, bodyFields) : undefined;
  const ids = list && id ? { ids: `$${member(list[0])}[*]${member(id)}` } : {};
  if (count) return { select: `$${member(count[0])}`, ...ids };
  if (list) return { select: `$${member(list[0])}`, ...ids };
  return undefined;
}

/** `.name`, or `['na-me']` when it is no identifier. */
export function member(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? `.${name}` : `['${name.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/**
 * The field naming a resource: `id`, else one ending in id (`orderId`,
 * `order_id`), else one ending in reference (`pspReference`); never a field
 * the request itself sent (an echoed `reference` names the client's input,
 * not the effect).
 */
export function idField(schema: Schema | undefined, root: Raw, bodyFields: Set<string>): string | undefined {
  if (!schema) return undefined;
  const names = Object.entries(objectView(schema, root).properties)
    .filter(([k, s]) => !bodyFields.has(k) && s.writeOnly !== true && !isType(s, 'object') && !isType(s, 'array'))
    .map(([k]) => k);
  return (
    names.find((k) => k === 'id') ??
    names.find((k) => k.toLowerCase() === 'id' || /(^|[_-])id$/i.test(k) || /[a-z]Id$/.test(k) || /ID$/.test(k)) ??
    names.find((k) => /reference$/i.test(k))
  );
}

/** Where a success response of the operation names what it created. */
export function planId(api: ApiDocument, op: ApiOperation, bodyFields: Set<string>): { path: string; from: string } | undefined {
  for (const r of successResponses(op)) {
    if (!r.schema) continue;
    const id = idField(r.schema, api.root, bodyFields);
    if (id) return { path: `$${member(id)}`, from: `the ${r.status} response schema` };
  }
  return undefined;
}
