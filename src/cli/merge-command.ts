// `idemchaos merge-reports`: the JSON reports of a sharded run become one run
// again, rendered by any reporter, with the merged verdict as exit code.
import { readFile } from 'node:fs/promises';
import { mergeResults, readJsonReport } from '../report/from-json.js';
import { Redactor } from '../secrets/redactor.js';
import type { RunResult } from '../model/results.js';
import { EXIT } from './exit-codes.js';
import { checkReportPaths, exitAfterReporters, reportersFor, type ReportFlags } from './reporters.js';
import { reportSetupError } from './errors.js';
import { exitCodeOf } from './run-command.js';

export async function mergeReportsCommand(files: string[], flags: ReportFlags): Promise<number> {
  try {
    await checkReportPaths(flags);
  } catch (err) {
    return reportSetupError(err);
  }
  const results: RunResult[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      process.stderr.write(`idemchaos: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
      return EXIT.usage;
    }
    try {
      results.push(readJsonReport(text, file));
    } catch (err) {
      process.stderr.write(`idemchaos: ${(err as Error).message}\n`);
      return EXIT.usage;
    }
  }
  const merged = mergeResults(results);
  // Shards interleave; the merged report reads in the order one unsharded run would.
  merged.scenarios.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line));
  // The reports were redacted when written; a fresh redactor masks credential headers again.
  const events = reportersFor(flags, new Redactor());
  for (const s of merged.scenarios) {
    await events.emit({ type: 'scenario-end', scenario: { name: s.name, file: s.file, line: s.line }, result: s });
  }
  await events.emit({ type: 'run-end', result: merged });
  return exitAfterReporters(exitCodeOf(merged), events);
}
