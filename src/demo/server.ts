// The embedded demo: a small orders API whose Idempotency-Key handling is either
// correct (per the IETF "Idempotency-Key HTTP Header Field" draft) or broken in one
// named, deliberate way. The demo command and the test suite attack it and expect
// exact verdicts, so every behaviour here must be deterministic.

import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { demoOpenApi } from './openapi.js';

export type DemoMode =
  | 'correct'
  | 'no-idempotency'
  | 'race'
  | 'ignore-body'
  | 'replay-differs'
  | 'early-expiry'
  | 'forget-on-disconnect'
  | 'conflict-500';

export const DEMO_MODES: readonly { mode: DemoMode; description: string }[] = [
  { mode: 'correct', description: 'Follows the Idempotency-Key draft: atomic reservation, 409 in flight, 422 on changed payload, exact replays.' },
  { mode: 'no-idempotency', description: 'Ignores the Idempotency-Key header entirely: every POST creates a new order.' },
  { mode: 'race', description: 'Check-then-act: concurrent duplicates slip past the key lookup and each create an order.' },
  { mode: 'ignore-body', description: 'Fingerprints only method and path, so a reused key with a different payload replays the first response.' },
  { mode: 'replay-differs', description: 'Replays answer 200 instead of 201 and regenerate createdAt, so a replay does not match the original.' },
  { mode: 'early-expiry', description: 'Forgets keys after a quarter of the advertised retention, so late retries create duplicates.' },
  { mode: 'forget-on-disconnect', description: 'Drops the key when the client disconnects mid-request, so the retry creates a second order.' },
  { mode: 'conflict-500', description: 'Answers an in-flight duplicate with 500 instead of 409.' },
];

const MODE_NAMES: ReadonlySet<string> = new Set(DEMO_MODES.map((m) => m.mode));

export function isDemoMode(s: string): s is DemoMode {
  return MODE_NAMES.has(s);
}

export interface DemoOptions {
  /** Which behaviour to run; default 'correct'. */
  bug?: DemoMode;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a random free port. */
  port?: number;
  /** Simulated work per create, default 50 ms. */
  latencyMs?: number;
  /** How long a completed key is retained, default 2000 ms. */
  ttlMs?: number;
  /** Race mode only: event-loop turns between lookup and reservation; undefined claims the key only after the work. */
  raceTurns?: number;
  /** Default 'idempotency-key'. */
  keyHeader?: string;
}

export interface Order {
  id: string;
  ref: string | null;
  createdAt: string;
  [field: string]: unknown;
}

export interface DemoServer {
  /** e.g. http://127.0.0.1:43121, no trailing slash. */
  url: string;
  port: number;
  mode: DemoMode;
  orders(): Order[];
  /** Stops listening and destroys every connection; safe to call twice. */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------
// Key store

/** A response exactly as first sent, so a replay can reproduce it byte for byte. */
interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

interface PendingRecord {
  state: 'pending';
  fingerprint: string;
}

interface DoneRecord {
  state: 'done';
  fingerprint: string;
  response: StoredResponse;
  expiresAt: number;
}

type KeyRecord = PendingRecord | DoneRecord;

class KeyStore {
  private readonly records = new Map<string, KeyRecord>();

  constructor(private readonly retentionMs: number) {}

  /** Expiry is checked here, lazily, so retention is exact no matter when the sweep runs. */
  lookup(key: string): KeyRecord | undefined {
    const record = this.records.get(key);
    if (record?.state === 'done' && Date.now() >= record.expiresAt) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  /** Returns the claim; later calls pass it back so a stale request cannot clobber a newer owner. */
  reserve(key: string, fingerprint: string): PendingRecord {
    const claim: PendingRecord = { state: 'pending', fingerprint };
    this.records.set(key, claim);
    return claim;
  }

  /**
   * Stores the response. With a claim, only if that claim still owns the key (it may have
   * been released or taken over meanwhile); without one, unconditionally.
   */
  complete(key: string, fingerprint: string, response: StoredResponse, claim?: PendingRecord): boolean {
    if (claim && this.records.get(key) !== claim) return false;
    this.records.set(key, { state: 'done', fingerprint, response, expiresAt: Date.now() + this.retentionMs });
    return true;
  }

  release(key: string, claim: PendingRecord): void {
    if (this.records.get(key) === claim) this.records.delete(key);
  }

  /** Bounds memory for keys nobody asks about again. */
  sweep(): void {
    const now = Date.now();
    for (const [key, record] of this.records) {
      if (record.state === 'done' && now >= record.expiresAt) this.records.delete(key);
    }
  }
}

// ---------------------------------------------------------------------------
// Helpers

const MAX_BODY_BYTES = 1024 * 1024;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** JSON with object keys sorted at every depth, so key order never changes a fingerprint. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value as Record<string, unknown>)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

function shortSha256(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16);
}

