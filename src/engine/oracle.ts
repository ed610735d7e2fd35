// Counts the side effects of one attack run, the way the scenario declares:
// an HTTP request plus a JSONPath, or a shell command that prints a number.
// Responses can look idempotent while the database holds duplicates, so every
// verdict about effects rests on these counts, never on responses alone.
import { spawn } from 'node:child_process';
import { JSONPath } from 'jsonpath-plus';
import type { Scenario } from '../scenario/types.js';
import { inheritedHeaders, renderCommand, renderRequest, type RenderContext } from '../scenario/render.js';
import type { HttpClient } from './http/client.js';
import { now, type Exchange } from '../model/http.js';

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

/** Reads one settle makes at the least: the first, then one per poll until the count held for settleMs. */
export function settleReads(settleMs: number): number {
  return 1 + Math.ceil(settleMs / POLL_MS);
}

export class Oracle {
  constructor(
    private readonly scenario: Scenario,
    private readonly client: HttpClient,
    private readonly timeoutMs: number,
  ) {}

  static for(scenario: Scenario, client: HttpClient, timeoutMs: number): Oracle | undefined {
    return scenario.effects?.count ? new Oracle(scenario, client, timeoutMs) : undefined;
  }

  async read(ctx: RenderContext): Promise<OracleReading> {
    const count = this.scenario.effects!.count!;
    if (count.kind === 'command') return this.readCommand(renderCommand(count.command, ctx));
    const req = renderRequest(this.scenario, count.request, ctx, {
      keyHeader: false,
      inherit: inheritedHeaders(this.scenario, ctx),
    });
    const exchange = await this.client.send(req, 'oracle');
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
      await sleep(Math.min(POLL_MS, settleMs));
      const next = await this.read(ctx);
      same = next.count === last.count ? same + 1 : 0;
      last = next;
    }
    return last;
  }

  private readCommand(command: string): Promise<OracleReading> {
    return new Promise((resolve, reject) => {
      const child = spawn('sh', ['-c', command], { stdio: ['ignore', 'pipe', 'pipe'], timeout: this.timeoutMs });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.on('error', (e) => reject(new OracleError(`oracle command could not start: ${e.message}`)));
      child.on('close', (code, signal) => {
        if (signal) return reject(new OracleError(`oracle command did not finish within ${this.timeoutMs} ms`));
        if (code !== 0) return reject(new OracleError(`oracle command exited ${code}: ${tailLines(err.trim(), 4096)}`));
        const text = out.trim();
        if (!/^\d+$/.test(text)) return reject(new OracleError(`oracle command printed ${JSON.stringify(text.slice(0, 200))}, not a count`));
        resolve({ count: Number(text), at: now(), output: text });
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

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)));
}
