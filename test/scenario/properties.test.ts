// Property tests of the scenario loader (issue 9): whatever bytes a scenario
// file holds, loading it gives valid scenarios or a ScenarioError whose every
// message is positioned inside the file, never another exception, and never
// takes long. Each case runs in a worker thread with the CLI's stack size,
// bounded in time: a case that hangs is stopped and reported.
//
// `npm test` runs a fixed seed and a modest number of runs; `npm run fuzz`
// runs many more from a fresh seed (IDEMCHAOS_FUZZ_RUNS, IDEMCHAOS_FUZZ_SEED
// replay a failure).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { ROOT } from '../helpers/harness.js';
import { EXTRA_SEEDS, mutatedDocument, randomDocument } from './fuzz/documents.js';
import type { Case, Seed } from './fuzz/documents.js';
import { LoaderWorker } from './fuzz/pool.js';
import type { Located, Outcome } from './fuzz/protocol.js';

const RUNS = Number(process.env.IDEMCHAOS_FUZZ_RUNS ?? 100);
const SEED = process.env.IDEMCHAOS_FUZZ_SEED === 'random' ? Date.now() % 2 ** 31 : Number(process.env.IDEMCHAOS_FUZZ_SEED ?? 20_240_909);
/** Per case. The largest generated file is a few MB; a linear loader reads it in well under a second. */
const BOUND_MS = Number(process.env.IDEMCHAOS_FUZZ_BOUND_MS ?? 10_000);

const seeds: Seed[] = [
  ...readdirSync(path.join(ROOT, 'scenarios'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: `scenarios/${f}`, text: readFileSync(path.join(ROOT, 'scenarios', f), 'utf8') })),
  ...readdirSync(path.join(ROOT, 'test', 'fixtures'))
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => ({ name: `test/fixtures/${f}`, text: readFileSync(path.join(ROOT, 'test', 'fixtures', f), 'utf8') })),
  ...EXTRA_SEEDS,
];

let worker: LoaderWorker;
before(() => {
  worker = new LoaderWorker(BOUND_MS);
  process.stderr.write(`loader properties: seed ${SEED}, ${RUNS} runs (IDEMCHAOS_FUZZ_SEED=${SEED} IDEMCHAOS_FUZZ_RUNS=${RUNS} to replay)\n`);
});
after(async () => {
  await worker.close();
});

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** What must hold of one message (error or warning) about the file at `file`. */
function checkMessage(m: Located, severity: 'error' | 'warning', files: string[]): void {
  const where = `${m.file}:${m.line}:${m.col} ${m.message}`;
  assert.ok(files.includes(m.file), `message about a file not loaded: ${where}`);
  assert.equal(m.severity, severity, where);
  assert.equal(typeof m.message, 'string', where);
  assert.ok(m.message.length > 0, `empty message at ${where}`);
  assert.doesNotMatch(m.message, /\[object Object\]/, where);
  assert.ok(Number.isInteger(m.line) && m.line >= 1, `line must be a whole number >= 1: ${where}`);
  assert.ok(Number.isInteger(m.col) && m.col >= 1, `col must be a whole number >= 1: ${where}`);
  assert.ok(m.line <= m.lineCount, `line ${m.line} past the end of the file (${m.lineCount} lines): ${where}`);
  assert.ok(m.col <= m.lineLength + 1, `col ${m.col} past the end of its line (${m.lineLength} characters): ${where}`);
  if (m.endCol !== undefined) {
    // Past the marked text, and inside the line; one column past its end marks where something is missing.
    const last = Math.max(m.lineLength + 1, m.col + 1);
    assert.ok(Number.isInteger(m.endCol) && m.endCol > m.col && m.endCol <= last, `bad endCol ${m.endCol}: ${where}`);
  }
}

/** Formatted messages quote their text and one line cut to a window, never whole huge lines. */
function checkFormatted(formatted: number, messages: Located[]): void {
  const bound = messages.reduce((n, m) => n + 2 * m.message.length + m.file.length + 400, 0);
  assert.ok(formatted <= bound, `formatted messages are ${formatted} characters for ${messages.length} messages (at most ${bound})`);
}

