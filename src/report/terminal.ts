// The human report: a live line per attack while it runs, then a verdict
// table, then every finding with the evidence a bug report needs.
import { Chalk, type ChalkInstance } from 'chalk';
import Table from 'cli-table3';
import { describeMetrics } from '../attacks/index.js';
import { bySeverity, repeatRate, SEVERITY, type AttackResult, type RunResult, type Verdict } from '../model/results.js';
import { evidenceRecord, exchangeRecord, TERMINAL_BODY_LIMIT, type BodyRecord, type EvidenceRecord, type ExchangeRecord } from './evidence.js';
import type { Reporter } from './events.js';
import type { RunEvent } from '../model/events.js';
import { runSize, usedAttacks, verdictCounts } from './outline.js';
import { oracleLine } from './oracle.js';
import { location, plural } from '../model/text.js';
import type { ProxySession } from '../model/proxy.js';
import { attemptOutcome, attemptsCell, keysCell, sessionLine } from './proxy.js';

export interface TerminalOptions {
  out: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  color: boolean;
  /** Rewrite a live status line in place (a TTY outside CI). */
  live: boolean;
  /** How many exchanges of one finding to print before pointing at the JSON report. */
  maxExchanges?: number;
  /** quiet: only findings and the summary; verbose: also every exchange as it happens. */
  verbosity?: 'quiet' | 'normal' | 'verbose';
  /** On GitHub Actions: evidence is wrapped in `::stop-commands::` so the runner obeys nothing in it. */
  stopCommandsToken?: string;
  /**
   * Without a live line: while an attack waits at least this long, a line
   * every this often says what for and until when (default 30 s).
   */
  waitLineEveryMs?: number;
}

/** How often a long wait is reported without a live line, unless told otherwise. */
export const WAIT_LINE_EVERY_MS = 30_000;

interface Wait {
  what: string;
  until: number;
}

export class TerminalReporter implements Reporter {
  readonly name = 'terminal';
  private readonly c: ChalkInstance;
  private ticker: NodeJS.Timeout | undefined;
  private current: { label: string; start: number; sent: number; waits: Wait[] } | undefined;
  /** Without a live line: the timer that reports a long wait. */
  private waitTicker: NodeJS.Timeout | undefined;
  /** With --workers: every attack running now, the ones not yet shown included. */
  private running: { scenario: string; where: string; attack: string }[] = [];
  /** Where the scenario whose attacks are being shown is (two scenarios may share a name). */
  private currentScenario: string | undefined;

  constructor(private readonly opts: TerminalOptions) {
    this.c = new Chalk({ level: opts.color ? 1 : 0 });
  }

  onEvent(event: RunEvent): void {
    const verbosity = this.opts.verbosity ?? 'normal';
    if (verbosity === 'quiet' && event.type !== 'run-end' && event.type !== 'warning' && event.type !== 'interrupted') return;
    switch (event.type) {
      case 'scenario-begin':
        this.currentScenario = whereOf(event.scenario);
        this.write(`${this.c.bold(event.scenario.name)} ${this.c.dim(`${location(event.scenario.file, event.scenario.line)} → ${event.target}`)}\n`);
        break;
      case 'attack-begin':
        this.current = { label: event.attack, start: Date.now(), sent: 0, waits: [] };
        if (this.opts.live) {
          this.drawLive();
          this.ticker = setInterval(() => this.drawLive(), 100);
          this.ticker.unref();
        } else {
          // Piped or in CI nothing else is printed until the attack ends.
          this.write(`  ${this.c.cyan('…')} ${event.attack} ${this.c.dim('started')}\n`);
        }
        break;
      case 'attack-wait':
        if (!this.current) break;
        this.current.waits.push({ what: event.what, until: event.until });
        if (this.opts.live) this.drawLive();
        else this.reportWait(event.until);
        break;
      case 'running':
        this.running = event.attacks.map((a) => ({ scenario: a.scenario.name, where: whereOf(a.scenario), attack: a.attack }));
        if (this.opts.live && this.current) this.drawLive();
        break;
      case 'attack-progress':
        if (this.current) this.current.sent = event.requestsSent;
        break;
      case 'exchange':
        if (verbosity !== 'verbose') break;
        this.stopLive(false);
        this.write(this.fenced(`${this.exchange(exchangeRecord(event.exchange, TERMINAL_BODY_LIMIT)).join('\n')}\n`));
        this.resumeLive();
        break;
      case 'attack-end':
        this.stopLive();
        this.write(`  ${this.attackLine(event.result)}\n`);
        break;
      case 'attempt': {
        const a = event.attempt;
        const key = a.key === undefined ? this.c.yellow('no key') : this.c.dim(`key ${a.key}`);
        const time = new Date(a.at).toISOString().slice(11, 23);
        this.write(this.fenced(`  ${this.c.dim(time)} #${event.operation}${event.retry ? ' retry' : ''} ${a.method} ${a.path}  ${key}  ${attemptOutcome(a)}\n`));
        break;
      }
      case 'warning':
        this.stopLive();
        this.write(`${block(event.message, ' '.repeat('warning: '.length), `${this.c.yellow('warning:')} `).join('\n')}\n`);
        break;
      case 'interrupted':
        this.stopLive();
        this.write(`${this.c.yellow(`interrupted${event.signal ? ` (${event.signal})` : ''}:`)} finishing reports… (stopping what is in flight, running teardown; a second signal exits at once)\n`);
        break;
      case 'run-end':
        this.stopLive();
        this.write(this.fenced(this.renderSummary(event.result)));
        break;
      default:
        break;
    }
  }