/** The key may be bare or a Structured-Field string ("abc"); both name the same key. */
function readKey(req: IncomingMessage, headerName: string): string | undefined {
  const raw = req.headers[headerName];
  let value = (Array.isArray(raw) ? raw[0] : raw)?.trim();
  if (value && value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    value = value.slice(1, -1);
  }
  return value ? value : undefined;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, 'request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseOrderBody(text: string): Record<string, unknown> {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new HttpError(400, 'body must be valid JSON');
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new HttpError(400, 'body must be a JSON object');
  }
  const ref = (body as Record<string, unknown>).ref;
  if (ref !== undefined && ref !== null && typeof ref !== 'string') {
    throw new HttpError(400, 'ref must be a string');
  }
  return body as Record<string, unknown>;
}

function jsonResponse(status: number, value: unknown, extra: Record<string, string> = {}): StoredResponse {
  return { status, headers: { 'content-type': 'application/json', ...extra }, body: JSON.stringify(value) };
}

/** The client may be gone (the disconnect modes rely on that); writing then must be a no-op. */
function send(res: ServerResponse, response: StoredResponse, extra: Record<string, string> = {}): void {
  if (res.destroyed || res.writableEnded || res.headersSent) return;
  res.writeHead(response.status, {
    ...response.headers,
    ...extra,
    'content-length': String(Buffer.byteLength(response.body)),
  });
  res.end(response.body);
}

// ---------------------------------------------------------------------------
// Server

