// Counts the side effects of one attack run, the way the scenario declares:
// an HTTP request plus a JSONPath, or a shell command that prints a number.
// Responses can look idempotent while the database holds duplicates, so every
// verdict about effects rests on these counts, never on responses alone.
import { spawn } from 'node:child_process';
import { JSONPath } from 'jsonpath-plus';
import type { Scenario } from '../scenario/types.js';
import { formatDuration } from '../scenario/duration.js';
import { inheritedHeaders, renderCommand, renderRequest, type RenderContext } from '../scenario/render.js';
import type { HttpClient } from './http/client.js';
import { timerDelay } from './http/errors.js';
import { now, SAFE_METHODS, type Exchange } from '../model/http.js';
import { Interrupted } from '../model/errors.js';

export interface OracleReading {
  count: number;
  /** Ids of the effects, when `effects.ids` is declared. */
  ids?: string[];
  at: number;
  /** The oracle request and response (HTTP oracles). */
  exchange?: Exchange;
  /** What the command printed (command oracles). */
  output?: string;
  /** True when the count was still changing at the settle bound. */
  unsettled?: boolean;
}

/** The oracle's readings around one attack run: verdicts use the difference. */
export interface OracleWindow {
  before?: OracleReading;
  after?: OracleReading;
}

/** The oracle could not be read: the attack cannot be judged ("could not test"). */
export class OracleError extends Error {
  constructor(message: string, readonly exchange?: Exchange) {
    super(message);
  }
}

const POLL_MS = 50;
const SETTLE_BOUND_MS = 10_000;
/** stdout a command oracle may print: a count is short; past this it is killed. */
const MAX_COMMAND_STDOUT = 64 * 1024;
/** The end of its stderr kept, for the message when it fails. */
const KEPT_COMMAND_STDERR = 64 * 1024;

/** Reads one settle makes at the least: the first, then one per poll until the count held for settleMs. */
export function settleReads(settleMs: number): number {
  return 1 + Math.ceil(settleMs / POLL_MS);
}

export interface OracleOptions {
  /**
   * Aborted when the run is interrupted: no read starts after it, a command
   * in flight is killed with its process group, a settle stops polling
   * (each with Interrupted). HTTP reads stop through the client's own signal.
   */
  signal?: AbortSignal;
}

export class Oracle {
  constructor(
    private readonly scenario: Scenario,
    private readonly client: HttpClient,
    private readonly options: OracleOptions = {},
  ) {}

  static for(scenario: Scenario, client: HttpClient, options: OracleOptions = {}): Oracle | undefined {
    return scenario.effects?.count ? new Oracle(scenario, client, options) : undefined;
  }

  async read(ctx: RenderContext): Promise<OracleReading> {
    if (this.options.signal?.aborted) throw new Interrupted();
    const count = this.scenario.effects!.count!;
    if (count.kind === 'command') return this.readCommand(renderCommand(count.command, ctx));
    const req = renderRequest(this.scenario, count.request, ctx, {
      keyHeader: false,
      inherit: inheritedHeaders(this.scenario, ctx),
    });
    let exchange = await this.client.send(req, 'oracle');
    // One reset before any byte of an answer is most often the keep-alive
    // race (the server closing a pooled connection as it is reused): a safe
    // method is read once more rather than leave the attack untested. Never
    // more than once, never another method (a POST search is repeated by no
    // one but its caller), and never after a byte of an answer, a timeout or
    // an interruption.
    if (!exchange.response && exchange.errorKind === 'reset' && exchange.firstByteAt === undefined && SAFE_METHODS.has(req.method.toUpperCase())) {
      const first = exchange.error;
      exchange = await this.client.send(req, 'oracle');
      if (!exchange.response && exchange.errorKind !== 'interrupted') {
        throw new OracleError(`oracle request failed twice: ${first}; read again: ${exchange.error}`, exchange);
      }
    }
    if (!exchange.response) throw new OracleError(`oracle request failed: ${exchange.error}`, exchange);
    const { status, body } = exchange.response;
    if (status < 200 || status > 299) throw new OracleError(`oracle answered ${status} (${req.method} ${req.url})`, exchange);
    let json: unknown;
    try {
      json = JSON.parse(body.toString('utf8'));
    } catch {
      throw new OracleError(`oracle response is not JSON (${req.method} ${req.url})`, exchange);
    }
    // What the oracle ran against goes into its errors: the response, never the
    // request (whose headers carry credentials), and not as an exchange either.
    const ranAgainst = `the response to ${req.method} ${req.url}`;
    let counted: number;
    try {
      counted = selectCount(json, count.select);
    } catch (err) {
      if (!(err instanceof NothingSelected)) throw err;
      throw new OracleError(`oracle select ${count.select} matched nothing in ${ranAgainst}; it answered:\n${responseExcerpt(body)}`);
    }
    const reading: OracleReading = { count: counted, at: exchange.endedAt ?? now(), exchange };
    const idsPath = this.scenario.effects!.ids;
    if (idsPath) {
      reading.ids = selectAll(json, idsPath).map((v) => String(v));
      // No ids beside a count: every success would be judged "lost" for want of its id.
      if (reading.ids.length === 0 && counted > 0) {
        throw new OracleError(`oracle ids ${idsPath} matched nothing in ${ranAgainst}, though it counts ${counted}; it answered:\n${responseExcerpt(body)}`);
      }
    }
    return reading;
  }

