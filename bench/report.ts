// Renders one or several saved bench runs as Markdown: the tables printed by
// `npm run bench` and the generated block of docs/benchmarks.md. With several
// runs, every figure is the median across runs, with the per-run values
// (or their range) beside it so the run-to-run spread stays visible.
import type { BurstIndexResult, BurstIndexSample } from './burst-index.js';
import type { DetectionResult, DetectCell, DetectEngine, Load } from './detection.js';
import type { MemoryResult, MemoryRow } from './memory.js';
import { DETECT_ENGINES } from './detection.js';
import type { SpreadEngineName, SpreadResult, SpreadSeries } from './spread.js';
import { SPREAD_ENGINES } from './spread.js';
import type { StartupResult } from './startup.js';
import { renderWorkers, workersVerdicts, type WorkersResult } from './workers.js';
import { across, fmt, fmtRatio, median, pct, ratio, ratioOfMedians, summarize, table, type ProcessValues, type RatioInterval } from './stats.js';

export interface Machine {
  nproc: number;
  cpu: string;
  node: string;
  os: string;
  curl: string | null;
}

export interface RunResult {
  version: 1;
  startedAt: string;
  /** The command that produced this run. */
  command: string;
  quick: boolean;
  machine: Machine;
  /** 1-minute load average when the run started and ended (other work on the box shows here). */
  load?: { start: number; end: number };
  /** CPU use of the whole box over one second just before each part (nothing of ours running), 0..1. */
  ambient?: { startup?: number | null; spread?: number | null; detection?: number | null; bursts?: number | null; memory?: number | null; workers?: number | null };
  spread?: SpreadResult;
  /** Arrival spread by burst index, a fresh process per measured run (absent in runs made before it existed). */
  bursts?: BurstIndexResult;
  detection?: DetectionResult;
  startup?: StartupResult;
  /** --workers: a suite of copies and detection beside other attacks (absent in runs made before it existed). */
  workers?: WorkersResult;
  /** Peak RSS of fresh processes sending one large burst (absent in runs made before it existed). */
  memory?: MemoryResult;
  elapsedMs: number;
}

type Num = number | null;

// ---------------------------------------------------------------- spread

function seriesOf(run: RunResult, engine: SpreadEngineName, n: number): SpreadSeries | undefined {
  return run.spread?.series.find((s) => s.engine === engine && s.n === n);
}

function spreadStat(run: RunResult, engine: SpreadEngineName, n: number, stat: 'min' | 'median' | 'p90'): Num {
  const s = seriesOf(run, engine, n);
  return s ? summarize(s.samples.map((x) => x.spreadMs))[stat] : null;
}

function labelOf(engine: SpreadEngineName): string {
  return SPREAD_ENGINES.find((e) => e.name === engine)?.label ?? engine;
}

