// One shape for Swagger 2.0 and OpenAPI 3.0/3.1 operations, read from a
// dereferenced document: what the generator needs and nothing else. Swagger's
// body and formData parameters become a request body, its host and basePath a
// server, its securityDefinitions security schemes.

export type Schema = Record<string, unknown>;

export interface ApiParameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required: boolean;
  description?: string;
  schema?: Schema;
  /** A documented example value (the parameter's own, else its schema's). */
  example?: unknown;
  /** The `$ref` the parameter was written as, when it was one (`#/components/parameters/Idempotency-Key`). */
  ref?: string;
}

export interface ApiBody {
  mediaType: string;
  /** Other media types the operation accepts. */
  alternatives: string[];
  schema?: Schema;
  /** A documented example body, and where it came from. */
  example?: { value: unknown; from: string };
  /** Per-property serialisation of form bodies (OpenAPI `encoding`). */
  encoding?: Record<string, { style?: string; explode?: boolean }>;
}

export interface ApiResponse {
  /** As documented: `201`, `2XX`, `default`. */
  status: string;
  description?: string;
  schema?: Schema;
  example?: unknown;
}

export interface SecurityScheme {
  name: string;
  type: 'http' | 'apiKey' | 'oauth2' | 'openIdConnect' | 'mutualTLS' | 'other';
  /** http: bearer, basic, ... */
  scheme?: string;
  /** apiKey: where and under which name. */
  in?: 'header' | 'query' | 'cookie';
  paramName?: string;
  description?: string;
}

export type HttpMethod = 'GET' | 'PUT' | 'POST' | 'DELETE' | 'OPTIONS' | 'HEAD' | 'PATCH' | 'TRACE';

export interface ApiOperation {
  method: HttpMethod;
  path: string;
  operationId?: string;
  summary?: string;
  description?: string;
  parameters: ApiParameter[];
  body?: ApiBody;
  responses: ApiResponse[];
  /** The security requirements in force (the operation's own, else the document's); [] when none. */
  security: string[][];
  /** `x-*` entries of the operation. */
  extensions: Record<string, unknown>;
  /** Servers that apply to this operation (its own, its path's, else the document's). */
  servers: string[];
}

export interface ApiDocument {
  file: string;
  /** `Swagger 2.0`, `OpenAPI 3.0.3`, `OpenAPI 3.1.0`. */
  format: string;
  title: string;
  version: string;
  description?: string;
  servers: string[];
  securitySchemes: Record<string, SecurityScheme>;
  operations: ApiOperation[];
  /** The dereferenced document, for `$ref`s left in place at cycles. */
  root: Record<string, unknown>;
}

const METHODS: readonly HttpMethod[] = ['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH', 'TRACE'];

type Raw = Record<string, unknown>;

function map(value: unknown): Raw | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Raw) : undefined;
}

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/**
 * `deref` is the dereferenced document (cycles left as `$ref`), `source` the
 * same document as written, to tell which parameters were `$ref`s.
 */
