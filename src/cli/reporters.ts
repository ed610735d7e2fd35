// The reporters a command asked for, fed by one multiplexed event stream.
import { randomUUID } from 'node:crypto';
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
  const reporters: Reporter[] = [
    new TerminalReporter({ out, color, live: Boolean(out.isTTY) && !process.env['CI'], verbosity, ...(fence ? { stopCommandsToken: fence } : {}) }),
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
