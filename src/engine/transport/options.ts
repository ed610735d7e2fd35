// The transport options every engine passes down, and the response-size
// bound they all enforce the same way.
import type { TransportOptions } from '../../model/http.js';
import { TransportError } from '../http/errors.js';

/** The response-body bound when TransportOptions.maxResponseBytes is absent: 16 MiB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 16 * 1024 * 1024;

/** The transport options of opts (which may carry more, e.g. a burst's labels), with timeoutMs. */
export function transportOptions(opts: TransportOptions, timeoutMs = opts.timeoutMs): TransportOptions {
  const out: TransportOptions = { timeoutMs };
  if (opts.insecure !== undefined) out.insecure = opts.insecure;
  if (opts.ca !== undefined) out.ca = opts.ca;
  if (opts.maxResponseBytes !== undefined) out.maxResponseBytes = opts.maxResponseBytes;
  if (opts.signal !== undefined) out.signal = opts.signal;
  return out;
}

/**
 * The response-body bound of opts, in bytes: maxResponseBytes, or the
 * default. Throws a RangeError for one that is not a whole number of bytes
 * from 0 up (a bug in the caller, not a transport failure).
 */
export function responseLimit(opts: Pick<TransportOptions, 'maxResponseBytes'>): number {
  const limit = opts.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new RangeError(`maxResponseBytes must be a whole number of bytes, 0 or more; got ${String(limit)}`);
  }
  return limit;
}

/** A size for messages, exact: "16 MiB", "64 KiB", "1536 KiB", "1000 bytes". */
export function formatSize(bytes: number): string {
  const KiB = 1024;
  const MiB = 1024 * KiB;
  if (bytes >= MiB && bytes % MiB === 0) return `${bytes / MiB} MiB`;
  if (bytes >= KiB && bytes % KiB === 0) return `${bytes / KiB} KiB`;
  return bytes === 1 ? '1 byte' : `${bytes} bytes`;
}

/**
 * The one message every transport gives for a body past the bound, with the
 * Content-Length the response declared when that is how it was caught.
 */
export function responseTooLargeMessage(limit: number, where: string, declared?: number): string {
  return `response body larger than ${formatSize(limit)} from ${where}${declared === undefined ? '' : ` (Content-Length ${declared})`}`;
}

/** The failure of an exchange whose response body would pass the bound: a 'protocol' error. */
export function responseTooLarge(limit: number, where: string, declared?: number): TransportError {
  return new TransportError('protocol', responseTooLargeMessage(limit, where, declared));
}

/**
 * The body length a response's Content-Length declares, when it frames a
 * body at all: not for a HEAD request, nor for 1xx, 204 or 304 (where it
 * describes what a GET would get). Undefined when absent or not a number.
 */
export function declaredBodyLength(method: string, status: number, contentLength: unknown): number | undefined {
  if (method.toUpperCase() === 'HEAD' || status < 200 || status === 204 || status === 304) return undefined;
  return typeof contentLength === 'string' && /^\d{1,15}$/.test(contentLength.trim()) ? Number(contentLength.trim()) : undefined;
}
