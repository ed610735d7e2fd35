// Ajv's errors, turned into one positioned, plain-language message per place.
import type { AnySchemaObject, ErrorObject } from 'ajv';
import { displayPath, pointerSegments } from './positions.js';
import type { Locator, Place, Segment } from './positions.js';
import { scenarioSchema, scenarioValidator } from './schema.js';
import { closest } from './suggest.js';

export interface Draft extends Place {
  message: string;
  /** The instance path the message is about. */
  path: Segment[];
}

/** Validates a parsed file against the schema; an empty list when it conforms. */
export function schemaErrors(value: unknown, loc: Locator): Draft[] {
  const validate = scenarioValidator();
  if (validate(value)) return [];
  return explain(validate.errors ?? [], loc);
}

/** What each named definition holds, for "must be ..." messages. */
const EXPECTED: Record<string, string> = {
  duration: 'a duration such as 300ms or 1.5s',
  margin: 'a duration such as 500ms or a percentage such as 20%',
  statusSet: 'a status code such as 201, a class such as 4xx, or a list of them',
  statusItem: 'a status code (100-599) or a class such as 4xx',
  jsonPath: 'a JSONPath such as $.id',
  method: 'an HTTP method such as POST',
  headerName: 'a header name such as Idempotency-Key',
  headers: 'a map of header names to values',
  request: 'a request: a map with path (and method, headers, json or body)',
  step: 'a request: a map with path (and method, headers, json, body or capture)',
  scenario: 'a scenario: a map with name, target, request, ...',
  idempotency: 'a map (header, ttl)',
  effects: 'a map (count or command, id, ids, settle, timeout)',
  countRequest: 'a map with request and select',
  expect: 'a map (success, inFlight, mismatch, afterExpiry, replayHeader, ignore)',
};

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  integer: 'a whole number',
  number: 'a number',
  boolean: 'true or false',
  object: 'a map',
  array: 'a list',
  null: 'empty',
};

function explain(all: ErrorObject[], loc: Locator): Draft[] {
  // `if`/`then`/`else` at the root only says which branch failed; nested
  // propertyNames errors repeat their parent.
  let errors = all.filter((e) => e.keyword !== 'if' && e.propertyName === undefined);
  errors = collapseAlternatives(errors);
  // A wrong type says it all: drop the other complaints about the same value.
  const typed = new Set(errors.filter((e) => e.keyword === 'type').map((e) => e.instancePath));
  errors = errors.filter((e) => e.keyword === 'type' || !typed.has(e.instancePath) || keyed(e));

  const drafts: Draft[] = [];
  const seen = new Set<string>();
  for (const error of errors) {
    const draft = describe(error, loc);
    const id = `${draft.line}:${draft.col}:${draft.message}`;
    if (seen.has(id)) continue;
    seen.add(id);
    drafts.push(draft);
  }
  return drafts;
}

/** Errors about a key of the value rather than the value itself. */
function keyed(e: ErrorObject): boolean {
  return e.keyword === 'additionalProperties' || e.keyword === 'required' || e.keyword === 'propertyNames';
}

/** One message for a failed oneOf/anyOf instead of one per branch. */
function collapseAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const places = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath);
  if (places.length === 0) return errors;
  const under = (p: string) => places.some((place) => p === place || p.startsWith(`${place}/`));
  return errors.filter((e) => !under(e.instancePath) || e.keyword === 'oneOf' || e.keyword === 'anyOf');
}

