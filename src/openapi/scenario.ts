// One operation's scenario file: live YAML that `idemchaos validate` accepts
// as written, with a comment wherever a person must decide (credentials,
// path parameters, the retention, an oracle the document cannot provide).
import { Document, isMap, isPair, isScalar, type Node, type Pair, type YAMLMap } from 'yaml';
import type { Preset } from '../scenario/presets.js';
import { isSecretHeader, isSecretName } from '../secrets/names.js';
import { carriers, filterValue, planBody, RUN_ID, type BodyPlan } from './body.js';
import { label, response, successResponses, type ApiDocument, type ApiOperation, type ApiParameter, type SecurityScheme } from './model.js';
import { planCount, planId, type CountPlan } from './oracle.js';
import { readMaxLength, readRetention, type Prose, type Reading } from './prose.js';
import type { Chosen } from './select.js';

export interface OtherOperation {
  name: string;
  method: string;
  path: string;
  file: string;
}

export interface ScenarioInput {
  api: ApiDocument;
  chosen: Chosen;
  preset: Preset;
  /** `--preset`, written as `preset:` when given. */
  presetFlag?: string;
  /** The other selected operations of the same document. */
  others: OtherOperation[];
  /** The document as the user named it, for the header. */
  source: string;
  /** Where the file finds the JSON Schema, relative to it. */
  schemaRef: string;
}

/** A retention longer than this makes the expiry attack wait too long for a routine run. */
const LONG_TTL_MS = 60_000;

type Comments = { path: (string | number)[]; text: string; at: 'after' | 'above' | 'inside' }[];

