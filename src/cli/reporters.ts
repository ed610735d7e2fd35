// The reporters a command asked for, fed by one multiplexed event stream.
import { ReporterMultiplexer, type Reporter } from '../report/events.js';
import { TerminalReporter } from '../report/terminal.js';
import { JsonReporter } from '../report/json.js';
import type { Redactor } from '../secrets/redactor.js';
import { toolInfo } from './version.js';
import { randomUUID } from 'node:crypto';
import { JunitReporter } from '../report/junit.js';
import { MarkdownReporter } from '../report/markdown.js';
import { HtmlReporter } from '../report/html.js';
import { GithubReporter } from '../report/github.js';

export interface ReportFlags {
  reportJson?: string;
  reportJunit?: string;
  reportMarkdown?: string;
  reportHtml?: string;
  verbose?: boolean;
  quiet?: boolean;
}

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
  if (flags.reportJson) reporters.push(new JsonReporter(flags.reportJson, toolInfo()));
  if (flags.reportJunit) reporters.push(new JunitReporter(flags.reportJunit));
  if (flags.reportMarkdown) reporters.push(new MarkdownReporter(flags.reportMarkdown));
  if (flags.reportHtml) reporters.push(new HtmlReporter(flags.reportHtml, { tool: toolInfo() }));
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