function checkOutcome(outcome: Outcome, mutant: string | undefined): void {
  switch (outcome.kind) {
    case 'timeout':
      assert.fail(`the loader ran past ${BOUND_MS} ms`);
    case 'died':
      assert.fail(`the loader's worker died: ${outcome.error}`);
    case 'crashed':
      assert.fail(`the loader threw something other than a ScenarioError:\n${outcome.error}`);
    case 'rejected': {
      assert.ok(outcome.messages.length > 0, 'a ScenarioError with no message');
      for (const m of outcome.messages) {
        checkMessage(m, 'error', outcome.files);
        // The other file (when there is one) is a valid seed: every error is about the mutant.
        if (mutant !== undefined) assert.equal(m.file, mutant, `an error about the valid file: ${m.message}`);
      }
      for (const w of outcome.warnings) checkMessage(w, 'warning', outcome.files);
      checkFormatted(outcome.formatted, [...outcome.messages, ...outcome.warnings]);
      return;
    }
    case 'loaded': {
      for (const w of outcome.warnings) checkMessage(w, 'warning', outcome.files);
      checkFormatted(outcome.formatted, outcome.warnings);
      for (const [i, s] of outcome.scenarios.entries()) {
        const pos = s.pos as { file: string; line: number; col: number };
        assert.equal(typeof s.name, 'string');
        assert.ok(outcome.files.includes(String(s.file)) && pos.file === s.file, `scenario file ${String(s.file)}`);
        assert.ok(Number.isInteger(pos.line) && pos.line >= 1 && Number.isInteger(pos.col) && pos.col >= 1, `scenario position ${JSON.stringify(pos)}`);
        assert.match(String(s.method), /^[A-Z]+$/, 'request method');
        assert.equal(typeof s.path, 'string');
        assert.match(String(s.header), TOKEN, 'idempotency header');
        for (const ms of [s.ttlMs, s.settleMs]) assert.ok(ms === undefined || (typeof ms === 'number' && Number.isFinite(ms) && ms >= 0), `duration ${String(ms)}`);
        assert.ok(Number(s.success) >= 1, 'expect.success lists no status');
        for (const line of s.setup as number[]) assert.ok(Number.isInteger(line) && line >= 1, `setup line ${line}`);
        assert.ok(outcome.planned[i] === 'ok' || outcome.planned[i]!.startsWith('usage: '), `planning: ${outcome.planned[i]}`);
      }
      return;
    }
  }
}

/** Loads the case (alone, or before a valid seed file) and checks the outcome. */
async function property(c: Case, withSeed: Seed | undefined, undefinedVariables: 'error' | 'warn'): Promise<void> {
  const files = withSeed ? [c.bytes, Buffer.from(withSeed.text)] : [c.bytes];
  const outcome = await worker.load({ files, undefinedVariables });
  const mutant = withSeed && 'files' in outcome ? outcome.files[0] : undefined;
  checkOutcome(outcome, mutant);
}

const options = (): fc.Parameters<unknown> => ({ seed: SEED, numRuns: RUNS, includeErrorInReport: true });

describe('scenario loader properties', () => {
  it('every seed loads as it is (else the mutants start from broken files)', async () => {
    for (const seed of seeds) {
      const outcome = await worker.load({ files: [Buffer.from(seed.text)], undefinedVariables: 'error' });
      assert.equal(outcome.kind, 'loaded', `${seed.name}: ${JSON.stringify(outcome).slice(0, 2000)}`);
    }
  });

  it('mutated scenarios load, or fail with positioned messages, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(
        mutatedDocument(seeds),
        fc.option(fc.constantFrom(...seeds), { freq: 4 }),
        fc.constantFrom('error' as const, 'warn' as const),
        (c, other, undefinedVariables) => property(c, other ?? undefined, undefinedVariables),
      ),
      options(),
    );
  });

  it('documents made from nothing load, or fail with positioned messages, in bounded time', async () => {
    await fc.assert(
      fc.asyncProperty(randomDocument, (c) => property(c, undefined, 'error')),
      { ...options(), numRuns: Math.max(1, Math.floor(RUNS / 3)) },
    );
  });
});
