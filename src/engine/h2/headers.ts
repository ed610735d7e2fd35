// HttpRequest headers → HTTP/2 request headers, and HTTP/2 response headers →
// the engine's plain lower-cased object.
import type http2 from 'node:http2';
import type { HttpRequest } from '../../model/http.js';
import { checkHeader, checkMethod, checkScheme, impliedContentLength } from '../transport/request.js';

/** Connection-specific fields HTTP/2 forbids (RFC 9113 §8.2.2); Host becomes :authority. */
const DROPPED = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'host', 'http2-settings']);

/**
 * The pseudo-headers from the URL (:authority from a Host header when the
 * request gives one), then the request's headers lower-cased, without the
 * connection-specific ones (TE only as "trailers"); repeated names are joined
 * (Cookie with "; "). Adds Content-Length for a body (or 0 for POST/PUT/PATCH)
 * and User-Agent, each unless given — as the HTTP/1.1 engine does.
 * Throws for a request that cannot be sent (scheme, method, header).
 */
export function requestHeaders(req: HttpRequest, url: URL): http2.OutgoingHttpHeaders {
  checkScheme(url, req.url);
  checkMethod(req.method);
  const fields = new Map<string, string>();
  let authority = url.host;
  for (const [rawName, value] of Object.entries(req.headers)) {
    checkHeader(rawName, value);
    const name = rawName.toLowerCase();
    if (name === 'host') {
      authority = value.trim();
      continue;
    }
    if (DROPPED.has(name)) continue;
    if (name === 'te' && value.trim().toLowerCase() !== 'trailers') continue;
    const before = fields.get(name);
    fields.set(name, before === undefined ? value : `${before}${name === 'cookie' ? '; ' : ', '}${value}`);
  }
  const implied = impliedContentLength(req);
  if (implied !== undefined && !fields.has('content-length')) fields.set('content-length', String(implied));
  if (!fields.has('user-agent')) fields.set('user-agent', 'idemchaos');
  const out: http2.OutgoingHttpHeaders = {
    ':method': req.method,
    ':scheme': url.protocol.slice(0, -1),
    ':authority': authority,
    ':path': `${url.pathname || '/'}${url.search}`,
  };
  for (const [name, value] of fields) out[name] = value;
  return out;
}

/** Lower-cased names, pseudo-headers left out; repeats joined with ", " (set-cookie with "\n"). */
export function responseHeaders(headers: http2.IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    if (value === undefined || rawName.startsWith(':')) continue;
    const name = rawName.toLowerCase();
    const text = Array.isArray(value) ? value.join(name === 'set-cookie' ? '\n' : ', ') : String(value);
    const before = out[name];
    out[name] = before === undefined ? text : `${before}${name === 'set-cookie' ? '\n' : ', '}${text}`;
  }
  return out;
}
