// The bench's verdict on the first burst: burst 1's median spread against the
// later bursts' together, computed from the samples (no network here: the
// bench's measuring is not a test, its arithmetic is).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BurstIndexResult, BurstIndexSample } from '../../bench/burst-index.js';
import { renderBurstIndex, verdicts, type RunResult } from '../../bench/report.js';

const CONDITION = 'bursts only';
const BEFORE = 'before: no rehearsal';
const AFTER = 'after: 8 rehearsals';

/** A run whose processes each saw `spreads[i]` (ms) at burst index i + 1, process p adding p µs, or scaled by `scale(p, i + 1)`. */
function runWith(spreads: Record<string, number[]>, processes = 9, scale?: (run: number, index: number) => number): RunResult {
  const samples: BurstIndexSample[] = [];
  for (const [variant, bySpread] of Object.entries(spreads)) {
    for (let run = 0; run < processes; run++) {
      bySpread.forEach((ms, i) => {
        samples.push({ condition: CONDITION, variant, run, index: i + 1, spreadMs: scale ? ms * scale(run, i + 1) : ms + run / 1000, releaseSkewMs: 0.2, arrived: 20, ok: 20 });
      });
    }
  }
  const bursts: BurstIndexResult = {
    n: 20,
    bursts: 3,
    gapMs: 200,
    runsWanted: processes,
    conditions: [{ name: CONDITION, before: 0 }],
    variants: [
      { name: BEFORE, rehearsals: 0 },
      { name: AFTER, rehearsals: 8 },
    ],
    samples,
    notes: [],
    elapsedMs: 1,
  };
  return {
    version: 1,
    startedAt: '2026-12-01T00:00:00.000Z',
    command: 'test',
    quick: false,
    machine: { nproc: 2, cpu: 'test', node: process.version, os: 'test', curl: null },
    bursts,
    elapsedMs: 1,
  };
}

function firstBurstVerdict(run: RunResult) {
  const found = verdicts([run]).filter((v) => v.target.includes('first burst'));
  assert.equal(found.length, 1, 'one first-burst verdict per kind of process');
  return found[0]!;
}

test('first burst: met when burst 1 is as tight as the later ones, whatever the release before it did', () => {
  const v = firstBurstVerdict(runWith({ [BEFORE]: [1.6, 0.5, 0.5], [AFTER]: [0.5, 0.5, 0.5] }));
  assert.equal(v.met, true);
  assert.match(v.figure, /after: 8 rehearsals: 1\.0×/);
  assert.match(v.figure, /before: no rehearsal: 3\.2×/);
});

test('first burst: missed when burst 1 is looser than the later bursts taken together', () => {
  // Burst 1 at 0.7 ms against 0.5 ms for bursts 2 and 3: 1.4×, over the 1.25 bound.
  const v = firstBurstVerdict(runWith({ [BEFORE]: [0.7, 0.5, 0.5], [AFTER]: [0.7, 0.5, 0.5] }));
  assert.equal(v.met, false);
  assert.match(v.figure, /after: 8 rehearsals: 1\.4×/);
});

test('first burst: judged against the later bursts pooled, not against the fastest or the slowest index', () => {
  // Burst 1 at 0.7 ms, bursts 2 and 3 at 0.5 and 0.9: pooled, their median is 0.7 (1.0×), where
  // burst 1 ÷ the fastest later burst would be 1.4× and slowest ÷ fastest index 1.8×.
  const v = firstBurstVerdict(runWith({ [BEFORE]: [0.5, 0.5, 0.8], [AFTER]: [0.7, 0.5, 0.9] }));
  assert.match(v.figure, /pooled over 9 processes, after: 8 rehearsals: 1\.00×/);
  assert.match(v.figure, /after: 8 rehearsals: 1\.0×; before/);
  assert.match(v.figure, /noise reference, burst 3 ÷ burst 2: 1\.8×/);
  // A process's bursts stay together when resampled, so every resample holds both modes of the later bursts.
  assert.equal(v.met, true);
});

test('first burst: met only when enough processes put the whole interval within 1.25', () => {
  // Heavy-tailed spreads, as measured (one burst at 0.3 ms, another at 2.5 ms), each burst of a
  // process drawn apart from its others, with burst 1 at 1.05× the later bursts: 8 processes leave
  // the interval wide, 600 narrow it.
  const tail = [0.6, 0.8, 1, 1.2, 1.5, 2.5];
  const spreads = { [BEFORE]: [0.5, 0.5, 0.5], [AFTER]: [0.525, 0.5, 0.5] };
  const scale = (p: number, index: number): number => tail[(p * (index === 1 ? 1 : 5) + index) % tail.length]! + p / 1e4;
  const few = firstBurstVerdict(runWith(spreads, 8, scale));
  const many = firstBurstVerdict(runWith(spreads, 600, scale));
  const top = (figure: string): number => Number(/after: 8 rehearsals: [\d.]+× \(95% interval [\d.]+–([\d.]+)\)/.exec(figure)?.[1]);
  assert.ok(top(few.figure) > 1.25, few.figure);
  assert.equal(few.met, false);
  assert.ok(top(many.figure) <= 1.25 && top(many.figure) >= 1.05, many.figure);
  assert.equal(many.met, true);
});

test('first burst: says how many first bursts had the process on the target\'s CPU, and the ratio without them', () => {
  // 40 processes; in 10 of them burst 1 ran on the target's CPU and landed within 1.0 ms, elsewhere 0.5 ms like the later bursts.
  const run = runWith({ [BEFORE]: [0.5, 0.5, 0.5], [AFTER]: [0.5, 0.5, 0.5] }, 40);
  for (const x of run.bursts!.samples) {
    x.sameCpu = x.index === 1 && x.run < 10;
    if (x.sameCpu) x.spreadMs = 1.0;
  }
  const v = firstBurstVerdict(run);
  assert.match(v.figure, /Burst 1 on the target's CPU at its release in 10\/40 processes \(of the runs that noted it\); in the others, after: 8 rehearsals: 1\.0\d× \(95% interval/);
  const table = renderBurstIndex([run]);
  const row = table.split('\n').find((line) => line.startsWith('| 1 | after: 8 rehearsals |'));
  assert.match(row ?? '', /\| 10\/40 \| 1\.00 \/ 0\.5\d\d \|$/);
  // Runs made before the bench noted placement render a dash and leave the figure as it was.
  const old = runWith({ [BEFORE]: [0.5, 0.5, 0.5], [AFTER]: [0.5, 0.5, 0.5] });
  assert.doesNotMatch(firstBurstVerdict(old).figure, /target's CPU/);
});
