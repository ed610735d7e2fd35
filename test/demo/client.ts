// A small HTTP client for the demo tests: real requests over 127.0.0.1, with
// the tenant (a bearer token), the key and the instance chosen per call.
import type { TestContext } from 'node:test';
import { startDemo, type DemoOptions, type DemoServer } from '../../src/demo/server.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface CallOptions {
  /** Sent as the Idempotency-Key header when given (also when empty). */
  key?: string;
  /** Sent as `Authorization: Bearer <token>` when given: the tenant. */
  token?: string;
  /** Which of the server's instances (urls) to call; default 0. */
  instance?: number;
  headers?: Record<string, string>;
}

export async function start(t: TestContext, options: DemoOptions = {}): Promise<DemoServer> {
  const server = await startDemo(options);
  t.after(() => server.close());
  return server;
}

function baseOf(server: DemoServer, instance = 0): string {
  const url = server.urls[instance];
  if (url === undefined) throw new Error(`the demo has no instance ${instance} (urls: ${server.urls.join(', ')})`);
  return url;
}

export async function call(server: DemoServer, method: string, path: string, body: unknown, opts: CallOptions = {}): Promise<Reply> {
  const headers: Record<string, string> = { ...opts.headers };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (opts.key !== undefined) headers['idempotency-key'] = opts.key;
  if (opts.token !== undefined) headers['authorization'] = `Bearer ${opts.token}`;
  const init: RequestInit = { method, headers };
  if (body !== undefined) init.body = typeof body === 'string' ? body : JSON.stringify(body);
  const res = await fetch(baseOf(server, opts.instance) + path, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export function postOrder(server: DemoServer, body: unknown, opts: CallOptions = {}): Promise<Reply> {
  return call(server, 'POST', '/orders', body, opts);
}

export function postRefund(server: DemoServer, body: unknown, opts: CallOptions = {}): Promise<Reply> {
  return call(server, 'POST', '/refunds', body, opts);
}

/** GET /orders or /refunds (?ref= when given) as a tenant; the listing, after checking it is one. */
export async function list(server: DemoServer, path: '/orders' | '/refunds', opts: CallOptions & { ref?: string } = {}): Promise<{ count: number; items: any[] }> {
  const query = opts.ref === undefined ? '' : `?ref=${encodeURIComponent(opts.ref)}`;
  const r = await call(server, 'GET', path + query, undefined, opts);
  if (r.status !== 200) throw new Error(`GET ${path}${query} answered ${r.status}: ${r.text}`);
  if (typeof r.json?.count !== 'number' || !Array.isArray(r.json.items) || r.json.items.length !== r.json.count) {
    throw new Error(`GET ${path}${query} is not a {count, items} listing: ${r.text}`);
  }
  return r.json;
}

/** n identical requests at once; the replies in send order. */
export function burst(n: number, send: () => Promise<Reply>): Promise<Reply[]> {
  return Promise.all(Array.from({ length: n }, send));
}

export function statuses(replies: Reply[]): number[] {
  return replies.map((r) => r.status).sort((a, b) => a - b);
}

export const ORDER = { ref: 'r-1', sku: 'widget', qty: 2 };
