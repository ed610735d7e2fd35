// Is an idempotency key unguessable and unique? A key is weak when it is
// short, counts up, reads like a timestamp or repeats across operations,
// unless it holds a UUIDv4 or a long random-looking run somewhere (a prefix
// such as "order-17-" in front of a UUID is fine).

export const MIN_KEY_LENGTH = 16;
/** How many random-looking hex or base64 characters make a key strong whatever else it holds. */
export const RANDOM_RUN = 22;

const UUID_V4 = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/i;

/** A Structured Field string (`"8e03…"`, as the IETF draft sends it) without its quotes. */
export function bareKey(key: string): string {
  return key.length >= 2 && key.startsWith('"') && key.endsWith('"') ? key.slice(1, -1) : key;
}

/** Holds a UUIDv4, or a run of at least 22 random-looking hex or base64 characters. */
export function isStrongKey(key: string): boolean {
  const k = bareKey(key);
  if (UUID_V4.test(k)) return true;
  for (const run of k.match(/[0-9a-f]{22,}|[0-9A-F]{22,}/g) ?? []) {
    if (/[0-9]/.test(run) && /[a-f]/i.test(run) && new Set(run.toLowerCase()).size >= 8) return true;
  }
  for (const run of k.match(/[A-Za-z0-9+/_-]{22,}/g) ?? []) if (looksRandom(run)) return true;
  return false;
}

/**
 * Base64 that is not a word or an identifier: upper case, lower case and
 * digits all present, and the kind of character changes often (random
 * base64 changes kind at about two of three positions; "CreateOrder2026"
 * at four in fourteen).
 */
function looksRandom(run: string): boolean {
  if (!/[a-z]/.test(run) || !/[A-Z]/.test(run) || !/[0-9]/.test(run)) return false;
  const kind = (c: string) => (/[a-z]/.test(c) ? 0 : /[A-Z]/.test(c) ? 1 : /[0-9]/.test(c) ? 2 : 3);
  let changes = 0;
  for (let i = 1; i < run.length; i++) if (kind(run[i]!) !== kind(run[i - 1]!)) changes++;
  return changes >= 0.4 * (run.length - 1) && new Set(run).size >= 12;
}

// Epoch seconds and milliseconds from 2000 to 2100.
const EPOCH_S = [946_684_800, 4_102_444_800];
const ISO_LIKE = /(?:19|20)\d{2}-?[01]\d-?[0-3]\d[T _-]?[0-2]\d:?[0-5]\d/;

/** What makes this key read like a time, or undefined. */
export function timestampLike(key: string): string | undefined {
  const k = bareKey(key);
  if (ISO_LIKE.test(k)) return 'holds a date and time';
  for (const run of k.match(/\d+/g) ?? []) {
    const n = Number(run);
    if (run.length === 10 && n >= EPOCH_S[0]! && n < EPOCH_S[1]!) return `holds ${run}, a Unix time in seconds`;
    if (run.length === 13 && n >= EPOCH_S[0]! * 1000 && n < EPOCH_S[1]! * 1000) return `holds ${run}, a Unix time in milliseconds`;
    if ((run.length === 16 || run.length === 19) && Number(run.slice(0, 10)) >= EPOCH_S[0]! && Number(run.slice(0, 10)) < EPOCH_S[1]!) {
      return `holds ${run}, a Unix time in ${run.length === 16 ? 'micro' : 'nano'}seconds`;
    }
  }
  return undefined;
}

/**
 * Keys that count up: the same text around their last number, and that
 * number growing by 1 to 16 from one key to the next in the order the keys
 * were first used. Returns each such group (two keys or more), in that order.
 */
export function counterGroups(keys: string[]): string[][] {
  const byTemplate = new Map<string, { key: string; n: bigint }[]>();
  for (const key of keys) {
    const k = bareKey(key);
    const m = /(\d+)(?!.*\d)/.exec(k);
    if (!m) continue;
    const template = `${k.slice(0, m.index)}#${k.slice(m.index + m[1]!.length)}`;
    const list = byTemplate.get(template) ?? [];
    list.push({ key, n: BigInt(m[1]!) });
    byTemplate.set(template, list);
  }
  const groups: string[][] = [];
  for (const list of byTemplate.values()) {
    if (list.length < 2) continue;
    const counts = list.every((e, i) => i === 0 || (e.n - list[i - 1]!.n >= 1n && e.n - list[i - 1]!.n <= 16n));
    if (counts) groups.push(list.map((e) => e.key));
  }
  return groups;
}

/**
 * Why each weak key is weak, for the keys of a session in first-use order
 * with how many operations used each. Strong keys never appear.
 */
export function weakKeyReasons(keys: { key: string; operations: number }[]): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  const add = (key: string, reason: string) => {
    if (isStrongKey(key)) return;
    const list = reasons.get(key) ?? [];
    list.push(reason);
    reasons.set(key, list);
  };
  const weakOnes = keys.filter((k) => !isStrongKey(k.key));
  for (const group of counterGroups(weakOnes.map((k) => k.key))) {
    for (const key of group) add(key, `sequential, a counter (${group.map(quote).join(', ')})`);
  }
  for (const { key, operations } of weakOnes) {
    const length = bareKey(key).length;
    if (length < MIN_KEY_LENGTH) add(key, `short (${length} characters, under ${MIN_KEY_LENGTH})`);
    const time = timestampLike(key);
    if (time) add(key, `timestamp-like (${time})`);
    if (operations > 1) add(key, `repeated across ${operations} operations`);
  }
  return reasons;
}

export function quote(key: string): string {
  return `'${key}'`;
}
