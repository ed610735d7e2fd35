// Transport failures, told the same way by every transport (raw HTTP/1.1,
// HTTP/2, undici): what kind of failure a socket or TLS error is, and one line
// a user can act on.
import type { Exchange } from '../../model/http.js';
import { INTERRUPTED } from '../../model/errors.js';

export type TransportErrorKind = Exclude<NonNullable<Exchange['errorKind']>, 'cut'>;

export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** The node error code behind it, when there is one (ECONNREFUSED...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

/** Certificate verification failures, where --insecure or --ca is the way out. */
export const CERT_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/** Connect failures by node error code, with what each means. */
export const CONNECT_HINTS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listening there',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  EADDRNOTAVAIL: 'address not available',
};

/** The peer reset or dropped the connection. */
const RESET_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED']);

/** An 'error' listener that keeps a late error from crashing the process. */
export function noop(): void {}

/** The failure of whatever a transport had in flight when the run was interrupted. */
export function interruptedError(): TransportError {
  return new TransportError('interrupted', INTERRUPTED);
}

/**
 * Calls onAbort once when signal aborts (at once, synchronously, when it has
 * already); returns the function that stops listening. No signal: nothing.
 */
export function whenAborted(signal: AbortSignal | undefined, onAbort: () => void): () => void {
  if (!signal) return noop;
  if (signal.aborted) {
    onAbort();
    return noop;
  }
  signal.addEventListener('abort', onAbort, { once: true });
  return () => signal.removeEventListener('abort', onAbort);
}

/** A delay setTimeout accepts: at least 0, at most 2^31-1 ms (beyond that node fires after 1 ms). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2_147_483_647);
}

/** What the transport was doing when the error came: connecting, the TLS handshake, or reading the response. */
export type TransportPhase = 'connect' | 'tls' | 'response';

export interface TransportFailure {
  kind: TransportErrorKind;
  message: string;
  /** The error code behind it, when there is one. */
  code?: string;
}

export interface FailureContext {
  /** Where to, for messages: "host:port" or an origin. */
  where: string;
  /** Absent: inferred from the error (undici does not say), and an error that fits no phase is a 'protocol' failure. */
  phase?: TransportPhase;
  /** For the 'response' phase: how far the exchange got. */
  progress?: string;
}

/**
 * Classifies a socket or TLS error (node's, or undici's with a `cause`) into
 * a failure kind and one line a user can act on.
 */
export function classifyTransportError(err: unknown, ctx: FailureContext): TransportFailure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } } | null | undefined;
  const code = stringOr(e?.code, stringOr(e?.cause?.code, ''));
  const message = opensslReason(stringOr(e?.message, String(err)));
  const { where } = ctx;
  // One line, whatever the error said: it becomes an attack's reason.
  const failure = (kind: TransportErrorKind, text: string): TransportFailure =>
    code ? { kind, message: oneLine(text), code } : { kind, message: oneLine(text) };

  const phase = ctx.phase ?? inferPhase(code, message);
  switch (phase) {
    case 'connect': {
      if (code === 'ETIMEDOUT') return failure('timeout', `cannot connect to ${where}: ETIMEDOUT`);
      const hint = Object.hasOwn(CONNECT_HINTS, code) ? CONNECT_HINTS[code] : undefined;
      const detail = code ? `${code}${hint ? ` (${hint})` : ''}` : message;
      return failure('connect', `cannot connect to ${where}: ${detail}`);
    }
    case 'tls': {
      const detail = opensslReason(stringOr(e?.cause?.message, message));
      if (CERT_CODES.has(code)) return failure('tls', `TLS: ${detail} from ${where} (use --insecure or --ca)`);
      if (code === 'ECONNRESET' || code === 'EPIPE') {
        return failure('tls', `TLS: ${where} reset the connection during the handshake (${code})`);
      }
      if (code === 'ERR_SSL_WRONG_VERSION_NUMBER') {
        return failure('tls', `TLS handshake with ${where} failed: it did not answer in TLS (${code}); does it speak plain HTTP (http://)?`);
      }
      return failure('tls', `TLS handshake with ${where} failed: ${detail}${code ? ` (${code})` : ''}`);
    }
    case 'response': {
      const progress = ctx.progress ?? 'before a complete response';
      if (RESET_CODES.has(code)) return failure('reset', `${where} reset the connection ${progress} (${code})`);
      if (code === 'ETIMEDOUT') return failure('timeout', `connection to ${where} timed out ${progress} (${code})`);
      if (isTlsCode(code)) return failure('tls', `TLS error from ${where} ${progress}: ${message}`);
      return failure('reset', `connection to ${where} failed ${progress}: ${message}${code ? ` (${code})` : ''}`);
    }
    default:
      return failure('protocol', `request to ${where} failed: ${message}${code ? ` (${code})` : ''}`);
  }
}

/** classifyTransportError, as a TransportError to reject or throw with. */
export function transportError(err: unknown, ctx: FailureContext): TransportError {
  const { kind, message, code } = classifyTransportError(err, ctx);
  return new TransportError(kind, message, code);
}

/** The phase an error most likely came from, by its code and message; undefined when none fits. */
function inferPhase(code: string, message: string): TransportPhase | undefined {
  if (CERT_CODES.has(code) || isTlsCode(code) || /certificate|SSL|TLS/i.test(message)) return 'tls';
  if (Object.hasOwn(CONNECT_HINTS, code)) return 'connect';
  if (RESET_CODES.has(code) || code === 'UND_ERR_SOCKET') return 'response';
  return undefined;
}

function isTlsCode(code: string): boolean {
  return code.startsWith('ERR_SSL') || code.startsWith('ERR_TLS');
}

/**
 * The reason of an OpenSSL error string ("80FC...:error:0A00010B:SSL
 * routines:ssl3_get_record:wrong version number:../deps/openssl/...:350:"
 * → "wrong version number"); any other text as it is.
 */
function opensslReason(text: string): string {
  const m = /^[0-9A-F]+:error:[0-9A-F]+:[^:]*:[^:]*:([^:]+):/.exec(text.trim());
  return m ? m[1]! : text;
}

/** Line breaks and runs of white space as one space, trimmed. */
function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function stringOr(value: unknown, fallback: string): string {
  return typeof value === 'string' && value !== '' ? value : fallback;
}
