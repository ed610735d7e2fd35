// What both raw engines check and add before a request goes on the wire,
// whichever framing (HTTP/1.1 bytes, HTTP/2 header block) carries it.
import type { HttpRequest } from '../../model/http.js';
import { TransportError } from '../http/errors.js';

/** RFC 9110 token: methods and field names. */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Methods that get `Content-Length: 0` when they carry no body. */
const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

/** Throws unless url is http: or https:. */
export function checkScheme(url: URL, raw: string): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`unsupported URL scheme ${JSON.stringify(url.protocol)} in ${raw} (only http: and https:)`);
  }
}

/** Throws unless method is a token. */
export function checkMethod(method: string): void {
  if (!TOKEN.test(method)) throw new Error(`invalid HTTP method ${JSON.stringify(method)}`);
}

/** Throws for a header name that is not a token, or a value with CR, LF or NUL (header injection). */
export function checkHeader(name: string, value: string): void {
  if (!TOKEN.test(name)) throw new Error(`invalid header name ${JSON.stringify(name)}`);
  if (/[\r\n\0]/.test(value)) throw new Error(`invalid value for header ${name}: CR, LF and NUL are not allowed`);
}

/**
 * The Content-Length the engine adds when the request gives none: the body's
 * length, or 0 for POST/PUT/PATCH without a body; undefined otherwise.
 */
export function impliedContentLength(req: HttpRequest): number | undefined {
  if (req.body !== undefined) return req.body.length;
  return BODY_METHODS.has(req.method.toUpperCase()) ? 0 : undefined;
}

/**
 * Parses req's URL and encodes the request for the wire (encode gets the
 * URL). A request that cannot be sent (bad URL, header or body) is a
 * 'protocol' TransportError.
 */
export function encodeRequest<T>(req: HttpRequest, encode: (url: URL) => T): { url: URL; payload: T } | TransportError {
  try {
    const url = new URL(req.url);
    return { url, payload: encode(url) };
  } catch (err) {
    return new TransportError('protocol', `cannot send request: ${(err as Error).message}`);
  }
}