export function buildScenario(input: ScenarioInput): string {
  const { api, chosen, preset } = input;
  const op = chosen.op;
  const comments: Comments = [];
  const note = (path: (string | number)[], text: string, at: Comments[number]['at'] = 'after') => comments.push({ path, text, at });

  // The body first: which field carries the run id depends on the oracle.
  const candidates = carriers(op.body, api.root);
  // What the request sends itself (body fields, path and query parameters) names no effect.
  const bodyFieldNames = new Set([...Object.keys(fieldsOf(op)), ...op.parameters.filter((p) => p.in !== 'header').map((p) => p.name)]);
  const count = planCount(api, op, candidates, bodyFieldNames);
  const body = planBody(op.body, api.root, count?.carrier);
  if (body.json !== undefined && typeof body.json === 'object' && body.json !== null) for (const k of Object.keys(body.json)) bodyFieldNames.add(k);

  const scenario: Record<string, unknown> = {};
  scenario.name = scenarioName(op);
  scenario.target = '{{ env.BASE_URL }}';
  const server = op.servers[0];
  note(['target'], server
    ? `the document's first server: ${server}${/^https?:\/\//i.test(server) ? '' : ' (relative: BASE_URL is the host it is served from, with this path)'}; export BASE_URL or pass --target`
    : 'the document names no server: export BASE_URL (the base URL of the API) or pass --target');
  if (input.presetFlag) scenario.preset = input.presetFlag;

  // The request.
  const request: Record<string, unknown> = { method: op.method };
  const pathNotes: string[] = [];
  const query: string[] = [];
  let path = op.path.replace(/\{([^}]+)\}/g, (_whole, name: string) => {
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name);
    const example = scalar(param?.example);
    if (example !== undefined) {
      pathNotes.push(`{${name}} is the document's example: use one of yours`);
      return encodeURIComponent(example);
    }
    const v = varName(name);
    pathNotes.push(`{${name}}: pass --var ${v}=...`);
    return `{{ vars.${v} }}`;
  });
  for (const p of op.parameters.filter((x) => x.in === 'query' && x.required)) {
    const value = paramValue(p, 'query');
    query.push(`${encodeURIComponent(p.name)}=${value.text}`);
    if (value.note) pathNotes.push(value.note);
  }
  const headers: Record<string, string> = {};
  const headerNotes: Record<string, string> = {};
  const security = securityHeaders(api, op, query, pathNotes);
  for (const [name, h] of Object.entries(security.headers)) {
    headers[name] = h.value;
    headerNotes[name] = h.note;
  }
  for (const p of op.parameters.filter((x) => x.in === 'header' && x.required)) {
    const lower = p.name.toLowerCase();
    if (lower === chosen.key.name.toLowerCase() || lower === 'content-type' || lower === 'accept' || Object.keys(headers).some((h) => h.toLowerCase() === lower)) continue;
    const value = paramValue(p, 'header');
    headers[p.name] = value.text;
    headerNotes[p.name] = value.note ?? 'a required header of the operation';
  }
  if (query.length > 0) path += `?${query.join('&')}`;
  request.path = path;
  if (pathNotes.length > 0) note(['request', 'path'], pathNotes.join('; '));
  if (body.kind === 'form') {
    headers['Content-Type'] = 'application/x-www-form-urlencoded';
    headerNotes['Content-Type'] = 'the operation takes a form';
  }
  if (Object.keys(headers).length > 0) request.headers = headers;
  for (const [name, text] of Object.entries(headerNotes)) note(['request', 'headers', name], text);
  if (body.kind === 'json') request.json = body.json;
  if (body.kind === 'form') request.body = body.form;
  scenario.request = request;
  describeBody(body, note);

  // The key.
  const idempotency: Record<string, unknown> = { header: chosen.key.name };
  note(['idempotency', 'header'], `from ${chosen.key.from}`);
  const keyProse: Prose[] = [
    { text: chosen.key.param?.description, where: `the description of the ${chosen.key.name} parameter` },
    { text: op.description, where: `the description of ${label(op)}` },
    { text: op.summary, where: `the summary of ${label(op)}` },
    { text: api.description, where: "the document's description" },
  ];
  const ttl = extensionTtl(chosen.extension) ?? readRetention(keyProse);
  if (ttl) {
    idempotency.ttl = ttl.value;
    note(['idempotency', 'ttl'], `read from ${ttl.where}: "${ttl.quote}"`);
  }
  const maxLength = keyMaxLength(chosen.key.param, keyProse.slice(0, 1));
  const inside: string[] = [];
  if (maxLength) {
    inside.push(`maxLength: ${maxLength.value}   # ${maxLength.where === 'schema' ? "from the parameter's schema" : `read from ${maxLength.where}: "${maxLength.quote}"`}; idemchaos reads it once the missing-key attack lands`);
  }
  if (!ttl) inside.push('ttl: 24h   # TODO: the retention your API documents (the document states none the generator could read); the expiry attack needs it and waits it out');
  scenario.idempotency = idempotency;
  if (inside.length > 0) note(['idempotency'], inside.join('\n'), 'inside');

  // The oracle.
  const oracle = effects(api, op, count, body, bodyFieldNames, note);
  if (Object.keys(oracle).length > 0) scenario.effects = oracle;

  // The contract.
  scenario.expect = expectations(op, preset, note);

  if (ttl && durationMs(ttl.value) > LONG_TTL_MS) {
    scenario.attacks = { replay: {}, concurrent: {}, reuse: {}, drop: {} };
    note(['attacks'], `expiry is left out: with a ${ttl.value} retention it would wait that long. Add "expiry: {}" for a long run`, 'above');
  }

  const doc = new Document(scenario);
  // Short lists on one line, so a comment can follow them.
  for (const key of ['success', 'inFlight', 'mismatch']) {
    const node = doc.getIn(['expect', key], true) as { flow?: boolean } | undefined;
    if (node && typeof node === 'object') node.flow = true;
  }
  if (body.carrier?.shape === 'list' && body.kind === 'json') {
    const node = doc.getIn(['request', 'json', body.carrier.field], true) as { flow?: boolean } | undefined;
    if (node && typeof node === 'object') node.flow = true;
  }
  const tail: string[] = [];
  if (input.others.length > 0) {
    tail.push(
      'operations:   # the other selected operations of this API (each also has its own file); idemchaos reads this list once issue 8 lands',
      ...input.others.map((o) => `  - { name: ${JSON.stringify(o.name)}, method: ${o.method}, path: ${JSON.stringify(o.path)} }   # ${o.file}`),
    );
  }
  const tenants = tenantExample(security.headers);
  if (tenants.length > 0) tail.push(...tenants);
  doc.commentBefore = header(input).map((l) => ` ${l}`).join('\n');
  if (tail.length > 0) doc.comment = tail.map((l) => ` ${l}`).join('\n');
  for (const c of comments) attach(doc, c);
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

