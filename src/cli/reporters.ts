// The reporters a command asked for, fed by one multiplexed event stream.
import { randomUUID } from 'node:crypto';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import path from 'node:path';
import { ReporterMultiplexer, type Reporter } from '../report/events.js';
import { TerminalReporter } from '../report/terminal.js';
import { FileReporter } from '../report/file.js';
import { jsonText } from '../report/json.js';
import { junitXml } from '../report/junit.js';
import { markdownSummary } from '../report/markdown.js';
import { htmlReport } from '../report/html.js';
import { GithubReporter } from '../report/github.js';
import type { RunResult } from '../model/results.js';
import type { Redactor } from '../secrets/redactor.js';
import { toolInfo } from './version.js';
import { FlagError } from './errors.js';
import { durationFlag } from './options.js';
import { EXIT } from './exit-codes.js';

export interface ReportFlags {
  reportJson?: string;
  reportJunit?: string;
  reportMarkdown?: string;
  reportHtml?: string;
  verbose?: boolean;
  quiet?: boolean;
}

type ReportFileFlag = 'reportJson' | 'reportJunit' | 'reportMarkdown' | 'reportHtml';

/** Each report file: its flag, its reporter's name and how the finished run is rendered. */
const REPORT_FILES: { key: ReportFileFlag; flag: string; name: string; render: (result: RunResult) => string }[] = [
  { key: 'reportJson', flag: '--report-json', name: 'json', render: (r) => jsonText(r, toolInfo()) },
  { key: 'reportJunit', flag: '--report-junit', name: 'junit', render: junitXml },
  { key: 'reportMarkdown', flag: '--report-markdown', name: 'markdown', render: markdownSummary },
  { key: 'reportHtml', flag: '--report-html', name: 'html', render: (r) => htmlReport(r, { tool: toolInfo() }) },
];

export function reportersFor(flags: ReportFlags, redact: Redactor): ReporterMultiplexer {
  const out = process.stdout;
  const color = Boolean(out.isTTY) && !process.env['NO_COLOR'];
  const verbosity = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
  const github = process.env['GITHUB_ACTIONS'] === 'true';
  // On GitHub a response body printed as evidence could hold a `::` line that
  // the runner would obey; the terminal fences evidence off with stop-commands.
  const fence = github ? randomUUID() : undefined;
  const every = waitLineEvery(process.env['IDEMCHAOS_PROGRESS_INTERVAL']);
  const reporters: Reporter[] = [
    new TerminalReporter({
      out,
      color,
      live: Boolean(out.isTTY) && !process.env['CI'],
      verbosity,
      ...(fence ? { stopCommandsToken: fence } : {}),
      ...(every !== undefined ? { waitLineEveryMs: every } : {}),
    }),
  ];
  for (const { key, name, render } of REPORT_FILES) {
    const file = flags[key];
    if (file) reporters.push(new FileReporter(name, file, render));
  }
  if (github) {
    const summaryFile = process.env['GITHUB_STEP_SUMMARY'];
    reporters.push(
      new GithubReporter({
        workspace: process.env['GITHUB_WORKSPACE'] || process.cwd(),
        ...(summaryFile ? { summaryFile } : {}),
        write: (text) => out.write(text),
      }),
    );
  }
  const onFailure = (name: string, error: unknown) => {
    process.stderr.write(`idemchaos: the ${name} reporter failed and was stopped: ${(error as Error)?.message ?? error}\n`);
  };
  // The one place events are redacted: every reporter above gets redacted copies.
  return new ReporterMultiplexer(reporters, onFailure, { redact });
}

/** IDEMCHAOS_PROGRESS_INTERVAL (a duration, e.g. 5m or 500ms): how often a long wait is reported without a live line. */
function waitLineEvery(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  return durationFlag(value, 'IDEMCHAOS_PROGRESS_INTERVAL');
}

/**
 * Every report path is one the run can write, checked before anything is
 * sent: its folder exists and is writable, it is not a folder, an existing
 * file is writable, and no two flags name the same file. Throws a FlagError
 * (usage, exit 2) naming the flag and the path, rather than letting CI run
 * the whole suite and lose the report at the end.
 */
export async function checkReportPaths(flags: ReportFlags): Promise<void> {
  const seen = new Map<string, string>();
  for (const { key, flag } of REPORT_FILES) {
    const file = flags[key];
    if (!file) continue;
    const full = path.resolve(file);
    const other = seen.get(full);
    if (other) throw new FlagError(`${flag} ${file}: the same file as ${other}`);
    seen.set(full, flag);
    const problem = await unwritable(full);
    if (problem) throw new FlagError(`${flag} ${file}: ${problem}`);
  }
}

/** Why a report could not be written to `file` (an absolute path), or undefined. */
async function unwritable(file: string): Promise<string | undefined> {
  const dir = path.dirname(file);
  const existing = await stat(file).catch(() => undefined);
  if (existing?.isDirectory()) return 'is a folder, not a file';
  const folder = await stat(dir).catch(() => undefined);
  if (!folder) return `the folder ${dir} does not exist`;
  if (!folder.isDirectory()) return `${dir} is not a folder`;
  try {
    await access(existing ? file : dir, constants.W_OK);
  } catch {
    return existing ? 'the file is not writable' : `the folder ${dir} is not writable`;
  }
  return undefined;
}

/**
 * The exit code once the reporters have run. A reporter that failed (a
 * report missing or cut short) turns ok (0) and could-not-test (3) into
 * reporterFailed (4): CI must not go green, nor blame the target, when the
 * report it archives was lost. Findings (1) still win: the API's bug is the
 * news, the job fails either way, and the terminal printed the findings.
 */
export function exitAfterReporters(code: number, events: { readonly failures: readonly string[] }): number {
  if (events.failures.length === 0) return code;
  return code === EXIT.ok || code === EXIT.couldNotTest ? EXIT.reporterFailed : code;
}
