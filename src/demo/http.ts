// HTTP plumbing for the demo: bodies in, JSON out, the key header, and the
// canonical form a fingerprint is taken of.

import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { StoredResponse } from './key-store.js';

const MAX_BODY_BYTES = 1024 * 1024;

/** An error the client caused: answered with its status and `{error}`. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON with object keys sorted at every depth, so key order never changes a fingerprint. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

export function shortSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The longest key the demo takes (Stripe's limit; the draft leaves it to the server). */
export const MAX_KEY_LENGTH = 255;

/**
 * The key, bare or a Structured-Field string ("abc"): both name the same key.
 * undefined when the header is absent, '' when it is there but empty.
 */
export function readKey(req: IncomingMessage, headerName: string): string | undefined {
  const raw = req.headers[headerName];
  const first = Array.isArray(raw) ? raw[0] : raw;
  if (first === undefined) return undefined;
  const value = first.trim();
  return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
}

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function jsonResponse(status: number, value: unknown, extra: Record<string, string> = {}): StoredResponse {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(value) };
}

/** The client may be gone (the disconnect modes rely on that); writing then must be a no-op. */
export function send(res: ServerResponse, response: StoredResponse, extra: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  res.writeHead(response.status, {
    ...response.headers,
    ...extra,
    'content-length': String(Buffer.byteLength(response.body)),
  });
  res.end(response.body);
}

export function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/** The tenant of a request without a bearer token. */
export const ANONYMOUS = 'anonymous';

/**
 * The caller's tenant: the token of `Authorization: Bearer <token>`; any
 * other request (no header, another scheme, no token) is 'anonymous'.
 */
export function tenantOf(req: IncomingMessage): string {
  const m = /^Bearer[ \t]+(.+)$/i.exec(req.headers.authorization?.trim() ?? '');
  return m ? m[1]!.trim() : ANONYMOUS;
}