function header(input: ScenarioInput): string[] {
  const { api, chosen } = input;
  const op = chosen.op;
  return [
    `yaml-language-server: $schema=${input.schemaRef}`,
    `Generated by \`idemchaos init --from ${input.source}\` from ${api.title}${api.version ? ` ${api.version}` : ''} (${api.format}).`,
    `${label(op)}${op.operationId ? ` (operationId ${op.operationId})` : ''} was taken: ${chosen.reason}.`,
    'Read the comments, settle each TODO, then:  npx idemchaos validate <this file>  and  npx idemchaos run <this file>',
  ];
}

function scenarioName(op: ApiOperation): string {
  const title = op.summary ?? op.operationId;
  return title ? `${title.replace(/\s+/g, ' ').trim()} (${label(op)})` : label(op);
}

/** Every top-level field the body can have (schema properties). */
function fieldsOf(op: ApiOperation): Record<string, unknown> {
  const props: Record<string, unknown> = {};
  const schema = op.body?.schema;
  if (!schema) return props;
  const walk = (s: unknown, depth: number): void => {
    if (!s || typeof s !== 'object' || depth > 10) return;
    const r = s as Record<string, unknown>;
    if (r.properties && typeof r.properties === 'object') Object.assign(props, r.properties);
    for (const k of ['allOf', 'oneOf', 'anyOf'] as const) if (Array.isArray(r[k])) for (const x of r[k] as unknown[]) walk(x, depth + 1);
  };
  walk(schema, 0);
  return props;
}

function scalar(value: unknown): string | undefined {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}

/** A name usable as `{{ vars.NAME }}` / `{{ secrets.NAME }}`. */
function varName(name: string): string {
  const cleaned = name.replace(/[^A-Za-z0-9_-]/g, '_');
  return /^[A-Za-z_]/.test(cleaned) ? cleaned : `_${cleaned}`;
}

function upperSnake(name: string): string {
  return varName(name)
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[-\s]+/g, '_')
    .toUpperCase();
}

/** A required query or header parameter: its example, a secret when its name says so, else a var. */
function paramValue(p: ApiParameter, place: 'query' | 'header'): { text: string; note?: string } {
  const secret = place === 'header' ? isSecretHeader(p.name, []) : isSecretName(p.name);
  if (secret) {
    const s = upperSnake(p.name);
    return { text: `{{ secrets.${s} }}`, note: `${p.name} reads like a credential: pass --secret ${s}=... (or IDEMCHAOS_SECRET_${s}); never write one here` };
  }
  const example = scalar(p.example);
  if (example !== undefined) return { text: place === 'query' ? encodeURIComponent(example) : example, note: `${p.name} is the document's example` };
  const v = varName(p.name);
  return { text: `{{ vars.${v} }}`, note: `${p.name}: pass --var ${v}=...` };
}