export function renderSpread(runs: RunResult[]): string {
  const withSpread = runs.filter((r) => r.spread);
  if (withSpread.length === 0) return '';
  const first = withSpread[0]!.spread!;
  const out: string[] = [];
  for (const n of first.ns) {
    const engines = first.engines;
    const rows = engines.map((engine) => {
      const per = withSpread.map((r) => seriesOf(r, engine, n));
      const bursts = per.map((s) => s?.samples.length ?? 0);
      const arrived = per.reduce((a, s) => a + (s?.samples.reduce((b, x) => b + x.arrived, 0) ?? 0), 0);
      const sent = per.reduce((a, s) => a + (s?.samples.length ?? 0) * n, 0);
      const med = withSpread.map((r) => spreadStat(r, engine, n, 'median'));
      const vsH1 = withSpread.map((r) => ratio(spreadStat(r, engine, n, 'median'), spreadStat(r, 'h1', n, 'median')));
      const vsH2 = withSpread.map((r) => ratio(spreadStat(r, engine, n, 'median'), spreadStat(r, 'h2c', n, 'median')));
      const wall = withSpread.map((r) => median(seriesOf(r, engine, n)?.samples.map((x) => x.wallMs) ?? []));
      return [
        `\`${engine}\` ${labelOf(engine)}`,
        bursts.join(' / '),
        arrived === sent ? 'all' : `${arrived}/${sent}`,
        across(withSpread.map((r) => spreadStat(r, engine, n, 'min'))),
        `**${across(med)}**`,
        across(withSpread.map((r) => spreadStat(r, engine, n, 'p90'))),
        across(vsH1, fmtRatio),
        across(vsH2, fmtRatio),
        across(wall, (v) => fmt(v, 0)),
      ];
    });
    out.push(
      `**N = ${n}**: arrival spread at the server, ms (max − min of last-byte arrival within a burst)\n\n` +
        table(['client', 'bursts', 'arrived', 'min', 'median', 'p90', 'median ÷ h1', 'median ÷ h2c', 'burst wall ms'], rows),
    );
  }
  out.push(renderShape(withSpread));
  out.push(renderSkew(withSpread));
  out.push(renderFinalWrites(withSpread));
  const notes = withSpread.flatMap((r, i) => r.spread!.notes.map((note) => `run ${i + 1}: ${note}`));
  if (notes.length > 0) out.push(notes.map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n');
}

function renderShape(runs: RunResult[]): string {
  const first = runs[0]!.spread!;
  const stat = (r: RunResult, engine: SpreadEngineName, n: number, field: 'firstGapMs' | 'halfMs'): Num =>
    median(seriesOf(r, engine, n)?.samples.map((x) => x[field] ?? null) ?? []);
  const rows = first.engines.map((engine) => [
    `\`${engine}\``,
    ...first.ns.flatMap((n) => [across(runs.map((r) => stat(r, engine, n, 'firstGapMs'))), across(runs.map((r) => stat(r, engine, n, 'halfMs')))]),
  ]);
  return `Shape of a burst at the server, median ms from the first last-byte arrival to the 2nd, and to the ⌈N/2⌉-th\n\n${table(
    ['client', ...first.ns.flatMap((n) => [`N=${n}: 1st → 2nd`, `N=${n}: 1st → ${Math.ceil(n / 2)}th`])],
    rows,
  )}`;
}

function renderSkew(runs: RunResult[]): string {
  const first = runs[0]!.spread!;
  const rows: string[][] = [];
  for (const n of first.ns) {
    for (const engine of ['h1', 'h2c', 'h2-tls'] as const) {
      if (!first.engines.includes(engine)) continue;
      const skews = (r: RunResult): Num[] => seriesOf(r, engine, n)?.samples.map((x) => x.releaseSkewMs ?? null) ?? [];
      rows.push([
        `\`${engine}\``,
        String(n),
        across(runs.map((r) => summarize(skews(r)).median)),
        across(runs.map((r) => summarize(skews(r)).p90)),
        across(runs.map((r) => summarize(skews(r)).max)),
      ]);
    }
  }
  return `Client-side release skew, ms (max − min of the moment each final byte / final frame was handed to the socket, \`releaseSkewMs\`)\n\n${table(['engine', 'N', 'median', 'p90', 'max'], rows)}`;
}

export interface FinalWriteFigure {
  engine: 'h2c' | 'h2-tls';
  n: number;
  bursts: number;
  /** Bursts whose every connection released its final frames in exactly one socket write. */
  singleWrite: number;
  connections: number[];
  maxWrites: number;
}

export function finalWriteFigures(runs: RunResult[]): FinalWriteFigure[] {
  const out: FinalWriteFigure[] = [];
  const first = runs.find((r) => r.spread)?.spread;
  if (!first) return out;
  for (const n of first.ns) {
    for (const engine of ['h2c', 'h2-tls'] as const) {
      if (!first.engines.includes(engine)) continue;
      const samples = runs.flatMap((r) => seriesOf(r, engine, n)?.samples ?? []);
      out.push({
        engine,
        n,
        bursts: samples.length,
        singleWrite: samples.filter((s) => (s.finalWriteCalls?.length ?? 0) > 0 && s.finalWriteCalls!.every((w) => w === 1) && s.arrived === n).length,
        connections: [...new Set(samples.map((s) => s.connections ?? 0))].sort((a, b) => a - b),
        maxWrites: Math.max(0, ...samples.flatMap((s) => s.finalWriteCalls ?? [])),
      });
    }
  }
  return out;
}

function renderFinalWrites(runs: RunResult[]): string {
  const rows = finalWriteFigures(runs).map((f) => [
    `\`${f.engine}\``,
    String(f.n),
    String(f.bursts),
    f.connections.join(', '),
    `${f.singleWrite}/${f.bursts}`,
    String(f.maxWrites),
  ]);
  return `\`finalWriteCalls\` of singlePacketBurst (socket writes per connection in the release), all runs pooled\n\n${table(
    ['engine', 'N', 'bursts', 'connections per burst', 'bursts released in 1 write per connection', 'max writes on one connection'],
    rows,
  )}`;
}

// ---------------------------------------------------------------- burst index

function indexSamples(run: RunResult, condition: string, variant: string, index: number) {
  return run.bursts?.samples.filter((x) => x.condition === condition && x.variant === variant && x.index === index) ?? [];
}

function indexStat(run: RunResult, condition: string, variant: string, index: number, field: 'spreadMs' | 'releaseSkewMs', stat: 'median' | 'p90'): Num {
  return summarize(indexSamples(run, condition, variant, index).map((x) => x[field]))[stat];
}

/**
 * Burst `index` against the other bursts of the same process: per process,
 * its spread ÷ the median spread of the process's other bursts; the median
 * of that over processes. Paired within a process, so a process that ran
 * while the box was busy loads both sides; 1.0 when the index makes no
 * difference. (The slowest ÷ fastest of the per-index medians is at least 1
 * by construction, and well above it on noise alone.)
 */
function pairedRatio(run: RunResult, condition: string, variant: string, index: number): Num {
  const samples = run.bursts?.samples.filter((x) => x.condition === condition && x.variant === variant) ?? [];
  const ratios: Num[] = [];
  for (const proc of new Set(samples.map((x) => x.run))) {
    const own = samples.filter((x) => x.run === proc);
    const mine = own.find((x) => x.index === index)?.spreadMs;
    const others = median(own.filter((x) => x.index !== index).map((x) => x.spreadMs));
    ratios.push(ratio(mine, others));
  }
  return median(ratios);
}

/**
 * Where the process was at the release, every run pooled: "k/n" bursts with
 * the process on the target's CPU, and the median spread of those against
 * the others. '–' for runs made before the bench noted it.
 */
function placement(samples: BurstIndexSample[]): [string, string] {
  const noted = samples.filter((x) => x.sameCpu !== undefined);
  if (noted.length === 0) return ['–', '–'];
  const one = noted.filter((x) => x.sameCpu);
  const spread = (xs: BurstIndexSample[]): string => fmt(median(xs.map((x) => x.spreadMs)));
  return [`${one.length}/${noted.length}`, `${spread(one)} / ${spread(noted.filter((x) => !x.sameCpu))}`];
}

export function renderBurstIndex(runs: RunResult[]): string {
  const withIdx = runs.filter((r) => r.bursts);
  if (withIdx.length === 0) return '';
  const first = withIdx[0]!.bursts!;
  const indexes = Array.from({ length: first.bursts }, (_, i) => i + 1);
  const variants = first.variants.map((v) => v.name);
  const out: string[] = [];
  for (const condition of first.conditions.map((c) => c.name)) {
    const rows: string[][] = [];
    for (const index of indexes) {
      for (const variant of variants) {
        const samples = withIdx.flatMap((r) => indexSamples(r, condition, variant, index));
        const complete = samples.filter((x) => x.arrived === first.n && x.ok === first.n).length;
        const stat = (r: RunResult, v: string, i: number) => indexStat(r, condition, v, i, 'spreadMs', 'median');
        rows.push([
          String(index),
          variant,
          withIdx.map((r) => indexSamples(r, condition, variant, index).length).join(' / '),
          complete === samples.length ? 'all' : `${complete}/${samples.length} bursts complete`,
          `**${across(withIdx.map((r) => stat(r, variant, index)))}**`,
          across(withIdx.map((r) => indexStat(r, condition, variant, index, 'spreadMs', 'p90'))),
          across(withIdx.map((r) => ratio(stat(r, variant, index), stat(r, variant, first.bursts))), fmtRatio),
          across(withIdx.map((r) => pairedRatio(r, condition, variant, index)), fmtRatio),
          across(withIdx.map((r) => ratio(stat(r, variant, index), stat(r, variants[0]!, index))), fmtRatio),
          across(withIdx.map((r) => indexStat(r, condition, variant, index, 'releaseSkewMs', 'median'))),
          ...placement(samples),
        ]);
      }
    }
    out.push(
      `**h1, N = ${first.n}, ${first.bursts} bursts per fresh process ${first.gapMs} ms apart, ${condition}**: arrival spread at the server by burst index, ms (median over processes)\n\n` +
        table(['burst', 'release', 'processes', 'arrived', 'median spread', 'p90 spread', `÷ burst ${first.bursts}`, '÷ its other bursts (paired)', '÷ before', 'median release skew', "on the target's CPU at release", 'median spread there / elsewhere'], rows),
    );
  }
  const notes = withIdx.flatMap((r, i) => r.bursts!.notes.map((note) => `run ${i + 1}: ${note}`));
  const errors = withIdx.flatMap((r, i) =>
    r.bursts!.samples.filter((x) => x.error).map((x) => `run ${i + 1}: ${x.condition}, ${x.variant}, process ${x.run + 1}, burst ${x.index}: ${x.error}`),
  );
  if (notes.length + errors.length > 0) out.push([...notes, ...errors.slice(0, 5)].map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n');
}

// ---------------------------------------------------------------- detection

function cellOf(run: RunResult, k: number, load: Load, engine: DetectEngine): DetectCell | undefined {
  return run.detection?.cells.find((c) => c.k === k && c.load === load && c.engine === engine);
}

export function renderDetection(runs: RunResult[]): string {
  const withDet = runs.filter((r) => r.detection);
  if (withDet.length === 0) return '';
  const first = withDet[0]!.detection!;
  const out: string[] = [];
  for (const load of ['idle', 'busy'] as const) {
    const rows = first.ks.map((k) => [
      String(k),
      ...DETECT_ENGINES.map((engine) => {
        const cells = withDet.map((r) => cellOf(r, k, load, engine));
        const dups = cells.reduce((a, c) => a + (c?.duplicates ?? 0), 0);
        const bursts = cells.reduce((a, c) => a + (c?.bursts ?? 0), 0);
        const per = cells.map((c) => (c ? `${c.duplicates}/${c.bursts}` : '–')).join(' · ');
        const failed = cells.reduce((a, c) => a + (c?.failedRequests ?? 0), 0);
        return `**${pct(dups, bursts)}** (${per})${failed > 0 ? ` ⚠ ${failed} req. failed` : ''}`;
      }),
      ...DETECT_ENGINES.map((engine) => {
        const orders = withDet.flatMap((r) => cellOf(r, k, load, engine)?.orders ?? []);
        return orders.length ? fmt(orders.reduce((a, b) => a + b, 0) / orders.length, 1) : '–';
      }),
    ]);
    const title =
      load === 'idle'
        ? `**Idle box**: bursts of N = ${first.n} that created a duplicate (demo \`race\`, latencyMs ${first.latencyMs})`
        : `**One core busy** (a forked busy-loop process): bursts of N = ${first.n} that created a duplicate`;
    out.push(
      `${title}\n\n${table(
        ['raceTurns k', ...DETECT_ENGINES.map((e) => `\`${e}\` caught`), ...DETECT_ENGINES.map((e) => `\`${e}\` orders/burst`)],
        rows,
      )}`,
    );
  }
  const notes = withDet.flatMap((r, i) => r.detection!.notes.map((note) => `run ${i + 1}: ${note}`));
  const errors = withDet.flatMap((r, i) =>
    r.detection!.cells.filter((c) => c.firstError).map((c) => `run ${i + 1}: k=${c.k} ${c.load} ${c.engine}: ${c.firstError}`),
  );
  if (notes.length + errors.length > 0) out.push([...notes, ...errors].map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n');
}

// ---------------------------------------------------------------- start-up

export function renderStartup(runs: RunResult[]): string {
  const withStart = runs.filter((r) => r.startup);
  if (withStart.length === 0) return '';
  const names = withStart[0]!.startup!.rows.map((r) => r.name);
  const rowOf = (run: RunResult, name: string) => run.startup!.rows.find((r) => r.name === name);
  const base = (run: RunResult): Num => rowOf(run, 'node -e 0')?.median ?? null;
  const rows = names.map((name) => {
    const med = withStart.map((r) => rowOf(r, name)?.median ?? null);
    return [
      `\`${rowOf(withStart[0]!, name)!.command}\``,
      withStart.map((r) => rowOf(r, name)?.runs.length ?? 0).join(' / '),
      across(withStart.map((r) => rowOf(r, name)?.min ?? null), (v) => fmt(v, 1)),
      `**${across(med, (v) => fmt(v, 1))}**`,
      across(withStart.map((r) => rowOf(r, name)?.p90 ?? null), (v) => fmt(v, 1)),
      across(
        withStart.map((r) => {
          const m = rowOf(r, name)?.median ?? null;
          const b = base(r);
          return m !== null && b !== null ? m - b : null;
        }),
        (v) => (v === null ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(1)}`),
      ),
      across(withStart.map((r) => ratio(rowOf(r, name)?.median, base(r))), (v) => (v === null ? '–' : `${v.toFixed(2)}×`)),
    ];
  });
  return table(['command', 'runs', 'min ms', 'median ms', 'p90 ms', 'median − node -e 0', 'median ÷ node -e 0'], rows);
}

// ---------------------------------------------------------------- memory

function memRow(run: RunResult, name: string): MemoryRow | undefined {
  return run.memory?.rows.find((r) => r.name === name);
}

const mib = (kib: Num): Num => (kib === null ? null : kib / 1024);

/** A row's median peak RSS minus its reference's, KiB. */
function overRef(run: RunResult, name: string): Num {
  const row = memRow(run, name);
  const ref = row?.ref ? memRow(run, row.ref) : undefined;
  if (!row || !ref || row.median === null || ref.median === null) return null;
  return row.median - ref.median;
}

/**
 * What each request more than its reference sent cost, KiB: over the
 * reference ÷ the difference in requests. None against a dry run (it loads
 * and plans the same requests, and sends none of them) or a larger reference.
 */
function perRequest(run: RunResult, name: string): Num {
  const row = memRow(run, name);
  const ref = row?.ref ? memRow(run, row.ref) : undefined;
  const over = overRef(run, name);
  if (!row || !ref || ref.dryRun || over === null) return null;
  const more = row.n - ref.n;
  return more > 0 ? over / more : row.size !== ref.size && row.n > 0 ? over / row.n : null;
}

export function renderMemory(runs: RunResult[]): string {
  const withMem = runs.filter((r) => r.memory);
  if (withMem.length === 0) return '';
  const first = withMem[0]!.memory!;
  const signed = (v: Num): string => (v === null ? '–' : `${v >= 0 ? '+' : ''}${fmt(v)}`);
  const rows = first.rows.map((row) => {
    const per = withMem.map((r) => memRow(r, row.name));
    const samples = per.flatMap((p) => p?.samples ?? []);
    const failed = samples.filter((x) => x.error).length;
    const bodies = median(samples.map((x) => x.bodyBytes ?? null));
    return [
      `\`${row.name}\`: ${row.what}`,
      per.map((p) => p?.samples.length ?? 0).join(' / '),
      failed === 0 ? 'all' : `${samples.length - failed}/${samples.length}`,
      bodies === null ? '–' : fmt(bodies / (1024 * 1024)),
      `**${across(withMem.map((r) => mib(memRow(r, row.name)?.median ?? null)))}**`,
      across(withMem.map((r) => {
        const p = memRow(r, row.name);
        return p && p.max !== null && p.min !== null ? mib(p.max - p.min) : null;
      })),
      row.ref ? `${across(withMem.map((r) => mib(overRef(r, row.name))), signed)} (\`${row.ref}\`)` : '–',
      across(withMem.map((r) => perRequest(r, row.name))),
    ];
  });
  const out = [
    `**Peak RSS of one fresh process**, MiB (\`process.resourceUsage().maxRSS\` after the burst or at exit; median over processes). ` +
      `"per request": over its reference ÷ the requests it sent more (or, same count, ÷ the requests whose answers were larger), KiB\n\n` +
      table(['process', 'processes', 'ran clean', 'response bodies MiB', 'median peak RSS', 'max − min', 'over its reference', 'per request KiB'], rows),
  ];
  const notes = withMem.flatMap((r, i) => r.memory!.notes.map((note) => `run ${i + 1}: ${note}`));
  const errors = withMem.flatMap((r, i) =>
    r.memory!.rows.flatMap((row) => row.samples.filter((x) => x.error).map((x) => `run ${i + 1}: ${row.name}: ${x.error}`)),
  );
  if (notes.length + errors.length > 0) out.push([...notes, ...errors.slice(0, 5)].map((n) => `- ${n}`).join('\n'));
  return out.join('\n\n');
}

