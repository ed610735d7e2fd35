// Which operations get a scenario, and why (or why not): those that declare
// the key, as a header parameter named as the preset's key header or through
// a vendor extension; every POST with --all-posts; any named with --operation.
import { SAFE_METHODS } from '../model/http.js';
import { closest } from '../scenario/suggest.js';
import { OpenApiError } from './document.js';
import { label, type ApiDocument, type ApiOperation, type ApiParameter, type HttpMethod } from './model.js';

export interface KeyHeader {
  name: string;
  /** The declared parameter, when there is one. */
  param?: ApiParameter;
  /** Where the name comes from, for the file's comment. */
  from: string;
}

export interface Chosen {
  op: ApiOperation;
  /** Why it was taken, one line. */
  reason: string;
  key: KeyHeader;
  /** `x-idempotency` as an object (`{ header, ttl }`), when present. */
  extension?: Record<string, unknown>;
}

export interface Selection {
  taken: Chosen[];
  left: { op: ApiOperation; reason: string }[];
}

export interface SelectOptions {
  /** The preset's key header (`Idempotency-Key`). */
  keyHeader: string;
  /** `--operation "POST /orders"`, as given. */
  operations: string[];
  allPosts: boolean;
}

/** Methods whose retries can create a second effect. */
const UNSAFE: ReadonlySet<HttpMethod> = new Set(['POST', 'PATCH']);
const EXTENSIONS = ['x-idempotent', 'x-idempotency', 'x-idempotency-key'] as const;

export function selectOperations(api: ApiDocument, options: SelectOptions): Selection {
  const named = new Map<ApiOperation, string>();
  for (const wanted of options.operations) {
    const op = findOperation(api, wanted);
    named.set(op, `named by --operation "${wanted}"`);
  }
  const taken: Chosen[] = [];
  const left: Selection['left'] = [];
  for (const op of api.operations) {
    const declared = declaration(op, options.keyHeader);
    const key = keyHeaderOf(op, options.keyHeader, declared.extension);
    const extension = declared.extension ? { extension: declared.extension } : {};
    const byName = named.get(op);
    if (byName) {
      taken.push({ op, reason: declared.how ? `${byName}; it ${declared.how}` : byName, key, ...extension });
    } else if (declared.how && declared.off) {
      left.push({ op, reason: `it ${declared.how}` });
    } else if (declared.how && UNSAFE.has(op.method)) {
      taken.push({ op, reason: `it ${declared.how}`, key, ...extension });
    } else if (options.allPosts && op.method === 'POST') {
      taken.push({ op, reason: declared.how ? `it ${declared.how}` : '--all-posts takes every POST', key, ...extension });
    } else if (declared.how) {
      left.push({ op, reason: `it ${declared.how}, but ${safeReason(op.method)}; --operation "${label(op)}" takes it anyway` });
    } else {
      const near = op.parameters.find((p) => p.in === 'header' && /idempoten/i.test(p.name));
      left.push({
        op,
        reason: near
          ? `it declares the header ${near.name}, not ${options.keyHeader} (the preset's key header); --operation "${label(op)}" takes it with ${near.name}`
          : `it declares no ${options.keyHeader} header parameter and no x-idempotent or x-idempotency extension${op.method === 'POST' ? ' (--all-posts takes every POST)' : ''}`,
      });
    }
  }
  return { taken, left };
}

function safeReason(method: HttpMethod): string {
  if (SAFE_METHODS.has(method)) return `${method} is safe: it has no side effect to count`;
  return `${method} is idempotent by HTTP's definition (RFC 9110, section 9.2.2): a retry makes no second effect to count`;
}

interface Declaration {
  /** "declares the header parameter Idempotency-Key (through $ref ...)", or undefined. */
  how?: string;
  /** The extension says no (`x-idempotent: false`). */
  off?: boolean;
  extension?: Record<string, unknown>;
}

function declaration(op: ApiOperation, keyHeader: string): Declaration {
  const param = op.parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === keyHeader.toLowerCase());
  if (param) return { how: `declares the header parameter ${param.name}${param.ref ? ` (through $ref ${param.ref})` : ''}` };
  for (const name of EXTENSIONS) {
    if (!(name in op.extensions)) continue;
    const value = op.extensions[name];
    if (value === false) return { how: `says ${name}: false`, off: true };
    if (value === true) return { how: `says ${name}: true` };
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      const ext = value as Record<string, unknown>;
      if (ext.enabled === false) return { how: `says ${name}.enabled: false`, off: true };
      return { how: `declares ${name}`, extension: ext };
    }
    if (typeof value === 'string' && value.trim() !== '') return { how: `declares ${name}: ${value}`, extension: { header: value } };
  }
  return {};
}

function keyHeaderOf(op: ApiOperation, presetHeader: string, extension: Record<string, unknown> | undefined): KeyHeader {
  const exact = op.parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === presetHeader.toLowerCase());
  if (exact) return { name: exact.name, param: exact, from: `the operation's header parameter${exact.ref ? ` (${exact.ref})` : ''}` };
  const fromExtension = extension?.header ?? extension?.headerName ?? extension?.name;
  if (typeof fromExtension === 'string' && /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(fromExtension)) {
    const param = op.parameters.find((p) => p.in === 'header' && p.name.toLowerCase() === fromExtension.toLowerCase());
    return { name: fromExtension, ...(param ? { param } : {}), from: 'the x-idempotency extension' };
  }
  const near = op.parameters.find((p) => p.in === 'header' && /idempoten/i.test(p.name));
  if (near) return { name: near.name, param: near, from: `the operation's header parameter${near.ref ? ` (${near.ref})` : ''}` };
  return { name: presetHeader, from: "the preset's key header: the document declares none for this operation" };
}

/** `POST /orders` (method case-insensitive, a trailing slash either way) or a usage error with a suggestion. */
function findOperation(api: ApiDocument, wanted: string): ApiOperation {
  const m = /^\s*([A-Za-z]+)\s+(\S+)\s*$/.exec(wanted);
  if (!m) throw new OpenApiError(`--operation "${wanted}": write the method and the path as the document has it, e.g. --operation "POST /orders"`);
  const method = m[1]!.toUpperCase();
  const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  const op = api.operations.find((o) => o.method === method && trim(o.path) === trim(m[2]!));
  if (op) return op;
  const all = api.operations.map(label);
  const guess = closest(`${method} ${m[2]}`, all);
  const posts = api.operations.filter((o) => o.method === method).map(label).slice(0, 8);
  throw new OpenApiError(
    `--operation "${wanted}": ${api.file} has no such operation${guess ? `; did you mean "${guess}"?` : ''}` +
      (posts.length > 0 ? ` (its ${method} operations: ${posts.join(', ')}${posts.length === 8 ? ', ...' : ''})` : ''),
  );
}