export function readDocument(file: string, deref: Raw, source: Raw): ApiDocument {
  const swagger = typeof deref.swagger === 'string';
  const info = map(deref.info) ?? {};
  const servers = swagger ? swaggerServers(deref) : openApiServers(deref.servers);
  const securitySchemes = swagger ? swaggerSchemes(map(deref.securityDefinitions)) : openApiSchemes(map(map(deref.components)?.securitySchemes));
  const operations: ApiOperation[] = [];
  const paths = map(deref.paths) ?? {};
  const sourcePaths = map(source.paths) ?? {};
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = map(rawItem);
    if (!item) continue;
    const sourceItem = map(sourcePaths[path]) ?? {};
    for (const method of METHODS) {
      const op = map(item[method.toLowerCase()]);
      if (!op) continue;
      const sourceOp = map(sourceItem[method.toLowerCase()]) ?? {};
      const parameters = mergeParameters(
        readParameters(item.parameters, sourceItem.parameters, swagger),
        readParameters(op.parameters, sourceOp.parameters, swagger),
      );
      const extensions: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(op)) if (k.startsWith('x-')) extensions[k] = v;
      const opServers = swagger ? [] : openApiServers(op.servers ?? item.servers);
      operations.push({
        method,
        path,
        ...(text(op.operationId) ? { operationId: text(op.operationId)! } : {}),
        ...(text(op.summary) ? { summary: text(op.summary)! } : {}),
        ...(text(op.description) ? { description: text(op.description)! } : {}),
        parameters: parameters.filter(isPlainParameter).map(({ raw: _raw, ...p }) => p as ApiParameter),
        ...bodyOf(op, deref, swagger),
        responses: readResponses(map(op.responses) ?? {}, swagger),
        security: readSecurity(op.security ?? deref.security),
        extensions,
        servers: opServers.length > 0 ? opServers : servers,
      });
    }
  }
  return {
    file,
    format: swagger ? `Swagger ${String(deref.swagger)}` : `OpenAPI ${String(deref.openapi)}`,
    title: text(info.title) ?? 'untitled API',
    version: info.version === undefined ? '' : String(info.version),
    ...(text(info.description) ? { description: text(info.description)! } : {}),
    servers,
    securitySchemes,
    operations,
    root: deref,
  };
}

/** Parameters as the operation sees them, body and formData ones included (in Swagger 2.0). */
type LooseParameter = Omit<ApiParameter, 'in'> & { in: string; raw: Raw };

function readParameters(value: unknown, source: unknown, swagger: boolean): LooseParameter[] {
  const sources = list(source);
  const out: LooseParameter[] = [];
  list(value).forEach((item, i) => {
    const p = map(item);
    if (!p || typeof p.name !== 'string' || typeof p.in !== 'string') return;
    const ref = map(sources[i])?.$ref;
    const schema = swagger && p.in !== 'body' ? swaggerParamSchema(p) : map(p.schema);
    const example = p.example ?? firstExample(p.examples) ?? p['x-example'] ?? schemaExample(schema);
    out.push({
      name: p.name,
      in: p.in,
      required: p.required === true || p.in === 'path',
      ...(text(p.description) ? { description: text(p.description)! } : {}),
      ...(schema ? { schema } : {}),
      ...(example !== undefined ? { example } : {}),
      ...(typeof ref === 'string' ? { ref } : {}),
      raw: p,
    });
  });
  return out;
}

/** The operation's parameters override its path's by name and place. */
function mergeParameters(pathLevel: LooseParameter[], opLevel: LooseParameter[]): LooseParameter[] {
  const key = (p: LooseParameter) => `${p.in}:${p.in === 'header' ? p.name.toLowerCase() : p.name}`;
  const own = new Set(opLevel.map(key));
  return [...pathLevel.filter((p) => !own.has(key(p))), ...opLevel];
}

/** Path, query, header and cookie parameters (Swagger's body and formData ones make the body). */
function isPlainParameter(p: LooseParameter): boolean {
  return p.in === 'path' || p.in === 'query' || p.in === 'header' || p.in === 'cookie';
}

/** Swagger 2.0 keeps a non-body parameter's schema on the parameter itself. */
function swaggerParamSchema(p: Raw): Schema | undefined {
  const keys = ['type', 'format', 'enum', 'default', 'maximum', 'minimum', 'maxLength', 'minLength', 'pattern', 'items', 'maxItems', 'minItems'];
  const schema: Schema = {};
  for (const k of keys) if (p[k] !== undefined) schema[k] = p[k];
  if (p['x-example'] !== undefined) schema.example = p['x-example'];
  return Object.keys(schema).length > 0 ? schema : undefined;
}

function firstExample(examples: unknown): unknown {
  const m = map(examples);
  if (!m) return undefined;
  for (const entry of Object.values(m)) {
    const e = map(entry);
    if (e && 'value' in e) return e.value;
  }
  return undefined;
}

function schemaExample(schema: Schema | undefined): unknown {
  if (!schema) return undefined;
  if (schema.example !== undefined) return schema.example;
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  return undefined;
}

