// Turns an HttpRequest into the exact bytes we put on the wire. We write them
// ourselves (rather than through node:http) so that callers can hold back the
// final byte, or stop in the middle of the body, at a byte they choose.
import type { HttpRequest } from '../../model/http.js';
import { checkHeader, checkMethod, checkScheme, impliedContentLength } from '../transport/request.js';

export interface SerializedRequest {
  /** Request line and header section, through the blank line. */
  head: Buffer;
  /** The body (empty when there is none). */
  body: Buffer;
}

/**
 * The request line (path and query of the URL), `Host` unless the request has
 * one, the request's headers in their order, then `Content-Length` (for a body,
 * or 0 for POST/PUT/PATCH without one; not when the request gives
 * Content-Length or Transfer-Encoding), `Connection: close` and
 * `User-Agent: idemchaos`, each unless given. Header text is sent as UTF-8.
 * Throws for a request that cannot be written (bad URL, method, or header).
 */
export function serializeRequestParts(req: HttpRequest): SerializedRequest {
  const url = new URL(req.url);
  checkScheme(url, req.url);
  checkMethod(req.method);
  const target = `${url.pathname || '/'}${url.search}`;

  const given = new Set<string>();
  const lines: string[] = [`${req.method} ${target} HTTP/1.1`];
  const fields: string[] = [];
  for (const [name, value] of Object.entries(req.headers)) {
    checkHeader(name, value);
    given.add(name.toLowerCase());
    fields.push(`${name}: ${value}`);
  }

  if (!given.has('host')) lines.push(`Host: ${url.host}`);
  lines.push(...fields);
  const body = req.body ?? Buffer.alloc(0);
  const implied = impliedContentLength(req);
  if (implied !== undefined && !given.has('content-length') && !given.has('transfer-encoding')) {
    lines.push(`Content-Length: ${implied}`);
  }
  if (!given.has('connection')) lines.push('Connection: close');
  if (!given.has('user-agent')) lines.push('User-Agent: idemchaos');

  return { head: Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'utf8'), body };
}

/** The whole request as one buffer: head then body. */
export function serializeRequest(req: HttpRequest): Buffer {
  const { head, body } = serializeRequestParts(req);
  return body.length === 0 ? head : Buffer.concat([head, body]);
}