  /**
   * Reads until the count has held still for `effects.settle`: polls 50 ms
   * apart, as many in a row with the same count as fit in the settle time
   * (bounded at 10 s), so effects that land after the response count and a
   * stable count costs exactly `settleReads(settleMs)` reads.
   */
  async settle(ctx: RenderContext): Promise<OracleReading> {
    const settleMs = this.scenario.effects!.settleMs;
    const polls = settleReads(settleMs) - 1;
    const start = now();
    let last = await this.read(ctx);
    for (let same = 0; same < polls; ) {
      if (now() - start >= SETTLE_BOUND_MS) return { ...last, unsettled: true };
      await sleep(Math.min(POLL_MS, settleMs), this.options.signal);
      const next = await this.read(ctx);
      same = next.count === last.count ? same + 1 : 0;
      last = next;
    }
    return last;
  }

  /**
   * Runs the command with `sh -c` in a process group of its own (a new
   * session), bounded by effects.timeout: past it, on an interrupted run, or
   * when it prints more than a count could be, the whole group is killed
   * (both sides of a pipe, `sleep &`, psql's children), and so is whatever
   * the shell leaves running when it exits. Its failures name the command as
   * rendered (the reporters' redactor masks the secrets in it), how it ended
   * and the end of its stderr.
   */
  private readCommand(command: string): Promise<OracleReading> {
    const timeoutMs = this.scenario.effects!.timeoutMs;
    const signal = this.options.signal;
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
      let out = '';
      let err = '';
      let errCut = false;
      let killed: 'timeout' | 'interrupted' | 'output' | undefined;
      let settled = false;
      const killGroup = (why?: typeof killed): void => {
        if (why) killed ??= why;
        if (child.pid === undefined) return;
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // ESRCH: nothing of the group is left.
        }
      };
      const timer = setTimeout(() => killGroup('timeout'), timerDelay(timeoutMs));
      const onAbort = (): void => killGroup('interrupted');
      signal?.addEventListener('abort', onAbort, { once: true });
      const settle = (error: Error | undefined, reading?: OracleReading): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(reading!);
      };
      if (signal?.aborted) onAbort();
      child.stdout.setEncoding('utf8');
      child.stderr.setEncoding('utf8');
      child.stdout.on('data', (d: string) => {
        out += d;
        if (out.length > MAX_COMMAND_STDOUT) killGroup('output');
      });
      child.stderr.on('data', (d: string) => {
        err += d;
        if (err.length > 2 * KEPT_COMMAND_STDERR) {
          // Cut at a line start, as tailLines does, so a secret is never cut in half.
          const from = err.indexOf('\n', err.length - KEPT_COMMAND_STDERR);
          err = from < 0 ? '' : err.slice(from + 1);
          errCut = true;
        }
      });
      child.on('error', (e) => {
        killGroup();
        settle(new OracleError(`oracle command \`${command}\` could not start: ${e.message}`));
      });
      // What the shell left running in its group goes with it (and with it the pipes it holds open).
      child.on('exit', () => killGroup());
      child.on('close', (code, signalName) => {
        if (killed === 'interrupted') return settle(new Interrupted());
        const shown = `oracle command \`${command}\``;
        const tail = err.trim();
        const stderr = tail ? `; its stderr ends with:\n${errCut && tail.length <= 4096 ? '… ' : ''}${tailLines(tail, 4096)}` : '';
        if (killed === 'timeout') {
          return settle(new OracleError(`${shown} did not finish within ${formatDuration(timeoutMs)} (effects.timeout), so it was killed with every process it started${stderr}`));
        }
        if (killed === 'output') return settle(new OracleError(`${shown} printed more than ${MAX_COMMAND_STDOUT} characters, not a count, so it was killed${stderr}`));
        if (signalName) return settle(new OracleError(`${shown} was killed by ${signalName}${stderr}`));
        if (code !== 0) return settle(new OracleError(`${shown} exited ${code}${stderr}`));
        const text = out.trim();
        if (!/^\d+$/.test(text)) return settle(new OracleError(`${shown} printed ${JSON.stringify(text.slice(0, 200))}, not a count${stderr}`));
        settle(undefined, { count: Number(text), at: now(), output: text });
      });
    });
  }
}