  private write(s: string): void {
    this.opts.out.write(s);
  }

  private fenced(s: string): string {
    const token = this.opts.stopCommandsToken;
    return token ? `::stop-commands::${token}\n${s}::${token}::\n` : s;
  }

  private drawLive(): void {
    if (!this.current) return;
    const secs = ((Date.now() - this.current.start) / 1000).toFixed(1);
    const wait = this.nextWait();
    const waiting = wait ? `; waiting for ${firstLine(wait.what)}: ${remaining(wait.until - Date.now())} left` : '';
    const status = `${secs}s, ${this.current.sent} requests sent${waiting}${this.alsoRunning()}`;
    // One row or the rewrite in place breaks: cut to the terminal's width.
    const room = (this.opts.out.columns ?? 0) - 6 - this.current.label.length;
    const shown = room > 0 && status.length > room ? `${status.slice(0, Math.max(0, room - 1))}…` : status;
    this.write(`\r\x1b[2K  ${this.c.cyan('…')} ${this.current.label}  ${this.c.dim(shown)}`);
  }

  /** With --workers: what else runs beside the attack shown, which the report lists later. */
  private alsoRunning(): string {
    const label = this.current?.label;
    const others = this.running.filter((r) => !(r.attack === label && r.where === this.currentScenario));
    if (others.length === 0) return '';
    const named = others.slice(0, 2).map((r) => `${r.scenario} › ${r.attack}`);
    return `; also running: ${named.join(', ')}${others.length > 2 ? ` and ${others.length - 2} more` : ''}`;
  }

  /** The pending wait that ends first. */
  private nextWait(): Wait | undefined {
    const pending = (this.current?.waits ?? []).filter((w) => w.until > Date.now());
    return pending.sort((a, b) => a.until - b.until)[0];
  }

  /** Without a live line: a wait of at least the interval is said at once, then every interval while any lasts. */
  private reportWait(until: number): void {
    const every = this.opts.waitLineEveryMs ?? WAIT_LINE_EVERY_MS;
    if (until - Date.now() < every) return;
    this.writeWait(this.current!.waits[this.current!.waits.length - 1]!);
    if (this.waitTicker) return;
    this.waitTicker = setInterval(() => {
      const wait = this.nextWait();
      if (wait) this.writeWait(wait);
      else this.stopWaitLines();
    }, every);
    this.waitTicker.unref();
  }

  private writeWait(wait: Wait): void {
    const label = this.current?.label ?? '';
    const when = `${new Date(wait.until).toISOString().replace(/\.\d{3}Z$/, 'Z')} UTC`;
    this.write(`  ${this.c.cyan('…')} ${label}: waiting for ${firstLine(wait.what)} until ${when} ${this.c.dim(`(${remaining(wait.until - Date.now())} from now)`)}\n`);
  }

  private stopWaitLines(): void {
    if (this.waitTicker) clearInterval(this.waitTicker);
    this.waitTicker = undefined;
  }

  private stopLive(forget = true): void {
    if (this.ticker) clearInterval(this.ticker);
    this.ticker = undefined;
    if (this.opts.live && this.current) this.write('\r\x1b[2K');
    if (forget) {
      this.stopWaitLines();
      this.current = undefined;
    }
  }

