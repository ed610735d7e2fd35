// The upstream behind the proxy: where a request goes (the upstream's own
// base path kept), whether it can be reached at all, and forwarding one
// request to it with every wait and every body bounded.
import http from 'node:http';
import https from 'node:https';
import { openConnection, describeAddress } from '../engine/h1/index.js';
import { classifyTransportError } from '../engine/http/errors.js';
import { now } from '../model/http.js';
import { DEFAULT_MAX_RESPONSE_BYTES } from '../engine/engines.js';

/** Request and response bodies the proxy holds in memory, at most: the engine's response-size bound. */
export const DEFAULT_MAX_BODY_BYTES = DEFAULT_MAX_RESPONSE_BYTES;

/**
 * Hop-by-hop headers (RFC 9110 7.6.1), never forwarded; `expect` too (the
 * proxy has read the whole body already), and `host` (set to the upstream's).
 */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'expect', 'host', 'content-length']);

/** The upstream URL a request for `path` (path and query, from the client) goes to: base path kept, one slash between. */
export function upstreamUrl(base: URL, path: string): string {
  const basePath = base.pathname.replace(/\/+$/, '');
  const rest = path.startsWith('/') ? path : `/${path}`;
  return `${base.origin}${basePath}${rest}`;
}

/** Origin-form of a request target: absolute-form (`http://host/p?q`) reduced to its path and query. */
export function originForm(target: string): string {
  if (target.startsWith('/')) return target;
  try {
    const u = new URL(target);
    return `${u.pathname}${u.search}`;
  } catch {
    return `/${target}`;
  }
}

/** Rejects with a sentence when nothing answers at the upstream's address (TCP, and TLS for https). */
export async function checkReachable(base: URL, opts: { timeoutMs: number; insecure?: boolean; ca?: string | Buffer }): Promise<void> {
  const connection = await openConnection(base, { timeoutMs: opts.timeoutMs, ...(opts.insecure ? { insecure: true } : {}), ...(opts.ca ? { ca: opts.ca } : {}) });
  connection.stream.destroy();
  connection.raw.destroy();
}

/** Raw header pairs without hop-by-hop ones, and without those the Connection header names. */
export function endToEnd(raw: string[]): string[] {
  const named = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.toLowerCase() === 'connection') for (const t of raw[i + 1]!.split(',')) named.add(t.trim().toLowerCase());
  }
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (HOP_BY_HOP.has(name) || named.has(name)) continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Raw header pairs as one record: names as sent, repeated headers joined with ", " (set-cookie with "\n"). */
export function headerRecord(raw: string[], lower = false): Record<string, string> {
  const out: Record<string, string> = {};
  const byLower = new Map<string, string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = lower ? raw[i]!.toLowerCase() : raw[i]!;
    const l = name.toLowerCase();
    const existing = byLower.get(l);
    if (existing === undefined) {
      byLower.set(l, name);
      out[name] = raw[i + 1]!;
    } else {
      out[existing] = `${out[existing]}${l === 'set-cookie' ? '\n' : ', '}${raw[i + 1]}`;
    }
  }
  return out;
}

export interface UpstreamAnswer {
  status: number;
  statusMessage: string;
  /** Raw header pairs as the upstream sent them. */
  rawHeaders: string[];
  body: Buffer;
  /** The upstream framed its body with chunked encoding (so the proxy does too). */
  chunked: boolean;
  /** The upstream sent a Content-Length. */
  sized: boolean;
  sentAt: number;
  firstByteAt: number;
  endedAt: number;
}

export interface ForwardRequest {
  method: string;
  url: string;
  /** Raw header pairs from the client, hop-by-hop ones already removed. */
  rawHeaders: string[];
  body: Buffer;
  /** The client sent its body chunked: forward it chunked. */
  chunked: boolean;
  /** The client sent a Content-Length (or a body): forward one. */
  sized: boolean;
}

export interface Forwarder {
  forward(req: ForwardRequest, signal: AbortSignal): Promise<UpstreamAnswer>;
  close(): void;
}

export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
}

export function forwarder(base: URL, opts: { timeoutMs: number; maxBodyBytes: number; insecure?: boolean; ca?: string | Buffer }): Forwarder {
  const secure = base.protocol === 'https:';
  const agent = secure
    ? new https.Agent({ keepAlive: true, rejectUnauthorized: !opts.insecure, ...(opts.ca ? { ca: opts.ca } : {}) })
    : new http.Agent({ keepAlive: true });
  const where = describeAddress(base);
  return {
    close: () => agent.destroy(),
    forward(r, signal) {
      return new Promise<UpstreamAnswer>((resolve, reject) => {
        const headers = ['Host', base.host, ...r.rawHeaders];
        if (r.chunked) headers.push('Transfer-Encoding', 'chunked');
        else if (r.sized || r.body.length > 0) headers.push('Content-Length', String(r.body.length));
        else if (!['GET', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE'].includes(r.method)) headers.push('Content-Length', '0');
        const sentAt = now();
        let firstByteAt = 0;
        let settled = false;
        const fail = (message: string) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          upReq.destroy();
          reject(new UpstreamError(message));
        };
        const onAbort = () => fail('the proxy stopped before the upstream answered');
        const upReq = (secure ? https : http).request(r.url, { method: r.method, headers, agent, setHost: false });
        const timer = setTimeout(() => fail(`${where} did not answer within ${Math.round(opts.timeoutMs)} ms`), opts.timeoutMs);
        signal.addEventListener('abort', onAbort, { once: true });
        upReq.on('error', (err) => {
          const phase = firstByteAt ? 'response' : upReq.reusedSocket ? 'response' : undefined;
          fail(classifyTransportError(err, { where, ...(phase ? { phase } : {}) }).message);
        });
        upReq.on('response', (res) => {
          firstByteAt = now();
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            size += chunk.length;
            if (size > opts.maxBodyBytes) {
              fail(`the upstream's response body passed ${opts.maxBodyBytes} bytes, the proxy's bound`);
              res.destroy();
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', (err) => fail(classifyTransportError(err, { where, phase: 'response', progress: 'in the middle of its response' }).message));
          res.on('aborted', () => fail(`${where} closed the connection in the middle of its response`));
          res.on('end', () => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            signal.removeEventListener('abort', onAbort);
            const te = res.headers['transfer-encoding'];
            resolve({
              status: res.statusCode ?? 0,
              statusMessage: res.statusMessage ?? '',
              rawHeaders: res.rawHeaders,
              body: Buffer.concat(chunks),
              chunked: typeof te === 'string' && /chunked/i.test(te),
              sized: res.headers['content-length'] !== undefined,
              sentAt,
              firstByteAt,
              endedAt: now(),
            });
          });
        });
        if (r.body.length > 0) upReq.write(r.body);
        upReq.end();
      });
    },
  };
}

/** Retry-After in ms: delay-seconds, or an HTTP date relative to `at`; undefined when absent or unreadable. */
export function retryAfterMs(value: string | undefined, at: number): number | undefined {
  if (value === undefined) return undefined;
  const v = value.trim();
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? undefined : Math.max(0, date - at);
}