/** The first security requirement of the operation, as headers (or query parameters) holding secrets. */
function securityHeaders(api: ApiDocument, op: ApiOperation, query: string[], pathNotes: string[]): { headers: Record<string, { value: string; note: string }>; schemes: SecurityScheme[] } {
  const headers: Record<string, { value: string; note: string }> = {};
  const requirement = op.security.find((r) => r.length > 0);
  if (!requirement) return { headers, schemes: [] };
  const schemes = requirement.map((n) => api.securitySchemes[n]).filter((s): s is SecurityScheme => !!s);
  const alternatives = op.security.length > 1 ? ` (the first of ${op.security.length} ways the document allows)` : '';
  for (const s of schemes) {
    const how = `the ${s.name} security scheme${alternatives}`;
    if ((s.type === 'http' && s.scheme === 'bearer') || s.type === 'oauth2' || s.type === 'openIdConnect') {
      const kind = s.type === 'http' ? 'bearer token' : s.type === 'oauth2' ? 'OAuth 2 access token' : 'OpenID Connect token';
      headers.Authorization = { value: 'Bearer {{ secrets.TOKEN }}', note: `${how}: ${/^[aeiou]/i.test(kind) ? 'an' : 'a'} ${kind}; pass --secret TOKEN=... (or IDEMCHAOS_SECRET_TOKEN)` };
    } else if (s.type === 'http' && s.scheme === 'basic') {
      const n = upperSnake(s.name);
      headers.Authorization = { value: `Basic {{ secrets.${n} }}`, note: `${how}: base64 of user:password; pass --secret ${n}=... (or IDEMCHAOS_SECRET_${n})` };
    } else if (s.type === 'http') {
      const n = upperSnake(s.name);
      const scheme = (s.scheme ?? 'Bearer').replace(/^./, (c) => c.toUpperCase());
      headers.Authorization = { value: `${scheme} {{ secrets.${n} }}`, note: `${how} (HTTP ${s.scheme ?? 'auth'}); pass --secret ${n}=...` };
    } else if (s.type === 'apiKey' && s.paramName) {
      const n = upperSnake(s.name);
      const ref = `{{ secrets.${n} }}`;
      if (s.in === 'query') {
        query.push(`${encodeURIComponent(s.paramName)}=${ref}`);
        pathNotes.push(`${s.paramName}: ${how}, an API key; pass --secret ${n}=...`);
      } else if (s.in === 'cookie') {
        headers.Cookie = { value: `${s.paramName}=${ref}`, note: `${how}: an API key in a cookie; pass --secret ${n}=...` };
      } else {
        headers[s.paramName] = { value: ref, note: `${how}: an API key; pass --secret ${n}=... (or IDEMCHAOS_SECRET_${n})` };
      }
    } else {
      pathNotes.push(`TODO: ${how} (${s.type}) is not written here: add what it needs by hand`);
    }
  }
  return { headers, schemes };
}

function describeBody(body: BodyPlan, note: (path: (string | number)[], text: string, at?: 'after' | 'above' | 'inside') => void): void {
  const key = body.kind === 'form' ? 'body' : 'json';
  if (body.kind === 'none') {
    note(['request', 'method'], 'the operation documents no request body, so no field can carry {{ run.id }}');
    return;
  }
  if (body.kind === 'unsupported') {
    note(['request', 'method'], `TODO: ${body.from}: write body: and its Content-Type header by hand`);
    return;
  }
  note(['request', key], `from ${body.from}`, 'above');
  const c = body.carrier;
  if (!c) {
    note(['request', key], 'TODO: no field of this body can carry {{ run.id }} (a free string field), so no oracle can pick out one attack run', 'above');
    return;
  }
  const why = `${c.added ? 'added and set' : 'set'} to the run id, so the oracle counts this attack run alone (${c.shape === 'string' ? 'a free string field' : c.shape === 'email' ? 'an email field: the run id as its local part' : c.shape === 'list' ? 'a list of free strings' : 'a map of strings'}${c.required ? '' : ', optional'})`;
  if (body.kind === 'json') note(['request', 'json', c.field], why);
  else note(['request', 'body'], `${c.field} is ${why}; deepObject style (a[b]=c) for nested fields`, 'above');
}

