// Runs scenarios in-process against real servers on loopback, the way the CLI
// does, but without a terminal: tests assert on the plain results.
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadScenarios } from '../../src/run/load.js';
import { planScenario } from '../../src/plan/plan.js';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import type { AttackId } from '../../src/attacks/index.js';
import type { TemplateScope } from '../../src/scenario/types.js';
import type { RunResult } from '../../src/model/results.js';

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), 'idemchaos-test-'));
}

export async function writeScenario(yaml: string, name = 'scenario.yaml'): Promise<string> {
  const file = path.join(await tempDir(), name);
  await writeFile(file, yaml);
  return file;
}

/** The bundled orders scenario's shape, with a ttl and attacks of the test's choosing. */
export function ordersScenario(opts: { ttl?: string; attacks?: string; effects?: string | false; extra?: string } = {}): string {
  const effects =
    opts.effects === false
      ? ''
      : (opts.effects ??
        `effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}" }
    select: $.count
  id: $.id
  ids: $.items[*].id
`);
  return `name: create order
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: /orders
  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" }
idempotency:
  ttl: ${opts.ttl ?? '3s'}
${effects}${opts.attacks ? `attacks:\n${opts.attacks}\n` : ''}${opts.extra ?? ''}`;
}

export async function runScenarioFile(
  file: string,
  target: string | string[],
  opts: { only?: AttackId[]; scope?: Partial<TemplateScope>; timeoutMs?: number } = {},
): Promise<RunResult> {
  const scope: TemplateScope = { env: {}, vars: {}, secrets: {}, ...opts.scope };
  const { scenarios } = await loadScenarios([file], { scope, targetOverride: target });
  const plans = scenarios.map((s) => planScenario(s, opts.only ? { only: opts.only } : {}));
  return runPlans(plans, { scope, transport: { timeoutMs: opts.timeoutMs ?? 10_000 } }, SILENT);
}

/** attack id → finding kinds (sorted), or the verdict when there is none. */
export function verdicts(result: RunResult): Record<string, string[] | string> {
  const out: Record<string, string[] | string> = {};
  for (const s of result.scenarios) {
    for (const a of s.attacks) {
      out[a.attack] = a.verdict === 'fail' ? a.findings.map((f) => f.kind).sort() : a.verdict;
    }
  }
  return out;
}

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const BIN = path.join(ROOT, 'bin', 'idemchaos.js');

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real executable, bounded, with colour off. */
export function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', CI: '1', ...opts.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: opts.timeoutMs ?? 60_000,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