const JSON_TYPE = /^application\/(.+\+)?json(;.*)?$/i;
const FORM_TYPE = /^application\/x-www-form-urlencoded(;.*)?$/i;

/** JSON first, then a form, then whatever is listed first. */
function preferredMediaType(types: string[]): string | undefined {
  return types.find((t) => JSON_TYPE.test(t)) ?? types.find((t) => FORM_TYPE.test(t)) ?? types[0];
}

function bodyOf(op: Raw, root: Raw, swagger: boolean): { body?: ApiBody } {
  if (!swagger) {
    const content = map(map(op.requestBody)?.content);
    if (!content) return {};
    const types = Object.keys(content);
    const mediaType = preferredMediaType(types);
    if (!mediaType) return {};
    const media = map(content[mediaType]) ?? {};
    const schema = map(media.schema);
    const example =
      media.example !== undefined
        ? { value: media.example, from: `the ${mediaType} example` }
        : firstExample(media.examples) !== undefined
          ? { value: firstExample(media.examples), from: `the ${mediaType} example "${Object.keys(map(media.examples)!)[0]}"` }
          : undefined;
    const encoding: Record<string, { style?: string; explode?: boolean }> = {};
    for (const [name, e] of Object.entries(map(media.encoding) ?? {})) {
      const enc = map(e) ?? {};
      encoding[name] = { ...(typeof enc.style === 'string' ? { style: enc.style } : {}), ...(typeof enc.explode === 'boolean' ? { explode: enc.explode } : {}) };
    }
    return {
      body: {
        mediaType,
        alternatives: types.filter((t) => t !== mediaType),
        ...(schema ? { schema } : {}),
        ...(example ? { example } : {}),
        ...(Object.keys(encoding).length > 0 ? { encoding } : {}),
      },
    };
  }
  // Swagger 2.0: a body parameter, or formData parameters.
  const params = list(op.parameters).map(map).filter((p): p is Raw => !!p);
  const consumes = list(op.consumes ?? root.consumes).filter((t): t is string => typeof t === 'string');
  const bodyParam = params.find((p) => p.in === 'body');
  if (bodyParam) {
    const schema = map(bodyParam.schema);
    const mediaType = preferredMediaType(consumes.filter((t) => !FORM_TYPE.test(t) && !/multipart/i.test(t))) ?? 'application/json';
    const example = bodyParam['x-example'] ?? schemaExample(schema);
    return {
      body: {
        mediaType,
        alternatives: consumes.filter((t) => t !== mediaType),
        ...(schema ? { schema } : {}),
        ...(example !== undefined ? { example: { value: example, from: `the body parameter's ${bodyParam['x-example'] !== undefined ? 'x-example' : 'schema example'}` } } : {}),
      },
    };
  }
  const form = params.filter((p) => p.in === 'formData' && typeof p.name === 'string');
  if (form.length === 0) return {};
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  for (const p of form) {
    properties[p.name as string] = { ...(swaggerParamSchema(p) ?? {}), ...(text(p.description) ? { description: p.description } : {}) };
    if (p.required === true) required.push(p.name as string);
  }
  const hasFile = form.some((p) => p.type === 'file');
  const mediaType = hasFile ? 'multipart/form-data' : (consumes.find((t) => FORM_TYPE.test(t)) ?? consumes.find((t) => /multipart/i.test(t)) ?? 'application/x-www-form-urlencoded');
  return {
    body: {
      mediaType,
      alternatives: consumes.filter((t) => t !== mediaType),
      schema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}) },
    },
  };
}

