// Reads an OpenAPI 3.0/3.1 or Swagger 2.0 document: parsed, validated and
// dereferenced by @readme/openapi-parser; a broken document is a usage error
// naming the place in the file as written (the library's own code frames show
// its JSON rendering of the dereferenced document, whose lines are not the
// user's).
import { readFile } from 'node:fs/promises';
import * as parser from '@readme/openapi-parser';
import { LineCounter, parseDocument } from 'yaml';
import { IdemchaosError } from '../model/errors.js';
import { formatMessage, type ScenarioMessage } from '../scenario/errors.js';
import { Locator, displayPath, type Segment } from '../scenario/positions.js';
import { readDocument, type ApiDocument } from './model.js';

/** A document that cannot be read, parsed or validated (exit 2). */
export class OpenApiError extends IdemchaosError {
  constructor(message: string) {
    super('usage', message);
  }
}

type Raw = Record<string, unknown>;

export async function loadApiDocument(file: string): Promise<ApiDocument> {
  let source: string;
  try {
    source = await readFile(file, 'utf8');
  } catch (err) {
    throw new OpenApiError(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const lines = new LineCounter();
  const doc = parseDocument(source, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const loc = new Locator(doc, lines, source);
  const problem = (place: { line: number; col: number; endCol?: number }, message: string): ScenarioMessage => ({ file, ...place, message, severity: 'error' });
  if (doc.errors.length > 0) {
    const messages = doc.errors.map((e) => problem(loc.span(e.pos[0], Math.max(e.pos[0], e.pos[1])), e.message.split('\n')[0]!));
    throw broken(file, messages, source);
  }
  const raw = doc.toJS({ maxAliasCount: 10_000 }) as unknown;
  const root = raw !== null && typeof raw === 'object' && !Array.isArray(raw) ? (raw as Raw) : undefined;
  if (!root || (typeof root.openapi !== 'string' && typeof root.swagger !== 'string')) {
    throw broken(file, [problem({ line: 1, col: 1 }, "not an OpenAPI document: it has neither 'openapi: 3.x' nor 'swagger: \"2.0\"' at its top")], source);
  }
  if (typeof root.openapi === 'string' && !/^3\.[01]\./.test(root.openapi)) {
    throw broken(file, [problem(loc.value(['openapi']), `OpenAPI ${root.openapi} is not supported: idemchaos reads Swagger 2.0 and OpenAPI 3.0 and 3.1`)], source);
  }

  let result;
  try {
    result = await parser.validate(file);
  } catch (err) {
    throw broken(file, [problem(refPlace(err, root, loc), oneLine((err as Error).message))], source);
  }
  if (!result.valid) {
    const deref = await dereferenced(file);
    const messages = result.errors.map((e) => {
      const { message, place } = locate(e.message, deref, root, loc);
      return problem(place, message);
    });
    throw broken(file, messages, source, result.additionalErrors);
  }
  const deref = await dereferenced(file);
  if (!deref) throw new OpenApiError(`${file}: the document could not be dereferenced`);
  return readDocument(file, deref, root);
}

async function dereferenced(file: string): Promise<Raw | undefined> {
  try {
    // Cycles stay `$ref`s, so the tree can be walked and printed.
    return (await parser.dereference(file, { dereference: { circular: 'ignore' } })) as unknown as Raw;
  } catch {
    return undefined;
  }
}

function broken(file: string, messages: ScenarioMessage[], source: string, more = 0): OpenApiError {
  const n = messages.length + more;
  const body = messages.map((m) => formatMessage(m, source)).join('\n\n') + (more > 0 ? `\n\n(and ${more} more)` : '');
  return new OpenApiError(`${file} is not a valid OpenAPI document (${n} problem${n === 1 ? '' : 's'}):\n\n${body}`);
}

function oneLine(message: string): string {
  return message.split('\n').filter((l) => l.trim() !== '')[0] ?? message;
}

/** A missing `$ref` target: point at the `$ref` that names it. */
function refPlace(err: unknown, root: Raw, loc: Locator): { line: number; col: number; endCol?: number } {
  const message = (err as Error)?.message ?? '';
  const target = /\$ref pointer "([^"]+)"/.exec(message)?.[1] ?? /Error (?:opening|resolving) (?:file|\$ref pointer) "?([^\s":]+)/.exec(message)?.[1];
  if (target) {
    const at = findRef(root, target, []);
    if (at) return loc.value(at);
  }
  return { line: 1, col: 1 };
}

function findRef(value: unknown, target: string, path: Segment[]): Segment[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findRef(value[i], target, [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Raw)) {
      if (k === '$ref' && typeof v === 'string' && (v === target || v.endsWith(target) || target.endsWith(v))) return [...path, k];
      const found = findRef(v, target, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * The library's message is a headline and a code frame over
 * JSON.stringify(dereferenced, null, 2): the frame's marked line, found in the
 * same rendering, gives the JSON path, which the source locator turns into
 * the place where it is written (or the nearest `$ref` on the way to it).
 */
function locate(message: string, deref: Raw | undefined, root: Raw, loc: Locator): { message: string; place: { line: number; col: number; endCol?: number } } {
  const headline = oneLine(message);
  const missing = /Missing \$ref pointer "([^"]+)"/.exec(message);
  if (missing) {
    const at = findRef(root, missing[1]!, []);
    return { message: headline, place: at ? loc.value(at) : { line: 1, col: 1 } };
  }
  const marked = /^>\s*(\d+) \| ?(.*)$/m.exec(message);
  if (!marked || !deref) return { message: headline, place: { line: 1, col: 1 } };
  const lineNo = Number(marked[1]);
  const paths = jsonLinePaths(deref);
  const rendered = JSON.stringify(deref, null, 2).split('\n');
  const path = rendered[lineNo - 1]?.trimEnd() === marked[2]!.trimEnd() ? paths[lineNo - 1] : undefined;
  if (!path) return { message: headline, place: { line: 1, col: 1 } };
  const within = deepestWritten(root, path);
  const where = within.length === path.length ? '' : ` (at ${displayPath(path)}, reached through the $ref here)`;
  const last = path[path.length - 1];
  const which = /(UNEVALUATED|ADDITIONAL) PROPERT/i.test(headline) && typeof last === 'string' ? `: '${last}' is not allowed here` : '';
  return { message: `${headline.replace(/\s+$/, '')}${which}${where}`, place: which ? loc.key(within) : loc.value(within) };
}

/** The JSON path of the value (or member) that starts on each line of JSON.stringify(value, null, 2). */
export function jsonLinePaths(value: unknown): Segment[][] {
  const out: Segment[][] = [[]];
  const visit = (v: unknown, path: Segment[]): void => {
    if (Array.isArray(v)) {
      if (v.length === 0) return;
      v.forEach((item, i) => {
        out.push([...path, i]);
        visit(item === undefined || typeof item === 'function' ? null : item, [...path, i]);
      });
      out.push(path);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v as Raw).filter(([, x]) => x !== undefined && typeof x !== 'function' && typeof x !== 'symbol');
      if (entries.length === 0) return;
      for (const [k, x] of entries) {
        out.push([...path, k]);
        visit(x, [...path, k]);
      }
      out.push(path);
    }
  };
  visit(value, []);
  return out;
}

/** The longest prefix of `path` that exists in the document as written. */
function deepestWritten(root: Raw, path: Segment[]): Segment[] {
  let node: unknown = root;
  const out: Segment[] = [];
  for (const segment of path) {
    if (Array.isArray(node) && typeof segment === 'number' && segment < node.length) node = node[segment];
    else if (node !== null && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node as Raw, String(segment))) node = (node as Raw)[String(segment)];
    else break;
    out.push(segment);
  }
  return out;
}