// ---------------------------------------------------------------- targets

export interface Verdict {
  target: string;
  figure: string;
  met: boolean | null;
}

export function verdicts(runs: RunResult[]): Verdict[] {
  const out: Verdict[] = [];
  const sp = runs.filter((r) => r.spread && seriesOf(r, 'h1', 20) && seriesOf(r, 'naive', 20));
  if (sp.length > 0) {
    const per = sp.map((r) => ratio(spreadStat(r, 'naive', 20, 'median'), spreadStat(r, 'h1', 20, 'median')));
    const med = median(per);
    const h1 = median(sp.map((r) => spreadStat(r, 'h1', 20, 'median')));
    const naive = median(sp.map((r) => spreadStat(r, 'naive', 20, 'median')));
    out.push({
      target: '`h1` at least 2.5× tighter than a warm naive burst at N = 20 (median arrival spread)',
      figure: `naive ${fmt(naive)} ms ÷ h1 ${fmt(h1)} ms = ${across(per, fmtRatio)}`,
      met: med === null ? null : med >= 2.5 && per.every((p) => p !== null && p >= 2.5),
    });
  }

  const det = runs.filter((r) => r.detection);
  if (det.length > 0) {
    const ks = det[0]!.detection!.ks;
    for (const load of ['idle', 'busy'] as const) {
      const pooled = (k: number, engine: DetectEngine): { d: number; b: number } => {
        const cells = det.map((r) => cellOf(r, k, load, engine));
        return { d: cells.reduce((a, c) => a + (c?.duplicates ?? 0), 0), b: cells.reduce((a, c) => a + (c?.bursts ?? 0), 0) };
      };
      const missed = ks.filter((k) => k > 0 && pooled(k, 'naive').b > 0 && pooled(k, 'naive').d / pooled(k, 'naive').b < 0.5);
      const target = `\`h2\` catches (≥ 90% of bursts) the narrowest race where naive mostly misses (< 50%), ${load}`;
      if (missed.length === 0) {
        const all = ks.filter((k) => k > 0).map((k) => `k=${k} ${pct(pooled(k, 'naive').d, pooled(k, 'naive').b)}`).join(', ');
        out.push({ target, figure: `naive never mostly missed (${all}): no setting to compare on`, met: null });
        continue;
      }
      const k = Math.min(...missed);
      const h2 = pooled(k, 'h2');
      const nv = pooled(k, 'naive');
      const h1 = pooled(k, 'h1');
      const widest = Math.max(...missed);
      const wide = widest !== k ? `; widest naive-miss k=${widest}: h2 ${pct(pooled(widest, 'h2').d, pooled(widest, 'h2').b)}, naive ${pct(pooled(widest, 'naive').d, pooled(widest, 'naive').b)}` : '';
      out.push({
        target,
        figure: `k=${k}: h2 ${h2.d}/${h2.b} (${pct(h2.d, h2.b)}), h1 ${h1.d}/${h1.b} (${pct(h1.d, h1.b)}), naive ${nv.d}/${nv.b} (${pct(nv.d, nv.b)})${wide}`,
        met: h2.b > 0 ? h2.d / h2.b >= 0.9 : null,
      });
    }
    if (ks.includes(0)) {
      const zero = det.flatMap((r) => r.detection!.cells.filter((c) => c.k === 0));
      const dups = zero.reduce((a, c) => a + c.duplicates, 0);
      const bursts = zero.reduce((a, c) => a + c.bursts, 0);
      out.push({
        target: 'sanity: raceTurns 0 gives 0 duplicates for every engine (idle and busy)',
        figure: `${dups} duplicate bursts in ${bursts}`,
        met: bursts > 0 ? dups === 0 : null,
      });
    }
  }

  const bi = runs.filter((r) => r.bursts);
  if (bi.length > 0) {
    const b = bi[0]!.bursts!;
    const [before, after] = [b.variants[0]!.name, b.variants[b.variants.length - 1]!.name];
    // The median spread of every process's first burst against that of all their later bursts
    // together. Burst 3 against burst 2, both warm, shows how far two indexes differ on noise alone.
    const laterMedian = (r: RunResult, condition: string, variant: string): Num =>
      median(r.bursts!.samples.filter((x) => x.condition === condition && x.variant === variant && x.index > 1).map((x) => x.spreadMs));
    const firstOverLater = (r: RunResult, condition: string, variant: string): Num =>
      ratio(indexStat(r, condition, variant, 1, 'spreadMs', 'median'), laterMedian(r, condition, variant));
    // Every run's processes pooled: one median is too noisy to judge a 1.25 bound by (see
    // ratioOfMedians), so the target is met only when the interval's top is within it.
    const byProcess = (condition: string, variant: string, keep: (x: BurstIndexSample) => boolean = () => true): ProcessValues[][] =>
      bi.map((r) => {
        const mine = r.bursts!.samples.filter((x) => x.condition === condition && x.variant === variant && keep(x));
        return [...new Set(mine.map((x) => x.run))].map((proc) => ({
          first: mine.filter((x) => x.run === proc && x.index === 1).map((x) => x.spreadMs),
          later: mine.filter((x) => x.run === proc && x.index > 1).map((x) => x.spreadMs),
        }));
      });
    const shown = (ci: RatioInterval | null): string => (ci ? `${ci.ratio.toFixed(2)}× (95% interval ${ci.lo.toFixed(2)}–${ci.hi.toFixed(2)})` : '–');
    for (const condition of b.conditions.map((c) => c.name)) {
      const now = bi.map((r) => firstOverLater(r, condition, after));
      const was = bi.map((r) => firstOverLater(r, condition, before));
      const noise = bi.map((r) => ratio(indexStat(r, condition, after, 3, 'spreadMs', 'median'), indexStat(r, condition, after, 2, 'spreadMs', 'median')));
      const procs = byProcess(condition, after);
      const pooled = ratioOfMedians(procs);
      const processes = procs.reduce((n, run) => n + run.length, 0);
      // Where the placement was noted: how many first bursts had the process on the target's CPU, and burst 1 ÷ the later ones without those bursts.
      const noted = bi.flatMap((r) => r.bursts!.samples.filter((x) => x.condition === condition && x.variant === after && x.sameCpu !== undefined));
      const apart = ratioOfMedians(byProcess(condition, after, (x) => x.sameCpu === false));
      const firsts = noted.filter((x) => x.index === 1);
      const where =
        noted.length > 0 && apart
          ? ` Burst 1 on the target's CPU at its release in ${firsts.filter((x) => x.sameCpu).length}/${firsts.length} processes (of the runs that noted it); in the others, ${after}: ${shown(apart)}.`
          : '';
      out.push({
        target: `h1, ${condition}: the first burst of a fresh process as tight as the later ones (median spread of burst 1 ÷ that of bursts 2–${b.bursts}, every run's processes pooled, at most 1.25 at the top of its 95% interval, N = ${b.n})`,
        figure:
          `pooled over ${processes} processes, ${after}: ${shown(pooled)}; ${before}: ${shown(ratioOfMedians(byProcess(condition, before)))}. ` +
          `Run by run, ${after}: ${across(now, fmtRatio)}; ${before}: ${across(was, fmtRatio)}; noise reference, burst 3 ÷ burst 2: ${across(noise, fmtRatio)}.${where}`,
        met: pooled === null ? null : pooled.hi <= 1.25,
      });
    }
  }

  const mem = runs.filter((r) => r.memory);
  if (mem.length > 0) {
    const n = mem[0]!.memory!.n;
    for (const name of ['h1', 'h2c', `cli ${n}`, `cli ${n} 64 KiB`]) {
      const row = memRow(mem[0]!, name);
      if (!row) continue;
      const peak = mem.map((r) => mib(memRow(r, name)?.median ?? null));
      const over = mem.map((r) => mib(overRef(r, name)));
      out.push({
        target: `bounded memory: peak RSS of ${row.kind === 'cli' ? 'an idemchaos run with' : 'a process sending'} one burst of ${n} (${name}), against \`${row.ref}\``,
        figure: `${across(peak)} MiB, ${across(over, (v) => (v === null ? '–' : `+${fmt(v)}`))} MiB`,
        met: null,
      });
    }
  }

  const fw = finalWriteFigures(runs).filter((f) => f.n === 20);
  if (fw.length > 0) {
    out.push({
      target: 'every final frame of a 20-request h2 burst in one write (`finalWriteCalls`)',
      figure: fw.map((f) => `${f.engine}: ${f.singleWrite}/${f.bursts} bursts on ${f.connections.join('/')} connection(s), max ${f.maxWrites} write(s)`).join('; '),
      met: fw.every((f) => f.bursts > 0 && f.singleWrite === f.bursts && f.connections.every((c) => c === 1)),
    });
  }

  const st = runs.filter((r) => r.startup);
  if (st.length > 0) {
    const over = st.map((r) => {
      const v = r.startup!.rows.find((x) => x.name === 'idemchaos --version')?.median ?? null;
      const b = r.startup!.rows.find((x) => x.name === 'node -e 0')?.median ?? null;
      return v !== null && b !== null ? v - b : null;
    });
    const rat = st.map((r) =>
      ratio(r.startup!.rows.find((x) => x.name === 'idemchaos --version')?.median, r.startup!.rows.find((x) => x.name === 'node -e 0')?.median),
    );
    const overEsm = st.map((r) => {
      const v = r.startup!.rows.find((x) => x.name === 'idemchaos --version')?.median ?? null;
      const b = r.startup!.rows.find((x) => x.name === 'esm floor')?.median ?? null;
      return v !== null && b !== null ? v - b : null;
    });
    out.push({
      target: '`--version` costs little more than Node itself (no numeric target: reported)',
      figure:
        `+${across(over, (v) => fmt(v, 1))} ms over \`node -e 0\` (${across(rat, (v) => (v === null ? '–' : `${v.toFixed(2)}×`))}); ` +
        `+${across(overEsm, (v) => fmt(v, 1))} ms over an ESM \`-e 0\``,
      met: null,
    });
  }
  out.push(...workersVerdicts(runs.flatMap((r) => (r.workers ? [r.workers] : []))));
  return out;
}

