// One `idemchaos proxy` session: the upstream (or the embedded demo), the
// proxy in front of it, the command run through it (or a wait for Ctrl-C),
// then every operation judged and the result handed to the reporters.
import { startDemo, type DemoServer } from '../demo/server.js';
import { CannotTest, IdemchaosError } from '../model/errors.js';
import type { EventSink } from '../model/events.js';
import type { ProxyFault, ProxySession } from '../model/proxy.js';
import type { RunResult } from '../model/results.js';
import { startChild, type RunningChild } from './child.js';
import { volatileMatcher, VOLATILE_HEADERS } from './headers.js';
import type { MatchRule } from './match.js';
import { judgeOperations } from './rules.js';
import { sessionResult } from './result.js';
import { startProxy } from './server.js';
import { checkReachable, DEFAULT_MAX_BODY_BYTES } from './upstream.js';

export interface ProxyRunOptions {
  /** A base URL (http: or https:), or 'demo' for the embedded demo API. */
  upstream: string;
  host?: string;
  port?: number;
  faults: ProxyFault[];
  match: MatchRule[];
  keyHeader: string;
  holdMs: number;
  /** Bound for each request read and each upstream answer. */
  timeoutMs: number;
  /** Bound for the whole session (the command included). */
  durationMs: number;
  maxAttempts: number;
  /** Added to the built-in volatile headers. */
  volatileHeaders: string[];
  maxBodyBytes?: number;
  insecure?: boolean;
  ca?: string | Buffer;
  /** `-- <command> [args...]`: run it with IDEMCHAOS_PROXY_URL, then judge. */
  command?: string[];
  /** Ctrl-C: stops the command (its whole group) and ends the session. */
  signal?: AbortSignal;
  /** Called once the proxy listens, before the command starts. */
  onListening?: (info: { url: string; upstream: string }) => void;
  env?: NodeJS.ProcessEnv;
}

/** The demo's keys must outlive any session, or a late retry would meet an expired key. */
const DEMO_TTL_MS = 24 * 3600_000;

export async function runProxy(opts: ProxyRunOptions, events: EventSink): Promise<RunResult> {
  const started = Date.now();
  let demo: DemoServer | undefined;
  try {
    let upstreamText = opts.upstream;
    if (opts.upstream === 'demo') {
      demo = await startDemo({ latencyMs: 20, ttlMs: DEMO_TTL_MS });
      upstreamText = demo.url;
    }
    const upstream = parseUpstream(upstreamText);
    try {
      await checkReachable(upstream, { timeoutMs: Math.min(opts.timeoutMs, 10_000), ...(opts.insecure ? { insecure: true } : {}), ...(opts.ca ? { ca: opts.ca } : {}) });
    } catch (err) {
      throw new CannotTest(`the upstream ${upstreamText} is unreachable: ${(err as Error).message}`, [], 'connect');
    }

    // Attempt events go out in the order the proxy finished with them.
    let emitted = Promise.resolve();
    const proxy = await startProxy({
      upstream,
      ...(opts.host ? { host: opts.host } : {}),
      ...(opts.port !== undefined ? { port: opts.port } : {}),
      faults: opts.faults,
      match: opts.match,
      keyHeader: opts.keyHeader,
      holdMs: opts.holdMs,
      timeoutMs: opts.timeoutMs,
      maxBodyBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
      ...(opts.insecure ? { insecure: true } : {}),
      ...(opts.ca ? { ca: opts.ca } : {}),
      onAttempt: (operation, attempt, retry) => {
        emitted = emitted.then(() => events.emit({ type: 'attempt', operation: operation.id, retry, attempt }));
      },
    });
    opts.onListening?.({ url: proxy.url, upstream: upstreamText });

    let stoppedBy: ProxySession['stoppedBy'] = 'duration';
    let child: RunningChild | undefined;
    let command: ProxySession['command'];
    try {
      if (opts.command && opts.command.length > 0) {
        child = await startChild(opts.command, { ...(opts.env ?? process.env), IDEMCHAOS_PROXY_URL: proxy.url });
      }
      const ended = await waitForEnd(opts.durationMs, opts.signal, child);
      stoppedBy = ended;
      if (child) {
        if (ended !== 'command') child.stop(ended === 'duration' ? 'duration' : 'signal');
        command = await child.done;
      }
    } finally {
      await proxy.stop();
      await emitted;
    }

    const session: ProxySession = {
      upstream: upstreamText,
      url: proxy.url,
      faults: opts.faults,
      match: opts.match.map((m) => m.text),
      keyHeader: opts.keyHeader,
      ...(command ? { command } : {}),
      stoppedBy,
      passedThrough: proxy.passedThrough(),
      operations: judgeOperations(proxy.ledger.operations, {
        maxAttempts: opts.maxAttempts,
        keyHeader: opts.keyHeader,
        isVolatile: volatileMatcher([...VOLATILE_HEADERS, ...opts.volatileHeaders]),
      }),
    };
    const result = sessionResult(session, started);
    const s = result.scenarios[0]!;
    await events.emit({ type: 'scenario-end', scenario: { name: s.name, file: s.file, line: s.line }, result: s });
    await events.emit({ type: 'run-end', result });
    return result;
  } finally {
    await demo?.close();
  }
}

function parseUpstream(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new IdemchaosError('usage', `--upstream: '${text}' is not a URL (or 'demo')`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new IdemchaosError('usage', `--upstream: only http:// and https:// upstreams (got ${url.protocol})`);
  return url;
}

/** What ends the session first: the command exiting, the duration, or Ctrl-C. */
function waitForEnd(durationMs: number, signal: AbortSignal | undefined, child: RunningChild | undefined): Promise<'command' | 'duration' | 'signal'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish('duration'), durationMs);
    const onAbort = () => finish('signal');
    function finish(how: 'command' | 'duration' | 'signal') {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      resolve(how);
    }
    if (signal?.aborted) return finish('signal');
    signal?.addEventListener('abort', onAbort, { once: true });
    void child?.done.then(() => finish('command'));
  });
}