function describe(e: ErrorObject, loc: Locator): Draft {
  const path = pointerSegments(e.instancePath);
  // Within a `scenarios:` list, name places relative to their scenario: the caret shows which.
  const where = displayPath(path[0] === 'scenarios' && typeof path[1] === 'number' && path.length > 2 ? path.slice(2) : path);
  const name = where === '' ? 'the file' : `'${where}'`;
  const parent = (e.parentSchema ?? {}) as AnySchemaObject;
  const at = (place: Place, message: string, target: Segment[] = path): Draft => ({ ...place, message, path: target });

  switch (e.keyword) {
    case 'additionalProperties': {
      const key = String((e.params as { additionalProperty: string }).additionalProperty);
      const allowed = Object.keys((parent.properties ?? {}) as object);
      const guess = closest(key, allowed);
      const listRoot = allowed.length === 1 && allowed[0] === 'scenarios';
      const elsewhere = listRoot ? undefined : belongsElsewhere(key, path);
      let message = `unknown key '${key}'`;
      if (guess) message += `; did you mean '${guess}'?${elsewhere ? ` ('${key}' belongs under ${elsewhere.there})` : ''}`;
      else if (elsewhere) message = `'${key}' belongs under ${elsewhere.there}, not ${elsewhere.here}`;
      else if (listRoot) message += ` (a file with 'scenarios:' holds only that list)`;
      else if (allowed.length > 0) message += ` (allowed here: ${allowed.join(', ')})`;
      return at(loc.keyIn(path, key), message, [...path, key]);
    }
    case 'required': {
      const missing = String((e.params as { missingProperty: string }).missingProperty);
      const message = where === '' ? `missing required key '${missing}'` : `missing required key '${missing}' in '${where}'`;
      return at(loc.key(path), message);
    }
    case 'propertyNames': {
      const key = String((e.params as { propertyName: string }).propertyName);
      const what = parent === definition('headers') ? 'header name' : 'name';
      const rule = what === 'header name' ? 'letters, digits and !#$%&\'*+.^_`|~-' : 'letters, digits, _ and -, not starting with a digit';
      return at(loc.keyIn(path, key), `invalid ${what} '${key}': use ${rule}`, [...path, key]);
    }
    case 'type':
      return at(loc.value(path), `${name} must be ${expected(parent, e.schema)}; got ${shown(e.data)}`);
    case 'pattern':
    case 'format':
      return at(loc.value(path), `${name} must be ${expected(parent, parent.type)}; got ${shown(e.data)}`);
    case 'enum': {
      const allowed = (e.schema as unknown[]).map(String);
      const guess = typeof e.data === 'string' ? closest(e.data, allowed) : undefined;
      const hint = guess ? `; did you mean '${guess}'?` : '';
      return at(loc.value(path), `${name} must be one of ${allowed.join(', ')}; got ${shown(e.data)}${hint}`);
    }
    case 'minimum':
    case 'exclusiveMinimum':
      return at(loc.value(path), `${name} must be ${minOf(e)}; got ${shown(e.data)}`);
    case 'maximum':
    case 'exclusiveMaximum':
      return at(loc.value(path), `${name} must be ${maxOf(e)}; got ${shown(e.data)}`);
    case 'minItems':
      return at(loc.value(path), limitOf(e) === 1 ? `${name} must not be empty` : `${name} needs at least ${limitOf(e)} items`);
    case 'maxItems':
      return at(loc.value(path), `${name} allows at most ${limitOf(e)} items`);
    case 'minLength':
      return at(loc.value(path), limitOf(e) === 1 ? `${name} must not be empty` : `${name} must be at least ${limitOf(e)} characters long`);
    case 'minProperties':
      if (path[path.length - 1] === 'attacks') {
        return at(loc.value(path), `'attacks' lists no attack: name at least one, or remove it to run them all`);
      }
      return at(loc.value(path), limitOf(e) === 1 ? `${name} must not be empty` : `${name} needs at least ${limitOf(e)} entries`);
    case 'maxProperties':
      return at(loc.value(path), limitOf(e) === 1 ? `${name} must have a single entry` : `${name} allows at most ${limitOf(e)} entries`);
    case 'uniqueItems': {
      const { i, j } = e.params as { i: number; j: number };
      const later = Math.max(i, j);
      const item = Array.isArray(e.data) ? e.data[later] : undefined;
      return at(loc.value([...path, later]), `${name} lists ${shown(item)} more than once`, [...path, later]);
    }
    case 'oneOf':
    case 'anyOf':
      return at(loc.value(path), `${name} must be ${expected(parent, parent.type)}; got ${shown(e.data)}`);
    default:
      return at(loc.value(path), `${name} ${e.message ?? 'is invalid'}`);
  }
}

/** A place in a scenario, as the schema names it: map keys, and ITEM for "any item of this list". */
type SchemaPlace = (string | typeof ITEM)[];
const ITEM = Symbol('item');

let places: Map<string, SchemaPlace[]> | undefined;

/**
 * Every key the scenario schema allows, with the places that allow it, found
 * by walking the schema's properties from the scenario definition (through
 * $ref, items and combinators). Keys of free-form maps (headers, capture,
 * json) are names the user chooses, not the schema's, and are left out.
 */
