// Is a replay the same response as its original? Status, body (as JSON
// regardless of key order, minus `expect.ignore`; bytes when not JSON),
// Location after resolving against the target, ETag when the original had one.
import { isPlainObject } from '../model/values.js';
import { isDeepStrictEqual } from 'node:util';
import { JSONPath } from 'jsonpath-plus';
import type { HttpResponse } from '../model/http.js';

export interface CompareOptions {
  ignore: string[];
  /** Base for resolving relative Location headers. */
  baseUrl: string;
}

/** Differences as readable lines ("status: 201 → 200"); empty when equal. */
export function compareResponses(original: HttpResponse, replay: HttpResponse, opts: CompareOptions): string[] {
  const diff: string[] = [];
  if (original.status !== replay.status) diff.push(`status: ${original.status} → ${replay.status}`);

  const a = parseJson(original.body);
  const b = parseJson(replay.body);
  if (a.ok && b.ok) {
    diffJson(strip(a.value, opts.ignore), strip(b.value, opts.ignore), '$', diff);
  } else if (!original.body.equals(replay.body)) {
    diff.push(`body: ${preview(original.body)} → ${preview(replay.body)}`);
  }

  const locA = resolve(original.headers['location'], opts.baseUrl);
  const locB = resolve(replay.headers['location'], opts.baseUrl);
  if (locA !== locB) diff.push(`header Location: ${locA ?? '(absent)'} → ${locB ?? '(absent)'}`);
  const etagA = original.headers['etag'];
  if (etagA !== undefined && etagA !== replay.headers['etag']) {
    diff.push(`header ETag: ${etagA} → ${replay.headers['etag'] ?? '(absent)'}`);
  }
  return diff;
}

export function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (body.length === 0) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) };
  } catch {
    return { ok: false };
  }
}

/** Removes every node matched by the ignore paths (on a copy). */
function strip(value: unknown, ignore: string[]): unknown {
  if (ignore.length === 0 || typeof value !== 'object' || value === null) return value;
  const copy = structuredClone(value) as Record<string, unknown>;
  for (const path of ignore) {
    const pointers = JSONPath({ path, json: copy, resultType: 'pointer', wrap: true }) as string[];
    for (const pointer of pointers) removeAt(copy, pointer);
  }
  return copy;
}

const IGNORED = '(ignored)';

function removeAt(root: Record<string, unknown>, pointer: string): void {
  const parts = pointer.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  if (last === undefined) return;
  let node: unknown = root;
  for (const p of parts) node = (node as Record<string, unknown>)?.[p];
  // Array elements are masked, not removed, so other pointers into the array keep their meaning.
  if (Array.isArray(node)) node[Number(last)] = IGNORED;
  else if (node && typeof node === 'object') delete (node as Record<string, unknown>)[last];
}

function diffJson(a: unknown, b: unknown, path: string, out: string[]): void {
  if (isDeepStrictEqual(a, b)) return;
  const bothObjects = isPlainObject(a) && isPlainObject(b);
  const bothArrays = Array.isArray(a) && Array.isArray(b);
  if (bothObjects) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    for (const k of keys) {
      const p = /^[A-Za-z_$][\w$]*$/.test(k) ? `${path}.${k}` : `${path}[${JSON.stringify(k)}]`;
      if (!(k in b)) out.push(`${p}: ${show(a[k])} → (absent)`);
      else if (!(k in a)) out.push(`${p}: (absent) → ${show(b[k])}`);
      else diffJson(a[k], b[k], p, out);
    }
    return;
  }
  if (bothArrays && a.length === b.length) {
    a.forEach((v, i) => diffJson(v, b[i], `${path}[${i}]`, out));
    return;
  }
  out.push(`${path}: ${show(a)} → ${show(b)}`);
}

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function preview(body: Buffer): string {
  const s = body.toString('utf8');
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function resolve(location: string | undefined, base: string): string | undefined {
  if (location === undefined) return undefined;
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

/**
 * A body as compared: JSON with keys sorted at every depth and without the
 * ignored paths; anything else as its text. Equal bodies give equal strings.
 */
export function normalizedBody(body: Buffer, ignore: string[]): string {
  const parsed = parseJson(body);
  return parsed.ok ? canonical(strip(parsed.value, ignore)) : body.toString('utf8');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (isPlainObject(v)) {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical(v[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
