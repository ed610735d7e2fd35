// Checks on untyped values (parsed JSON, metrics), shared by every layer.
// Imports nothing, so anything may import it.

/** An object with string keys: not null, not an array. */
export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