/** A select without wildcards that matched nothing (selectCount); the oracle adds what it ran against. */
export class NothingSelected extends OracleError {}

/** About how much of a response an oracle error shows. */
const EXCERPT_CHARS = 500;

/**
 * The end of a text, at most about `max` characters, starting at a line
 * start: cut before redaction, so it must never start inside a word (a
 * secret cut in half would no longer be recognised).
 */
function tailLines(text: string, max: number): string {
  if (text.length <= max) return text;
  const from = text.indexOf('\n', text.length - max);
  return `… ${from < 0 ? '' : text.slice(from + 1)}`;
}

/**
 * A response body for a message: whole when short, else cut at the last line
 * end within `limit` characters (or at `limit` when that would show less than
 * half of it), with how much was left out. Secrets in it are the reporters'
 * to redact, as everywhere else.
 */
export function responseExcerpt(body: Buffer, limit = EXCERPT_CHARS): string {
  const text = body.toString('utf8');
  if (text.length === 0) return '(an empty body)';
  if (text.length <= limit) return text;
  const lineEnd = text.lastIndexOf('\n', limit);
  let end = lineEnd >= limit / 2 ? lineEnd : limit;
  // Never split a surrogate pair.
  if (end === limit && /[\uD800-\uDBFF]/.test(text[end - 1]!)) end--;
  return `${text.slice(0, end)}\n… (${text.length - end} more characters)`;
}

/** A number, an array (its length), or several matches (their number). */
export function selectCount(json: unknown, path: string): number {
  const matches = selectAll(json, path);
  if (matches.length === 1) {
    const [only] = matches;
    if (typeof only === 'number' && Number.isInteger(only) && only >= 0) return only;
    if (Array.isArray(only)) return only.length;
  }
  if (matches.length === 0 && !/\*|\.\.|\?\(/.test(path)) {
    throw new NothingSelected(`oracle select ${path} matched nothing in the response`);
  }
  return matches.length;
}

export function selectAll(json: unknown, path: string): unknown[] {
  return JSONPath({ path, json: json as object, wrap: true }) as unknown[];
}

/** The value at a JSONPath in a JSON body, as a string; undefined when absent or not JSON. */
export function selectId(body: Buffer, path: string): string | undefined {
  try {
    const [first] = selectAll(JSON.parse(body.toString('utf8')), path);
    return first === undefined || first === null ? undefined : String(first);
  } catch {
    return undefined;
  }
}

/**
 * Waits ms (0 when negative; waits past the timer limit of about 24.8 days
 * are cut to it). With a signal, an abort ends the wait at once with
 * Interrupted, and a signal aborted already rejects without waiting.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new Interrupted());
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(new Interrupted());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, timerDelay(ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
