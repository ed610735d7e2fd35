// What `idemchaos proxy` observed: every attempt a client made through it,
// grouped into operations, each judged. The proxy layer fills these in; the
// redactor and the reporters read them.
import type { Exchange } from './http.js';
import type { Finding, Verdict } from './results.js';

/** The faults the proxy can apply to an operation's first attempt (`none` forwards it untouched). */
export const PROXY_FAULTS = ['drop-response', 'reset-before', 'timeout', 'in-flight', 'server-error', 'mismatch', 'none'] as const;
export type ProxyFault = (typeof PROXY_FAULTS)[number];

/** How an attempt ended for the client. */
export type ClientOutcome =
  /** The client got a complete answer with this status (the upstream's, or one the proxy made up). */
  | { kind: 'answer'; status: number }
  /** The proxy reset the connection: the client got no byte of an answer. */
  | { kind: 'reset' }
  /** The client closed the connection before an answer came (it gave up). */
  | { kind: 'gave-up' }
  /** The proxy stopped (end of the command, `--duration`, Ctrl-C) while the attempt was open. */
  | { kind: 'interrupted' };

/** One request of an operation under audit, as the proxy saw and handled it. */
export interface ProxyAttempt {
  /** 1-based, in arrival order over the whole session. */
  seq: number;
  /** Epoch ms when the request head arrived. */
  at: number;
  /** Epoch ms when the proxy was done with it (answer written, connection reset, client gone). */
  endedAt: number;
  method: string;
  /** Path and query as the client sent them (relative to the proxy URL). */
  path: string;
  /** The idempotency key header's value; absent when the request carried none. */
  key?: string;
  /** sha256 of the body (JSON with its keys sorted, so key order does not count). */
  bodyHash: string;
  /** The fault applied; absent when the attempt was forwarded untouched. */
  fault?: ProxyFault;
  /** What the upstream did: absent when the request was never forwarded. */
  upstream?: { status: number } | { error: string };
  client: ClientOutcome;
  /** Retry-After of the answer the client got, in ms. */
  retryAfterMs?: number;
  /** Headers (volatile ones aside) whose values differ from the operation's first attempt. */
  headersChanged?: string[];
  /**
   * The request as the client sent it (URL: where it was forwarded to) and
   * the response: the upstream's, or the one the proxy answered with.
   */
  exchange: Exchange;
}

/** Requests that are one operation: its first attempt and every retry of it. */
export interface ProxyOperation {
  /** 1-based, in order of first attempt. */
  id: number;
  method: string;
  path: string;
  /** The first attempt's key. */
  key?: string;
  attempts: ProxyAttempt[];
  verdict: Verdict;
  /** Why a passing operation passed, or what the report should say about it. */
  note?: string;
  findings: Finding[];
}

/** The command run under the proxy (`-- <command>`). */
export interface ProxyCommand {
  argv: string[];
  /** null when it was ended by a signal, or never started. */
  exitCode: number | null;
  signal: string | null;
  /** `--duration` ran out and the command was killed. */
  stoppedByDuration: boolean;
  /** Ctrl-C (or SIGTERM) ended it. */
  interrupted: boolean;
  durationMs: number;
}

export interface ProxySession {
  /** The upstream's base URL (for `--upstream demo`, the demo's URL). */
  upstream: string;
  /** The proxy's own URL, http://127.0.0.1:PORT. */
  url: string;
  faults: ProxyFault[];
  /** The `--match` rules, as given (or the default). */
  match: string[];
  keyHeader: string;
  command?: ProxyCommand;
  /** What ended the session. */
  stoppedBy: 'command' | 'duration' | 'signal';
  /** Requests forwarded that no `--match` rule selected (not operations). */
  passedThrough: number;
  operations: ProxyOperation[];
}