export function schemaKeyPlaces(): Map<string, SchemaPlace[]> {
  if (places) return places;
  const out = new Map<string, SchemaPlace[]>();
  const defs = (scenarioSchema().definitions ?? {}) as Record<string, AnySchemaObject>;
  const resolve = (node: AnySchemaObject): AnySchemaObject | undefined => {
    const ref = node.$ref;
    if (typeof ref !== 'string') return node;
    const name = /^#\/definitions\/(.+)$/.exec(ref)?.[1];
    return name === undefined ? undefined : defs[name];
  };
  const walk = (raw: unknown, place: SchemaPlace, stack: Set<AnySchemaObject>): void => {
    if (raw === null || typeof raw !== 'object') return;
    const node = resolve(raw as AnySchemaObject);
    if (!node || stack.has(node)) return;
    const inner = new Set(stack).add(node);
    for (const [key, sub] of Object.entries((node.properties ?? {}) as Record<string, unknown>)) {
      out.set(key, [...(out.get(key) ?? []), place]);
      walk(sub, [...place, key], inner);
    }
    if (node.items && !Array.isArray(node.items)) walk(node.items, [...place, ITEM], inner);
    for (const list of ['allOf', 'anyOf', 'oneOf'] as const) for (const sub of (node[list] ?? []) as unknown[]) walk(sub, place, inner);
    for (const branch of ['then', 'else'] as const) walk(node[branch], place, inner);
  };
  walk(defs['scenario'], [], new Set());
  places = out;
  return out;
}

/**
 * Where `key`, unknown at `path`, is allowed instead ("'effects'") and what
 * `path` is called ("'effects.count'"), when the schema allows it somewhere
 * else in a scenario: the places sharing the longest start with `path`,
 * shallowest first, at most three.
 */
function belongsElsewhere(key: string, path: Segment[]): { there: string; here: string } | undefined {
  const rel = path[0] === 'scenarios' && typeof path[1] === 'number' ? path.slice(2) : path;
  const here: SchemaPlace = rel.map((s) => (typeof s === 'number' ? ITEM : s));
  const same = (a: SchemaPlace, b: SchemaPlace) => a.length === b.length && a.every((s, i) => s === b[i]);
  const candidates = (schemaKeyPlaces().get(key) ?? []).filter((p) => !same(p, here));
  if (candidates.length === 0) return undefined;
  const shared = (p: SchemaPlace) => {
    let n = 0;
    while (n < p.length && n < here.length && p[n] === here[n]) n++;
    return n;
  };
  const best = Math.max(...candidates.map(shared));
  const nearest = candidates.filter((p) => shared(p) === best).sort((a, b) => a.length - b.length).slice(0, 3);
  const names = nearest.map(placeName);
  const list = names.length === 1 ? names[0]! : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
  return { there: list, here: here.length === 0 ? 'the top level of the scenario' : placeName(here) };
}

/** `'effects.count'`; a list item is "an item of 'setup'". */
function placeName(place: SchemaPlace): string {
  const last = place.lastIndexOf(ITEM);
  const show = (p: SchemaPlace) => p.map((s) => (s === ITEM ? '[]' : s)).join('.').replace(/\.\[\]/g, '[]');
  if (last === place.length - 1) return `an item of '${show(place.slice(0, -1))}'`;
  return `'${show(place)}'`;
}

function definition(name: string): unknown {
  return (scenarioSchema().definitions as Record<string, unknown> | undefined)?.[name];
}

/** Names the expected shape: a named definition's wording, else the JSON types. */
function expected(parent: AnySchemaObject, types: unknown): string {
  const defs = (scenarioSchema().definitions ?? {}) as Record<string, unknown>;
  for (const [name, text] of Object.entries(EXPECTED)) if (defs[name] === parent) return text;
  if (defs['attacks'] === parent) return `a map of attacks (${Object.keys((parent.properties ?? {}) as object).join(', ')})`;
  const list = (Array.isArray(types) ? types : [types]).filter((t): t is string => typeof t === 'string');
  if (list.length === 0) return 'a valid value';
  const words = list.map((t) => TYPE_NAMES[t] ?? t);
  return words.length === 1 ? words[0]! : `${words.slice(0, -1).join(', ')} or ${words[words.length - 1]}`;
}

/** How a value reads in a message. */
export function shown(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 37)}...` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return 'a list';
  return 'a map';
}

function limitOf(e: ErrorObject): number {
  return Number((e.params as { limit: number }).limit);
}

function minOf(e: ErrorObject): string {
  return e.keyword === 'exclusiveMinimum' ? `more than ${limitOf(e)}` : `at least ${limitOf(e)}`;
}

function maxOf(e: ErrorObject): string {
  return e.keyword === 'exclusiveMaximum' ? `less than ${limitOf(e)}` : `at most ${limitOf(e)}`;
}