  private resumeLive(): void {
    if (!this.opts.live || !this.current) return;
    this.drawLive();
    this.ticker = setInterval(() => this.drawLive(), 100);
    this.ticker.unref();
  }

  private attackLine(r: AttackResult): string {
    const kinds = r.findings.map((f) => f.kind).join(', ');
    const detail = r.verdict === 'fail' ? kinds : firstLine(r.reason ?? '');
    const ro = r.responseOnly && r.verdict !== 'skip' ? this.c.dim(' (response-only)') : '';
    const how = describeMetrics(r);
    const burst = how ? `[${how}]` : '';
    const rate = repeatRate(r);
    const runs = rate ? (r.verdict === 'fail' ? this.c.red(` (${rate})`) : this.c.dim(` (${rate})`)) : '';
    return `${this.badge(r.verdict)} ${r.attack.padEnd(10)} ${this.c.dim(`${(r.durationMs / 1000).toFixed(1)}s`)}  ${detail}${runs}${ro}${burst ? this.c.dim(` ${burst}`) : ''}`;
  }

  private badge(v: Verdict): string {
    switch (v) {
      case 'pass':
        return this.c.green('✔ pass ');
      case 'fail':
        return this.c.red.bold('✖ FAIL ');
      case 'error':
        return this.c.yellow('! error');
      case 'skip':
        return this.c.dim('- skip ');
    }
  }

  renderSummary(result: RunResult): string {
    const lines: string[] = this.opts.verbosity === 'quiet' ? [] : ['', result.proxy ? this.operationsTable(result.proxy) : this.table(result)];
    // Findings across the run, most severe first.
    const all = result.scenarios.flatMap((s) => s.attacks.flatMap((a) => a.findings.map((f) => ({ s, a, f, kind: f.kind }))));
    for (const { s, a, f } of bySeverity(all)) {
      lines.push('', this.c.red.bold(`✖ ${s.name} › ${a.attack}: ${f.kind} (${SEVERITY[f.kind]})`), ...block(f.message, '  '));
      lines.push(...this.evidence(evidenceRecord(f.evidence, TERMINAL_BODY_LIMIT)));
    }
    for (const s of result.scenarios) {
      for (const a of s.attacks) {
        if (a.verdict === 'error') {
          lines.push('', this.c.yellow(`! ${s.name} › ${a.attack}: could not test`), ...block(a.reason ?? '', '  '));
          if (a.errorEvidence) lines.push(...this.evidence(evidenceRecord(a.errorEvidence, TERMINAL_BODY_LIMIT)));
        }
      }
    }
    const sum = result.summary;
    const style = { pass: this.c.green, fail: this.c.red.bold, error: this.c.yellow, skip: this.c.dim };
    const counts = verdictCounts(sum)
      .map(({ verdict, n, text }) => (verdict === 'pass' || n > 0 ? style[verdict] : this.c.dim)(text))
      .join(', ');
    if (result.proxy) lines.push('', this.c.dim(sessionLine(result.proxy)));
    lines.push('', `${runSize(sum, Boolean(result.proxy))}: ${counts} ${this.c.dim(`(${(result.durationMs / 1000).toFixed(1)}s)`)}`);
    if (result.interrupted) lines.push(this.c.yellow('interrupted: the attacks that had not finished could not be tested'));
    lines.push('');
    return lines.join('\n');
  }

  /** One row per operation the proxy saw: its keys, what each attempt met, the verdict or the note. */
  private operationsTable(p: ProxySession): string {
    if (p.operations.length === 0) return this.c.dim('no operation under audit came through the proxy');
    const table = new Table({ head: ['#', 'operation', 'keys', 'attempts', 'verdict'], style: { head: [], border: [] } });
    for (const op of p.operations) {
      const verdict =
        op.verdict === 'fail'
          ? this.c.red.bold(['FAIL', ...op.findings.map((f) => f.kind)].join('\n'))
          : op.verdict === 'error'
            ? this.c.yellow('error')
            : `${this.c.green('pass')}${op.note ? this.c.dim(`\n${op.note}`) : ''}`;
      table.push([String(op.id), `${op.method} ${op.path}`, keysCell(op), attemptsCell(op), verdict]);
    }
    return table.toString();
  }

