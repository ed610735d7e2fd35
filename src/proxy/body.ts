// A request body's identity: JSON compared regardless of key order (and of
// whitespace), anything else byte for byte.
import { createHash } from 'node:crypto';

/** sha256 hex of the body's canonical form: sorted-key JSON when it parses as JSON, else the bytes. */
export function bodyHash(body: Buffer): string {
  const hash = createHash('sha256');
  const json = parseJson(body);
  if (json.ok) hash.update('json:').update(canonical(json.value));
  else hash.update('raw:').update(body);
  return hash.digest('hex');
}

function parseJson(body: Buffer): { ok: true; value: unknown } | { ok: false } {
  if (body.length === 0) return { ok: false };
  const first = body.find((b) => b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09);
  // Only objects and arrays: a bare number or string is left to byte comparison.
  if (first !== 0x7b && first !== 0x5b) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/** JSON text with every object's keys sorted. */
export function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
