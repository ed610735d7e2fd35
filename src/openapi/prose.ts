// What the generator can read from a document's prose: a key's retention
// ("keys are kept for 24 hours") and its length limit ("a maximum of 64
// characters"). Each finding carries the sentence it came from, so the
// scenario can say what it read.

export interface Reading<T> {
  value: T;
  /** The sentence, shortened. */
  quote: string;
  /** Where it was written: "the description of the Idempotency-Key parameter". */
  where: string;
}

export interface Prose {
  text: string | undefined;
  where: string;
}

const UNITS: Record<string, { unit: 'ms' | 's' | 'm' | 'h'; factor: number }> = {
  ms: { unit: 'ms', factor: 1 },
  millisecond: { unit: 'ms', factor: 1 },
  s: { unit: 's', factor: 1 },
  sec: { unit: 's', factor: 1 },
  second: { unit: 's', factor: 1 },
  m: { unit: 'm', factor: 1 },
  min: { unit: 'm', factor: 1 },
  minute: { unit: 'm', factor: 1 },
  h: { unit: 'h', factor: 1 },
  hr: { unit: 'h', factor: 1 },
  hour: { unit: 'h', factor: 1 },
  d: { unit: 'h', factor: 24 },
  day: { unit: 'h', factor: 24 },
  week: { unit: 'h', factor: 168 },
};

const DURATION = /(\d+(?:\.\d+)?)\s*-?\s*(milliseconds?|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d|weeks?)\b/i;
const ABOUT_KEYS = /idempoten|\bkeys?\b/i;
const RETENTION = /\b(kept|keep|keeps|stored|stores|store|retain(ed|s)?|retention|expire[sd]?|expiry|expiration|valid|remember(ed|s)?|purged?|removed?|pruned?|eligible|cached|saved|persist(ed|s)?|live|lives|ttl)\b/i;

function sentences(text: string): string[] {
  return text
    .replace(/`/g, '')
    .split(/(?<=[.!?])\s+|\n{2,}|\n(?=[-*] )/)
    .map((s) => s.replace(/\s+/g, ' ').trim())
    .filter((s) => s !== '');
}

function shorten(s: string): string {
  return s.length <= 160 ? s : `${s.slice(0, 157)}...`;
}

/** A retention as a scenario duration (`24h`, `2s`, `168h` for 7 days), from the first sentence that states one. */
export function readRetention(sources: Prose[]): Reading<string> | undefined {
  for (const { text, where } of sources) {
    if (!text) continue;
    for (const s of sentences(text)) {
      if (!ABOUT_KEYS.test(s) || !RETENTION.test(s)) continue;
      const m = DURATION.exec(s);
      if (!m) continue;
      const word = m[2]!.toLowerCase();
      const unit = UNITS[word] ?? UNITS[word.replace(/s$/, '')];
      if (!unit) continue;
      const amount = Number(m[1]) * unit.factor;
      if (!(amount > 0)) continue;
      return { value: `${amount}${unit.unit}`, quote: shorten(s), where };
    }
  }
  return undefined;
}

const MAX_LENGTH = /(?:maximum(?: length)?|max(?:imum)?\.?(?: length)?|at most|up to|no (?:more|longer) than|limited to)\s*(?:of\s*)?(\d+)\s*(?:characters|chars|bytes|symbols)/i;

/** A length limit stated in words. */
export function readMaxLength(sources: Prose[]): Reading<number> | undefined {
  for (const { text, where } of sources) {
    if (!text) continue;
    for (const s of sentences(text)) {
      const m = MAX_LENGTH.exec(s);
      if (m) return { value: Number(m[1]), quote: shorten(s), where };
    }
  }
  return undefined;
}