export function renderVerdicts(runs: RunResult[]): string {
  const rows = verdicts(runs).map((v) => [v.target, v.figure, v.met === null ? 'n/a (reported)' : v.met ? '**met**' : '**missed**']);
  return table(['target', 'figure', 'verdict'], rows);
}

// ---------------------------------------------------------------- whole

export function renderMachine(runs: RunResult[]): string {
  const m = runs[0]!.machine;
  return `${m.nproc} CPUs (\`nproc\`), ${m.cpu}; Node ${m.node}; ${m.os}; ${m.curl ?? 'no curl'}`;
}

export function renderRuns(runs: RunResult[]): string {
  return runs
    .map(
      (r, i) =>
        `- run ${i + 1}: \`${r.command}\`, started ${r.startedAt}, took ${(r.elapsedMs / 1000).toFixed(0)} s${r.quick ? ' (quick)' : ''}` +
        (r.load ? `; 1-min load average ${r.load.start.toFixed(2)} at the start, ${r.load.end.toFixed(2)} at the end` : '') +
        (r.ambient
          ? `; box CPU busy with other work just before each part: ${Object.entries(r.ambient)
              .map(([part, v]) => `${part} ${typeof v === 'number' ? `${Math.round(v * 100)}%` : '?'}`)
              .join(', ')}`
          : ''),
    )
    .join('\n');
}