  private table(result: RunResult): string {
    const used = usedAttacks(result);
    const table = new Table({ head: ['scenario', ...used], style: { head: [], border: [] } });
    for (const s of result.scenarios) {
      table.push([
        s.name,
        ...used.map((id) => {
          const a = s.attacks.find((x) => x.attack === id);
          if (!a) return '';
          const rate = repeatRate(a);
          const runs = rate ? `\n${this.c.dim(rate)}` : '';
          if (a.verdict === 'fail') return this.c.red.bold(['FAIL', ...a.findings.map((f) => f.kind)].join('\n')) + runs;
          return { pass: this.c.green('pass'), error: this.c.yellow('error'), skip: this.c.dim('skip') }[a.verdict] + runs;
        }),
      ]);
    }
    return table.toString();
  }

  private evidence(ev: EvidenceRecord): string[] {
    const out: string[] = [];
    if (ev.oracle) out.push(this.c.dim(`  ${oracleLine(ev.oracle)}`));
    if (ev.diff?.length) {
      out.push(this.c.dim('  original → replay:'));
      for (const d of ev.diff) out.push(`    ${this.c.yellow(d)}`);
    }
    const max = this.opts.maxExchanges ?? 4;
    for (const e of ev.exchanges.slice(0, max)) out.push(...this.exchange(e));
    if (ev.exchanges.length > max) {
      out.push(this.c.dim(`  … and ${ev.exchanges.length - max} more exchanges (all of them are in --report-json)`));
    }
    return out;
  }

  private exchange(e: ExchangeRecord): string[] {
    const took = e.durationMs !== undefined ? `, ${e.durationMs.toFixed(1)} ms` : '';
    const out = [this.c.dim(`  ── ${e.label} (${e.startedAt}${took})`)];
    out.push(`    ${this.c.cyan('→')} ${e.request.method} ${e.request.url}`);
    for (const [k, v] of Object.entries(e.request.headers)) out.push(this.c.dim(`      ${k}: ${v}`));
    if (e.request.body) out.push(...body(e.request.body, '      '));
    if (e.response) {
      out.push(`    ${this.c.cyan('←')} ${e.response.status}`);
      for (const [k, v] of Object.entries(e.response.headers)) out.push(this.c.dim(`      ${k}: ${v}`));
      out.push(...body(e.response.body, '      '));
    }
    if (e.error) out.push(...block(e.error, '      ', `    ${this.c.yellow('✖')} `));
    return out;
  }
}

/** Most of one message the terminal shows; the JSON report has it whole. */
const MESSAGE_MAX_LINES = 20;
const MESSAGE_MAX_CHARS = 2000;

/**
 * A message (an oracle's stderr, a reason, a warning) as terminal lines: each
 * line under `indent` (the first after `first`), so a multi-line text stays
 * inside its block and psql's caret under its column. A long text is cut at
 * a line end; a first line too long on its own, at a word boundary.
 */
function block(text: string, indent: string, first = indent): string[] {
  const all = text.replace(/\r\n?/g, '\n').split('\n');
  const out: string[] = [];
  let chars = 0;
  for (let i = 0; i < all.length; i++) {
    const line = all[i]!;
    if (out.length === MESSAGE_MAX_LINES || chars + line.length > MESSAGE_MAX_CHARS) {
      if (out.length === 0) {
        const space = line.lastIndexOf(' ', MESSAGE_MAX_CHARS);
        const cut = space > 0 ? space : MESSAGE_MAX_CHARS;
        out.push(`${line.slice(0, cut)} … (${all.join('\n').length - cut} more characters; the whole text is in --report-json)`);
      } else {
        out.push(`… (${plural(all.length - i, 'more line')}; the whole text is in --report-json)`);
      }
      break;
    }
    out.push(line);
    chars += line.length;
  }
  return out.map((l, i) => `${i === 0 ? first : indent}${l}`);
}

/** "23h 59m", "4m 05s", "12s": a time left, to the second. */
export function remaining(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

/** The first line, with " …" when there are more. */
function firstLine(text: string): string {
  const end = text.search(/\r|\n/);
  return end < 0 ? text : `${text.slice(0, end)} …`;
}

function body(b: BodyRecord, indent: string): string[] {
  if (!b.text) return [];
  const text = b.encoding === 'base64' ? `(binary, base64) ${b.text}` : b.text;
  const lines = text.split('\n').map((l) => indent + l);
  if (b.truncated) lines.push(`${indent}… (${b.truncated.shownBytes} of ${b.truncated.totalBytes} bytes shown)`);
  return lines;
}

function whereOf(ref: { file: string; line: number; name: string }): string {
  return `${ref.file}:${ref.line}:${ref.name}`;
}