function effects(
  api: ApiDocument,
  op: ApiOperation,
  count: CountPlan | undefined,
  body: BodyPlan,
  bodyFields: Set<string>,
  note: (path: (string | number)[], text: string, at?: 'after' | 'above' | 'inside') => void,
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const id = planId(api, op, bodyFields);
  if (count && body.carrier && body.carrier.field === count.carrier.field) {
    const path = renderListPath(count, op);
    out.count = { request: { method: 'GET', path }, select: count.select };
    note(['effects', 'count'], `GET ${count.list.path} filters by ${count.param.name}, which the body sets to the run id`, 'above');
    note(['effects', 'count', 'select'], `from ${count.selectFrom}`);
    if (id) {
      out.id = id.path;
      note(['effects', 'id'], `from ${id.from}`);
    }
    if (count.ids) {
      out.ids = count.ids;
      note(['effects', 'ids'], `from ${count.selectFrom}`);
    }
    return out;
  }
  if (id) {
    out.id = id.path;
    note(['effects', 'id'], `from ${id.from}`);
  }
  const why = body.carrier
    ? `the document has no GET on ${op.path} that filters by ${body.carrier.field}`
    : 'no field of the request carries {{ run.id }} for a listing to filter by';
  const [where, at] = Object.keys(out).length > 0 ? [['effects'], 'inside' as const] : [['expect'], 'above' as const];
  note(
    where,
    [
      `TODO: no oracle: ${why}. Without effects.count the verdicts are response-only: a server that answers every`,
      'duplicate with the same body while storing twenty rows looks fine. Count this run\'s effects, e.g.:',
      `count: { request: { method: GET, path: "/your-listing?field=${body.carrier ? filterValue(body.carrier) : RUN_ID}" }, select: $.count }`,
      `or  command: "psql -tAc \\"select count(*) from your_table where field='${RUN_ID}'\\""`,
    ].join('\n'),
    at,
  );
  return out;
}

/** The listing's path: the operation's own path parameters as the request has them, the filter, its required query parameters. */
function renderListPath(count: CountPlan, op: ApiOperation): string {
  const path = count.list.path.replace(/\{([^}]+)\}/g, (_w, name: string) => {
    const param = op.parameters.find((p) => p.in === 'path' && p.name === name) ?? count.list.parameters.find((p) => p.in === 'path' && p.name === name);
    const example = scalar(param?.example);
    return example !== undefined ? encodeURIComponent(example) : `{{ vars.${varName(name)} }}`;
  });
  const query = [`${encodeURIComponent(count.param.name)}=${filterValue(count.carrier)}`];
  for (const p of count.list.parameters.filter((x) => x.in === 'query' && x.required && x !== count.param)) query.push(`${encodeURIComponent(p.name)}=${paramValue(p, 'query').text}`);
  return `${path}?${query.join('&')}`;
}

function expectations(op: ApiOperation, preset: Preset, note: (path: (string | number)[], text: string, at?: 'after' | 'above' | 'inside') => void): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const inside: string[] = [];
  const success = successResponses(op).map((r) => (/^\d+$/.test(r.status) ? Number(r.status) : r.status.toLowerCase()));
  if (success.length > 0) {
    out.success = success;
    note(['expect', 'success'], "the operation's documented 2xx responses");
  } else {
    inside.push('success: [200, 201]   # the default: the document lists no 2xx response for this operation');
  }
  const documented = (status: string, key: 'inFlight' | 'mismatch', what: string) => {
    const r = response(op, status);
    if (r) {
      out[key] = [Number(status)];
      note(['expect', key], `documented ${status}${r.description ? `: "${oneLine(r.description)}"` : ''}; check it is the answer for ${what}`);
    } else {
      inside.push(`${key}: ${JSON.stringify(preset[key])}   # the ${preset.name} preset's: the document describes no ${status} response`);
    }
  };
  documented('409', 'inFlight', 'a duplicate still in flight');
  documented('422', 'mismatch', 'a key reused with another body');
  out.afterExpiry = 'new';
  note(['expect', 'afterExpiry'], 'a key reused after its ttl makes a new effect (the default); reject, replay or any if your API documents otherwise');
  const bad = response(op, '400');
  inside.push(
    bad
      ? `invalidKey: [400]   # documented 400${bad.description ? `: "${oneLine(bad.description)}"` : ''}; idemchaos reads it once the missing-key attack lands`
      : 'invalidKey: [400]   # TODO: the document describes no 400 response; idemchaos reads it once the missing-key attack lands',
  );
  if (inside.length > 0) note(['expect'], inside.join('\n'), 'inside');
  return out;
}

