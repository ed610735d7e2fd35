// The reporters a command asked for, fed by one multiplexed event stream.
import { ReporterMultiplexer, type Reporter } from '../report/events.js';
import { TerminalReporter } from '../report/terminal.js';
import { JsonReporter } from '../report/json.js';
import type { Redactor } from '../report/redact.js';
import { toolInfo } from './version.js';

export interface ReportFlags {
  reportJson?: string;
  verbose?: boolean;
  quiet?: boolean;
}

export function reportersFor(flags: ReportFlags, redact: Redactor): ReporterMultiplexer {
  const out = process.stdout;
  const color = Boolean(out.isTTY) && !process.env['NO_COLOR'];
  const verbosity = flags.quiet ? 'quiet' : flags.verbose ? 'verbose' : 'normal';
  const reporters: Reporter[] = [
    new TerminalReporter({ out, color, live: Boolean(out.isTTY) && !process.env['CI'], redact, verbosity }),
  ];
  if (flags.reportJson) reporters.push(new JsonReporter(flags.reportJson, toolInfo(), redact));
  return new ReporterMultiplexer(reporters, (name, error) => {
    process.stderr.write(`idemchaos: the ${name} reporter failed and was stopped: ${(error as Error)?.message ?? error}\n`);
  });
}
