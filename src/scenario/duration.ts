// Durations as written in scenarios: a number with a unit (`300ms`, `1.5s`, `2m`, `1h`).
import type { AttackCheck } from './types.js';

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
type Unit = keyof typeof UNIT_MS;

/** Kept in step with the `duration` pattern in schema/scenario.schema.json. */
export const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h)$/;

/** Parses `300ms`, `1.5s`, `2m`, `1h` into milliseconds; throws a message fit for the user otherwise. */
export function parseDuration(text: string | number): number {
  if (typeof text === 'number' || /^\s*\d+(?:\.\d+)?\s*$/.test(String(text))) {
    const n = String(text).trim();
    return fail(`duration '${n}' has no unit: add a unit, e.g. ${n}ms or ${n}s`);
  }
  if (typeof text !== 'string') return fail(`a duration must be a string like 300ms, got ${typeof text}`);
  const match = DURATION_PATTERN.exec(text.trim());
  if (!match) {
    return fail(`invalid duration '${text}': write a number with a unit (ms, s, m or h), e.g. 300ms or 1.5s`);
  }
  const ms = Number(match[1]) * UNIT_MS[match[2] as Unit];
  // Float noise such as 1.1s -> 1100.0000000000002.
  return Math.round(ms * 1000) / 1000;
}

/** The shortest exact spelling: 300 -> `300ms`, 1500 -> `1.5s`, 90000 -> `1.5m`, 61000 -> `61s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  for (const unit of ['h', 'm', 's'] as const) {
    const size = UNIT_MS[unit];
    if (abs < size) continue;
    const value = abs / size;
    // Use the bigger unit only when it stays short (at most two decimals).
    if (Math.abs(Math.round(value * 100) - value * 100) < 1e-6) return `${sign}${trim(value)}${unit}`;
  }
  return `${sign}${trim(abs)}ms`;
}

function trim(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}

function fail(message: string): never {
  throw new Error(message);
}

/** A wait past a deadline: an absolute duration, or a share of the ttl it extends. */
export type Margin = { ms: number } | { fraction: number };

const PERCENT_PATTERN = /^\s*(\d+(?:\.\d+)?)%\s*$/;

/** `20%` or `500ms`; the value passed the schema and `marginProblem`. */
export function parseMargin(text: string): Margin {
  const percent = PERCENT_PATTERN.exec(text);
  return percent ? { fraction: Number(percent[1]) / 100 } : { ms: parseDuration(text) };
}

/** The margin in ms for a given ttl. */
export function marginMs(margin: Margin, ttlMs: number): number {
  return 'ms' in margin ? margin.ms : ttlMs * margin.fraction;
}

/** What is wrong with a margin as written, for a positioned scenario error; undefined when fine. */
export function marginProblem(margin: string | number): string | undefined {
  if (typeof margin === 'string' && margin.trim().endsWith('%')) {
    return PERCENT_PATTERN.test(margin) ? undefined : `invalid percentage '${margin}': write a number followed by %, e.g. 20%`;
  }
  try {
    parseDuration(margin);
    return undefined;
  } catch {
    if (typeof margin === 'number' || /^\s*[\d.]+\s*$/.test(margin)) {
      return `margin '${String(margin).trim()}' has no unit: add one, e.g. ${String(margin).trim()}% or ${String(margin).trim()}ms`;
    }
    return `invalid margin '${margin}': use a duration such as 500ms or a percentage such as 20%`;
  }
}

/** The check of an attack's `margin:` (expiry, expiry-burst), positioned on its value. */
export const checkMargin: AttackCheck = (raw, at) => {
  if (typeof raw.margin !== 'string' && typeof raw.margin !== 'number') return;
  const problem = marginProblem(raw.margin);
  if (problem) at.error(['margin'], problem, 'value');
};
