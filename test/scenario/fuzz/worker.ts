// Loads one scenario file per message, in a worker thread, and reports what
// came back: scenarios, a ScenarioError, or anything else (a crash). The
// property test runs this in a worker so a case that hangs or blows the stack
// can be stopped and named instead of hanging or killing the test run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parentPort } from 'node:worker_threads';
import { IdemchaosError } from '../../../src/model/errors.js';
import { planScenario } from '../../../src/plan/plan.js';
import { loadScenarios } from '../../../src/run/load.js';
import { formatMessages, ScenarioError } from '../../../src/scenario/errors.js';
import type { ScenarioMessage } from '../../../src/scenario/errors.js';
import type { Scenario } from '../../../src/scenario/types.js';
import type { Outcome, Job, Located } from './protocol.js';

const scope = {
  env: { BASE_URL: 'http://api.test', TOKEN: 't0k3n' } as Record<string, string | undefined>,
  vars: { tenant: 'acme' },
  secrets: { apiKey: 'k3y' },
};

const dir = await mkdtemp(path.join(tmpdir(), 'idemchaos-fuzz-'));
let n = 0;

parentPort!.on('message', (job: Job) => {
  void handle(job).then((outcome) => parentPort!.postMessage(outcome));
});
parentPort!.on('close', () => void rm(dir, { recursive: true, force: true }));

async function handle(job: Job): Promise<Outcome> {
  const files: string[] = [];
  for (const [i, bytes] of job.files.entries()) {
    const file = path.join(dir, `${n++}-${i}.yaml`);
    await writeFile(file, bytes);
    files.push(file);
  }
  try {
    const started = performance.now();
    const result = await loadScenarios(files, { scope, undefinedVariables: job.undefinedVariables });
    const ms = performance.now() - started;
    const planned = result.scenarios.map(plannedAs);
    return {
      kind: 'loaded',
      ms,
      files,
      scenarios: result.scenarios.map(summary),
      planned,
      warnings: locate(result.warnings, result.sources),
      formatted: formatMessages(result.warnings, result.sources).length,
    };
  } catch (e) {
    if (e instanceof ScenarioError) {
      return {
        kind: 'rejected',
        files,
        messages: locate(e.messages, e.sources),
        warnings: locate(e.warnings, e.sources),
        formatted: formatMessages([...e.messages, ...e.warnings], e.sources).length,
      };
    }
    return { kind: 'crashed', files, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
  } finally {
    await Promise.all(files.map((f) => rm(f, { force: true })));
  }
}

/** Each message with the shape of the file around it, so the test can check the position is inside. */
function locate(messages: ScenarioMessage[], sources: Map<string, string>): Located[] {
  const lines = new Map<string, string[]>();
  return messages.map((m) => {
    const text = sources.get(m.file);
    if (text !== undefined && !lines.has(m.file)) lines.set(m.file, text.split(/\r?\n/));
    const all = lines.get(m.file);
    return {
      ...m,
      lineCount: all?.length ?? -1,
      lineLength: all && m.line >= 1 && m.line <= all.length ? all[m.line - 1]!.length : -1,
    };
  });
}

/** What the planner makes of a loaded scenario: 'ok', or the usage error it refuses it with. */
function plannedAs(s: Scenario): string {
  try {
    planScenario(s);
    return 'ok';
  } catch (e) {
    if (e instanceof IdemchaosError && e.kind === 'usage') return `usage: ${e.message}`;
    throw e;
  }
}

/** The parts of a scenario the test checks, small enough to send back. */
function summary(s: Scenario): Record<string, unknown> {
  return {
    name: s.name,
    file: s.file,
    pos: s.pos,
    target: s.target,
    method: s.request.method,
    path: s.request.path,
    headers: s.request.headers,
    header: s.idempotency.header,
    ttlMs: s.idempotency.ttlMs,
    success: s.expect.success.codes.length + s.expect.success.classes.length,
    settleMs: s.effects?.settleMs,
    setup: (s.setup ?? []).map((step) => step.line),
  };
}