/** Everything, as Markdown: what `npm run bench` prints and what --write puts between the markers. */
export function renderAll(runs: RunResult[]): string {
  const parts: string[] = [];
  parts.push(`Machine: ${renderMachine(runs)}`);
  parts.push(`Runs${runs.length > 1 ? ' (each figure is the median across runs; the per-run values follow in brackets)' : ''}:\n\n${renderRuns(runs)}`);
  parts.push(`### Targets\n\n${renderVerdicts(runs)}`);
  const spread = renderSpread(runs);
  if (spread) parts.push(`### Arrival spread\n\n${spread}`);
  const bursts = renderBurstIndex(runs);
  if (bursts) parts.push(`### First burst and later bursts\n\n${bursts}`);
  const detection = renderDetection(runs);
  if (detection) parts.push(`### Detection power\n\n${detection}`);
  const memory = renderMemory(runs);
  if (memory) parts.push(`### Peak memory of a large burst\n\n${memory}`);
  const workers = renderWorkers(runs.flatMap((r) => (r.workers ? [r.workers] : [])));
  if (workers) parts.push(`### Workers: a big suite, and bursts beside other attacks\n\n${workers}`);
  const startup = renderStartup(runs);
  if (startup) parts.push(`### Start-up\n\n${startup}`);
  return parts.join('\n\n');
}