function readResponses(responses: Raw, swagger: boolean): ApiResponse[] {
  const out: ApiResponse[] = [];
  for (const [status, value] of Object.entries(responses)) {
    const r = map(value);
    if (!r) continue;
    let schema: Schema | undefined;
    let example: unknown;
    if (swagger) {
      schema = map(r.schema);
      const examples = map(r.examples);
      const type = examples ? preferredMediaType(Object.keys(examples)) : undefined;
      example = type ? examples![type] : undefined;
    } else {
      const content = map(r.content) ?? {};
      const type = preferredMediaType(Object.keys(content));
      const media = type ? (map(content[type]) ?? {}) : {};
      schema = map(media.schema);
      example = media.example ?? firstExample(media.examples);
    }
    out.push({
      status,
      ...(text(r.description) ? { description: text(r.description)! } : {}),
      ...(schema ? { schema } : {}),
      ...(example !== undefined ? { example } : {}),
    });
  }
  return out;
}

function readSecurity(value: unknown): string[][] {
  return list(value)
    .map(map)
    .filter((r): r is Raw => !!r)
    .map((r) => Object.keys(r));
}

function openApiServers(value: unknown): string[] {
  const out: string[] = [];
  for (const item of list(value)) {
    const s = map(item);
    if (!s || typeof s.url !== 'string') continue;
    // Server variables take their defaults: https://{region}.example.com -> https://eu.example.com
    const vars = map(s.variables) ?? {};
    out.push(s.url.replace(/\{([^}]+)\}/g, (whole, name: string) => {
      const d = map(vars[name])?.default;
      return d === undefined ? whole : String(d);
    }));
  }
  return out;
}

function swaggerServers(doc: Raw): string[] {
  const basePath = typeof doc.basePath === 'string' ? doc.basePath : '';
  if (typeof doc.host !== 'string') return basePath ? [basePath] : [];
  const schemes = list(doc.schemes).filter((s): s is string => typeof s === 'string');
  const scheme = schemes.includes('https') ? 'https' : (schemes[0] ?? 'https');
  return [`${scheme}://${doc.host}${basePath}`];
}

function openApiSchemes(value: Raw | undefined): Record<string, SecurityScheme> {
  const out: Record<string, SecurityScheme> = {};
  for (const [name, raw] of Object.entries(value ?? {})) {
    const s = map(raw);
    if (!s) continue;
    const type = (['http', 'apiKey', 'oauth2', 'openIdConnect', 'mutualTLS'] as const).find((t) => t === s.type) ?? 'other';
    out[name] = {
      name,
      type,
      ...(typeof s.scheme === 'string' ? { scheme: s.scheme.toLowerCase() } : {}),
      ...(s.in === 'header' || s.in === 'query' || s.in === 'cookie' ? { in: s.in } : {}),
      ...(typeof s.name === 'string' ? { paramName: s.name } : {}),
      ...(text(s.description) ? { description: text(s.description)! } : {}),
    };
  }
  return out;
}

function swaggerSchemes(value: Raw | undefined): Record<string, SecurityScheme> {
  const out: Record<string, SecurityScheme> = {};
  for (const [name, raw] of Object.entries(value ?? {})) {
    const s = map(raw);
    if (!s) continue;
    const common = { name, ...(text(s.description) ? { description: text(s.description)! } : {}) };
    if (s.type === 'basic') out[name] = { ...common, type: 'http', scheme: 'basic' };
    else if (s.type === 'apiKey') {
      out[name] = {
        ...common,
        type: 'apiKey',
        ...(s.in === 'header' || s.in === 'query' ? { in: s.in } : {}),
        ...(typeof s.name === 'string' ? { paramName: s.name } : {}),
      };
    } else if (s.type === 'oauth2') out[name] = { ...common, type: 'oauth2' };
    else out[name] = { ...common, type: 'other' };
  }
  return out;
}

/** Success statuses as documented: `201` and `2XX` alike. */
export function successResponses(op: ApiOperation): ApiResponse[] {
  return op.responses.filter((r) => /^2(\d\d|XX)$/i.test(r.status));
}

export function response(op: ApiOperation, status: string): ApiResponse | undefined {
  return op.responses.find((r) => r.status.toUpperCase() === status.toUpperCase());
}

/** `POST /orders` */
export function label(op: Pick<ApiOperation, 'method' | 'path'>): string {
  return `${op.method} ${op.path}`;
}
