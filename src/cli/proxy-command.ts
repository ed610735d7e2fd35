// `idemchaos proxy`: a forwarding proxy that loses answers on purpose and
// judges what the client sends next. Flags → session → reporters → exit code.
import { readFile } from 'node:fs/promises';
import { PROXY_FAULTS, type ProxyFault } from '../model/proxy.js';
import type { RunEvent } from '../model/events.js';
import { Redactor } from '../secrets/redactor.js';
import { DEFAULT_MATCH, parseMatch, type MatchRule } from '../proxy/match.js';
import { runProxy } from '../proxy/session.js';
import { FlagError, reportSetupError } from './errors.js';
import { durationFlag, parsePositiveInt, scopeFrom } from './options.js';
import { checkReportPaths, exitAfterReporters, reportersFor, type ReportFlags } from './reporters.js';
import { exitCodeOf } from './run-command.js';
import { interruptOnSignals } from './interrupt.js';

export interface ProxyFlags extends ReportFlags {
  upstream: string;
  listen: string;
  fault?: string[];
  match?: string[];
  keyHeader: string;
  duration: string;
  hold: string;
  timeout: string;
  maxAttempts: string;
  volatileHeader?: string[];
  insecure?: boolean;
  ca?: string;
  secret?: string[];
}

export async function proxyCommand(command: string[], flags: ProxyFlags): Promise<number> {
  // Ctrl-C (or SIGTERM) ends the session: the command's group is stopped and the reports are written; a second one exits at once.
  const interruption = interruptOnSignals();
  try {
    const faults = parseFaults(flags.fault);
    const match = parseMatches(flags.match);
    const listen = parseListen(flags.listen);
    const durationMs = durationFlag(flags.duration, '--duration');
    const holdMs = durationFlag(flags.hold, '--hold');
    const timeoutMs = durationFlag(flags.timeout, '--timeout');
    const maxAttempts = parsePositiveInt(flags.maxAttempts, '--max-attempts')!;
    if (!flags.keyHeader.trim()) throw new FlagError('--key-header must name a header');
    const ca = flags.ca ? await readCa(flags.ca) : undefined;

    // The key stays visible (the audit is about it); credentials never do, nor the values of
    // --secret and IDEMCHAOS_SECRET_* (a token the client's suite sends in a body, say).
    const secrets = Object.values(scopeFrom({ secret: flags.secret ?? [] }).secrets);
    const redact = new Redactor(secrets, { keyHeaders: [flags.keyHeader] });
    // A report that could not be written is found before the proxy starts (exit 2), or after it (exit 4).
    await checkReportPaths(flags);
    const reporters = reportersFor(flags, redact);
    const withCommand = command.length > 0;
    // A line per request without a command; with one, its own output comes first and the lines only with --verbose.
    const events = {
      emit: (event: RunEvent) => (event.type === 'attempt' && withCommand && !flags.verbose ? Promise.resolve() : reporters.emit(event)),
    };
    const result = await runProxy(
      {
        upstream: flags.upstream,
        host: listen.host,
        port: listen.port,
        faults,
        match,
        keyHeader: flags.keyHeader,
        holdMs,
        timeoutMs,
        durationMs,
        maxAttempts,
        volatileHeaders: flags.volatileHeader ?? [],
        ...(flags.insecure ? { insecure: true } : {}),
        ...(ca ? { ca } : {}),
        ...(withCommand ? { command } : {}),
        signal: interruption.signal,
        onListening: ({ url, upstream }) => {
          const out = process.stdout;
          out.write(`idemchaos proxy ${url} → ${redact.text(upstream)}\n`);
          out.write(`  auditing ${match.map((m) => m.text).join(', ')} (key header ${flags.keyHeader}); faults in turn: ${faults.join(', ')}\n`);
          if (withCommand) out.write(`  running ${redact.text(command.join(' '))} with IDEMCHAOS_PROXY_URL=${url} (at most ${flags.duration})\n\n`);
          else out.write(`  Ctrl-C to stop (at most ${flags.duration})\n\n`);
        },
      },
      events,
    );
    // Without a command, Ctrl-C is how a session ends: the verdict decides. With one, it cut the command short: 130 or 143, as run.
    const interrupted = withCommand ? interruption.exitCode : undefined;
    return interrupted ?? exitAfterReporters(exitCodeOf(result), reporters);
  } catch (err) {
    return reportSetupError(err);
  } finally {
    interruption.dispose();
  }
}

function parseFaults(list: string[] | undefined): ProxyFault[] {
  const names = (list ?? ['drop-response']).flatMap((f) => f.split(',')).map((f) => f.trim()).filter(Boolean);
  for (const name of names) {
    if (!(PROXY_FAULTS as readonly string[]).includes(name)) throw new FlagError(`--fault: unknown fault '${name}' (faults: ${PROXY_FAULTS.join(', ')})`);
  }
  if (names.length === 0) throw new FlagError('--fault: name at least one fault');
  return names as ProxyFault[];
}

function parseMatches(list: string[] | undefined): MatchRule[] {
  return (list ?? DEFAULT_MATCH).map((text) => {
    const rule = parseMatch(text);
    if (typeof rule === 'string') throw new FlagError(rule);
    return rule;
  });
}

/** `127.0.0.1:0`, `:8080`, `8080`, `[::1]:0`. */
export function parseListen(text: string): { host: string; port: number } {
  const m = /^(?:(\[[^\]]+\]|[^:]*):)?(\d+)$/.exec(text.trim());
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new FlagError(`--listen expects HOST:PORT (e.g. 127.0.0.1:0), got '${text}'`);
  const host = m[1] ? m[1].replace(/^\[|\]$/g, '') : '127.0.0.1';
  return { host, port };
}

async function readCa(file: string): Promise<Buffer> {
  try {
    return await readFile(file);
  } catch (err) {
    throw new FlagError(`--ca: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