export async function startDemo(options: DemoOptions = {}): Promise<DemoServer> {
  const mode = options.bug ?? 'correct';
  if (!isDemoMode(mode)) throw new RangeError(`unknown demo mode: ${String(mode)}`);
  const host = options.host ?? '127.0.0.1';
  const latencyMs = options.latencyMs ?? 50;
  const ttlMs = options.ttlMs ?? 2000;
  const raceTurns = options.raceTurns;
  const keyHeader = (options.keyHeader ?? 'idempotency-key').toLowerCase();
  if (!(latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
  if (!(ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
  if (raceTurns !== undefined && !(Number.isInteger(raceTurns) && raceTurns >= 0)) {
    throw new RangeError('raceTurns must be a non-negative integer');
  }

  // early-expiry: the server keeps keys for a quarter of what it promises.
  const store = new KeyStore(mode === 'early-expiry' ? ttlMs / 4 : ttlMs);
  const orders: Order[] = [];

  function fingerprintOf(method: string, path: string, body: Record<string, unknown>): string {
    // ignore-body: a changed payload under the same key goes unnoticed.
    const payload = mode === 'ignore-body' ? '' : canonicalJson(body);
    return `${method} ${path} ${payload}`;
  }

  function replay(res: ServerResponse, stored: StoredResponse): void {
    if (mode === 'replay-differs') {
      // The bug: the replay is re-rendered instead of reproduced.
      const order = JSON.parse(stored.body) as Order;
      order.createdAt = new Date().toISOString();
      send(res, { ...stored, status: 200, body: JSON.stringify(order) }, { 'Idempotent-Replayed': 'true' });
      return;
    }
    send(res, stored, { 'Idempotent-Replayed': 'true' });
  }

  function inFlight(res: ServerResponse): void {
    if (mode === 'conflict-500') {
      send(res, jsonResponse(500, { error: 'internal' }));
      return;
    }
    send(res, jsonResponse(409, { error: 'a request with this Idempotency-Key is still being processed' }, { 'Retry-After': '1' }));
  }

  /** The simulated work; the order exists from here on whatever happens to the client. */
  async function createOrder(body: Record<string, unknown>): Promise<StoredResponse> {
    await sleep(latencyMs);
    const { id: _ignoredId, ...fields } = body;
    const order: Order = {
      id: `ord_${randomUUID().replace(/-/g, '').slice(0, 20)}`,
      ...fields,
      ref: (body.ref as string | null | undefined) ?? null,
      createdAt: new Date().toISOString(),
    };
    orders.push(order);
    const text = JSON.stringify(order);
    return {
      status: 201,
      headers: { 'content-type': 'application/json', location: `/orders/${order.id}`, etag: `"${shortSha256(text)}"` },
      body: text,
    };
  }

  async function handleCreate(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    // Set once this request owns the key; forget-on-disconnect needs it when the client hangs up.
    let claim: PendingRecord | undefined;
    let key: string | undefined;
    let disconnected = false;
    res.on('close', () => {
      if (res.writableFinished) return;
      disconnected = true;
      // The bug: a client that hangs up takes the key with it, though the order is still created.
      if (mode === 'forget-on-disconnect' && key !== undefined && claim) store.release(key, claim);
    });

    const text = await readBody(req);
    key = mode === 'no-idempotency' ? undefined : readKey(req, keyHeader);
    if (mode !== 'no-idempotency' && key === undefined) {
      throw new HttpError(400, `missing ${keyHeader} header`);
    }
    const body = parseOrderBody(text);

    if (key === undefined) {
      send(res, await createOrder(body));
      return;
    }

    const fingerprint = fingerprintOf('POST', path, body);
    const existing = store.lookup(key);
    if (existing && existing.fingerprint !== fingerprint) {
      send(res, jsonResponse(422, { error: 'this Idempotency-Key was used with a different request' }));
      return;
    }
    if (existing?.state === 'pending') return inFlight(res);
    if (existing?.state === 'done') return replay(res, existing.response);

    if (mode === 'race' && raceTurns === undefined) {
      // The bug: nothing is claimed until the work is done, so every concurrent duplicate runs.
      const own = await createOrder(body);
      const winner = store.lookup(key);
      if (winner?.state === 'done' && winner.fingerprint === fingerprint) {
        // Hide the duplicate: answer exactly what the first finisher answered.
        send(res, winner.response);
        return;
      }
      if (!winner) store.complete(key, fingerprint, own);
      send(res, own);
      return;
    }

    if (mode === 'race' && raceTurns !== undefined) {
      // The bug: the lookup above and this reservation are separated by raceTurns event-loop turns.
      for (let i = 0; i < raceTurns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    // In every other mode nothing has been awaited since the lookup: lookup+reserve is atomic.
    const ownClaim = store.reserve(key, fingerprint);
    claim = ownClaim;
    if (mode === 'forget-on-disconnect' && disconnected) store.release(key, ownClaim);

    let response: StoredResponse;
    try {
      response = await createOrder(body);
    } catch (err) {
      store.release(key, ownClaim);
      throw err;
    }
    // Stored even if the client already left, so its retry gets the replay
    // (unless forget-on-disconnect released the claim, which makes this a no-op).
    store.complete(key, fingerprint, response, ownClaim);
    send(res, response);
  }

  function handleGet(res: ServerResponse, url: URL): void {
    if (url.pathname === '/orders') {
      const ref = url.searchParams.get('ref');
      const items = ref === null ? orders : orders.filter((o) => o.ref === ref);
      send(res, jsonResponse(200, { count: items.length, items }));
      return;
    }
    const match = /^\/orders\/([^/]+)$/.exec(url.pathname);
    const id = match ? safeDecode(match[1]!) : undefined;
    const order = id === undefined ? undefined : orders.find((o) => o.id === id);
    if (order) send(res, jsonResponse(200, order));
    else send(res, jsonResponse(404, { error: 'order not found' }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    if (req.method === 'POST' && url.pathname === '/orders') return handleCreate(req, res, url.pathname);
    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname === '/openapi.json') {
      // The retention it states is the one clients are promised (early-expiry breaks that promise).
      return send(res, jsonResponse(200, demoOpenApi({ url: baseUrl, ttlMs })));
    }
    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname.startsWith('/orders')) {
      return handleGet(res, url);
    }
    send(res, jsonResponse(404, { error: 'not found' }));
  }

  /** Set once listening; /openapi.json names it as the server. */
  let baseUrl = '';
  const server = createServer((req, res) => {
    // A reset socket can surface as an error on either stream; the demo just moves on.
    res.on('error', () => {});
    req.on('error', () => {});
    handle(req, res).catch((err: unknown) => {
      // send() is a no-op when the client is already gone (e.g. it reset mid-body).
      if (err instanceof HttpError) send(res, jsonResponse(err.status, { error: err.message }));
      else send(res, jsonResponse(500, { error: 'internal' }));
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });

  const sweeper = setInterval(() => store.sweep(), Math.max(ttlMs, 1000));
  sweeper.unref();

  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  baseUrl = `http://${urlHost}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url: baseUrl,
    port,
    mode,
    orders: () => orders.map((o) => ({ ...o })),
    close() {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

function safeDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}
