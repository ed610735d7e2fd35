// Small numeric helpers shared by the bench modules.

/** Linear-interpolated quantile of the finite values (q in 0..1); null when there are none. */
export function quantile(values: readonly (number | null | undefined)[], q: number): number | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const pos = (xs.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return xs[lo]! + (xs[hi]! - xs[lo]!) * (pos - lo);
}

export const median = (values: readonly (number | null | undefined)[]): number | null => quantile(values, 0.5);
export const p90 = (values: readonly (number | null | undefined)[]): number | null => quantile(values, 0.9);

export function min(values: readonly (number | null | undefined)[]): number | null {
  return quantile(values, 0);
}

export function max(values: readonly (number | null | undefined)[]): number | null {
  return quantile(values, 1);
}

export interface Summary {
  count: number;
  min: number | null;
  median: number | null;
  p90: number | null;
  max: number | null;
}

export function summarize(values: readonly (number | null | undefined)[]): Summary {
  return {
    count: values.filter((v) => typeof v === 'number' && Number.isFinite(v)).length,
    min: min(values),
    median: median(values),
    p90: p90(values),
    max: max(values),
  };
}

/** a / b, or null when either is missing or b is not positive. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (typeof a !== 'number' || typeof b !== 'number' || !(b > 0)) return null;
  return a / b;
}

/** A number with a precision that suits its size; "–" for null. */
export function fmt(value: number | null | undefined, digits?: number): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  if (digits !== undefined) return value.toFixed(digits);
  const abs = Math.abs(value);
  if (abs >= 100) return value.toFixed(0);
  if (abs >= 10) return value.toFixed(1);
  if (abs >= 1) return value.toFixed(2);
  return value.toFixed(3);
}

export function fmtRatio(value: number | null | undefined): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return '–';
  return `${value >= 10 ? value.toFixed(0) : value.toFixed(1)}×`;
}

export function pct(part: number, whole: number): string {
  if (whole <= 0) return '–';
  return `${Math.round((100 * part) / whole)}%`;
}

/** The median across runs and, with several runs, "(a / b / …)" of the per-run values. */
export function across(values: (number | null)[], format: (v: number | null) => string = (v) => fmt(v)): string {
  const med = median(values);
  if (values.length <= 1) return format(med);
  return `${format(med)} (${values.map(format).join(' / ')})`;
}

/** A Markdown table. */
export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A small seeded PRNG (mulberry32): the same seed gives the same resamples, so a rendered report is reproducible. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface RatioInterval {
  ratio: number;
  /** The 2.5th and 97.5th percentiles of the bootstrapped ratio. */
  lo: number;
  hi: number;
}

/** One process's values: its first burst's, and its later bursts'. */
export interface ProcessValues {
  first: readonly (number | null | undefined)[];
  later: readonly (number | null | undefined)[];
}

/**
 * median(every first) ÷ median(every later), over processes grouped by run,
 * with a 95% percentile-bootstrap interval. Each resample draws runs with
 * replacement, then the processes of each drawn run with replacement, so the
 * interval carries the differences between runs and keeps a process's
 * bursts together (they are not independent samples). Arrival spreads are
 * heavy-tailed (0.25 to 3 ms and more within one burst index), so a median
 * of 40 processes moves by 15% on noise alone; the interval says how far
 * apart two medians can be said to be. Null when either side has no finite
 * value.
 */
export function ratioOfMedians(runs: readonly (readonly ProcessValues[])[], resamples = 2000, seed = 1): RatioInterval | null {
  const groups = runs.filter((procs) => procs.length > 0);
  const ratioOf = (procs: readonly ProcessValues[]): number | null =>
    ratio(median(procs.flatMap((p) => p.first)), median(procs.flatMap((p) => p.later)));
  const point = ratioOf(groups.flat());
  if (point === null) return null;
  const random = seeded(seed);
  const pick = <T>(from: readonly T[]): T => from[Math.floor(random() * from.length)]!;
  const boots: number[] = [];
  for (let i = 0; i < resamples; i++) {
    const drawn = groups.map(() => pick(groups)).flatMap((procs) => procs.map(() => pick(procs)));
    const r = ratioOf(drawn);
    if (r !== null) boots.push(r);
  }
  return { ratio: point, lo: quantile(boots, 0.025) ?? point, hi: quantile(boots, 0.975) ?? point };
}
