// The one contract between the transports and everything above them: a
// transport (raw HTTP/1.1, HTTP/2, undici) turns an HttpRequest into an
// Exchange; attacks, the judge and the reporters only ever see Exchanges.

export type Headers = Record<string, string>;

/** The methods RFC 9110 (section 9.2.1) defines as safe: read-only, so sending one again has no effect to count. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE']);

export interface HttpRequest {
  method: string;
  /** Absolute URL (http: or https:). */
  url: string;
  /** Header names as the scenario spelled them; values already rendered. */
  headers: Headers;
  body?: Buffer;
}

export interface HttpResponse {
  status: number;
  /** Lower-cased names; repeated headers joined with ", " (set-cookie with "\n"). */
  headers: Record<string, string>;
  body: Buffer;
  /** The body's whole length, when `body` keeps only its start (evidence after judging: see retainedExchange). */
  bodyBytes?: number;
}

/**
 * How much of a response body evidence keeps once an attack is judged: the
 * JSON report's cut (64 KiB, the largest any reporter shows) and room beyond
 * it, so that a secret across that cut is still whole when it is redacted.
 */
export const RETAINED_BODY_BYTES = 80 * 1024;

/**
 * The exchange as evidence keeps it: a response body past RETAINED_BODY_BYTES
 * copied down to its start (so the whole buffer can go), its length noted.
 * A burst of a thousand large answers must not stay in memory until the
 * reports are written.
 */
export function retainedExchange(e: Exchange): Exchange {
  const response = e.response;
  if (!response || response.body.length <= RETAINED_BODY_BYTES) return e;
  const body = Buffer.from(response.body.subarray(0, RETAINED_BODY_BYTES));
  return { ...e, response: { ...response, body, bodyBytes: response.bodyBytes ?? response.body.length } };
}

/** One request and whatever came back, with client-side timestamps (epoch ms, sub-ms precision). */
export interface Exchange {
  /** What this request was for, e.g. "original", "retry", "burst 3/20". */
  label: string;
  request: HttpRequest;
  response?: HttpResponse;
  /** Transport failure or deliberate cut; absent when a full response arrived. */
  error?: string;
  /** Error class, so callers can tell "could not reach" from "cut on purpose" (or from a run that was interrupted). */
  errorKind?: 'connect' | 'tls' | 'timeout' | 'reset' | 'protocol' | 'cut' | 'interrupted';
  /** Which instance of the target it went to (1-based), when the scenario names several. */
  instance?: number;
  startedAt: number;
  /** When the final request byte was handed to the socket. */
  sentAt?: number;
  firstByteAt?: number;
  endedAt?: number;
}

export interface TransportOptions {
  /** Bound for the whole exchange, connect included. */
  timeoutMs: number;
  /** Accept any certificate (staging with self-signed certs). */
  insecure?: boolean;
  /** Extra CA certificates, PEM. */
  ca?: string | Buffer;
  /**
   * Largest response body accepted, in bytes; a larger one fails the
   * exchange ('protocol') and its connection is closed at once. Absent: the
   * engine's default of 16 MiB (DEFAULT_MAX_RESPONSE_BYTES).
   */
  maxResponseBytes?: number;
  /**
   * Aborted when the run is interrupted: nothing new is sent, and whatever is
   * in flight fails at once ('interrupted') with its sockets closed.
   */
  signal?: AbortSignal;
}

/** Wall-clock epoch ms with the sub-millisecond resolution of performance.now(). */
export function now(): number {
  return performance.timeOrigin + performance.now();
}