function oneLine(text: string): string {
  const t = text.replace(/\s+/g, ' ').trim();
  return t.length <= 100 ? t : `${t.slice(0, 97)}...`;
}

function extensionTtl(ext: Record<string, unknown> | undefined): Reading<string> | undefined {
  if (!ext) return undefined;
  for (const k of ['ttl', 'retention', 'expiry', 'expiresIn']) {
    const v = ext[k];
    if (typeof v === 'string' && /^\d+(\.\d+)?(ms|s|m|h)$/.test(v)) return { value: v, quote: `${k}: ${v}`, where: 'the x-idempotency extension' };
    if (typeof v === 'number' && v > 0) return { value: `${v}s`, quote: `${k}: ${v} (seconds)`, where: 'the x-idempotency extension' };
  }
  return undefined;
}

function keyMaxLength(param: ApiParameter | undefined, prose: Prose[]): (Reading<number> & { where: string }) | undefined {
  const n = param?.schema?.maxLength;
  if (typeof n === 'number') return { value: n, quote: `maxLength: ${n}`, where: 'schema' };
  return readMaxLength(prose);
}

function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/.exec(text);
  if (!m) return 0;
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
}

/** `tenants:` as a comment: the same credentials twice, the second under another secret's name. */
function tenantExample(headers: Record<string, { value: string }>): string[] {
  const entries = Object.entries(headers).filter(([, h]) => h.value.includes('{{ secrets.'));
  if (entries.length === 0) return [];
  const as = (suffix: string) => entries.map(([name, h]) => `${JSON.stringify(name)}: ${JSON.stringify(h.value.replace(/\{\{ secrets\.([A-Za-z0-9_-]+) \}\}/g, `{{ secrets.$1${suffix} }}`))}`).join(', ');
  return [
    'tenants:   # the document declares security: two tenants\' credentials let idemchaos check that one tenant\'s key never replays another\'s (issue 8)',
    `  - { name: a, headers: { ${as('')} } }`,
    `  - { name: b, headers: { ${as('_B')} } }`,
  ];
}

/** Puts a comment after a value (same line), above its key, or inside a map after its entries. */
function attach(doc: Document, c: Comments[number]): void {
  const lines = c.text.split('\n').map((l) => ` ${l}`).join('\n');
  if (c.at === 'above') {
    const pair = pairAt(doc, c.path);
    const key = pair?.key as Node | undefined;
    if (key && isScalar(key)) key.commentBefore = key.commentBefore ? `${key.commentBefore}\n${lines}` : lines;
    return;
  }
  const node = doc.getIn(c.path, true) as Node | undefined;
  if (!node) return;
  if (c.at === 'inside') {
    node.comment = node.comment ? `${node.comment}\n${lines}` : lines;
    return;
  }
  if (isScalar(node) || !isMap(node)) {
    node.comment = node.comment ? `${node.comment}; ${c.text}` : ` ${c.text}`;
    return;
  }
  // A map value: the comment goes above its key instead (after it would land below the map).
  const pair = pairAt(doc, c.path);
  const key = pair?.key as Node | undefined;
  if (key && isScalar(key)) key.commentBefore = key.commentBefore ? `${key.commentBefore}\n${lines}` : lines;
}

function pairAt(doc: Document, path: (string | number)[]): Pair | undefined {
  const parent = path.length === 1 ? doc.contents : (doc.getIn(path.slice(0, -1), true) as unknown);
  if (!isMap(parent)) return undefined;
  const last = String(path[path.length - 1]);
  return (parent as YAMLMap).items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === last) as Pair | undefined;
}
