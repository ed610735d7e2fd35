// The demo's request handling: one listener per instance, over the demo's
// shared resources and the key store the mode gives that instance. Each bug
// is marked "The bug:" where it departs from the correct behaviour.

import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { canonicalJson, HttpError, jsonResponse, MAX_KEY_LENGTH, readBody, readKey, safeDecode, send, shortSha256, tenantOf } from './http.js';
import type { KeyRecord, KeyStore, PendingRecord, StoredResponse } from './key-store.js';
import type { DemoMode } from './modes.js';
import { OPERATIONS, type Ledger, type Operation, type Order } from './resources.js';

/** What every instance of one demo shares, options resolved. */
export interface DemoConfig {
  mode: DemoMode;
  latencyMs: number;
  ttlMs: number;
  raceTurns: number | undefined;
  /** How long an orphaned lock lasts (locked-after-error). */
  lockMs: number;
  /** Lower case. */
  keyHeader: string;
}

/** How long an orphaned in-progress lock lasts (locked-after-error): past idemchaos's 10 s in-flight bound. */
export const ORPHANED_LOCK_MS = 15_000;

/** `openApi`: the demo's own OpenAPI description, served at /openapi.json. */
export function demoHandler(config: DemoConfig, ledger: Ledger, store: KeyStore, openApi: () => unknown): RequestListener {
  const { mode, latencyMs, ttlMs, raceTurns, keyHeader, lockMs } = config;

  /**
   * Where a key is stored: per tenant, method, path and key, so neither another
   * caller nor another operation ever meets this request's record.
   */
  function storeId(tenant: string, method: string, path: string, key: string): string {
    // The bug (keys-shared-across-tenants): the tenant is left out of the store key.
    const owner = mode === 'keys-shared-across-tenants' ? '*' : tenant;
    // The bug (keys-shared-across-operations): the path is left out of the store key.
    const operation = mode === 'keys-shared-across-operations' ? '*' : path;
    return JSON.stringify([owner, method, operation, key]);
  }

  /** Whether the record is for another request than this one (422). */
  function mismatched(existing: KeyRecord, fingerprint: string, path: string): boolean {
    // The bug (keys-shared-across-operations): a record stored by another operation is
    // taken for this one's own, so it is replayed (or in flight), never a mismatch.
    if (mode === 'keys-shared-across-operations' && existing.path !== path) return false;
    // A lock (locked-after-error) knows no payload: it is only ever in flight.
    return existing.fingerprint !== undefined && existing.fingerprint !== fingerprint;
  }

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

  /** The simulated work; the resource exists from here on whatever happens to the client. */
  async function create(op: Operation, tenant: string, body: Record<string, unknown>): Promise<StoredResponse> {
    await sleep(latencyMs);
    const item = op.build(body);
    ledger.of(op).add(tenant, item);
    const text = JSON.stringify(item);
    return {
      status: 201,
      headers: { 'content-type': 'application/json', location: `${op.path}/${item.id}`, etag: `"${shortSha256(text)}"` },
      body: text,
    };
  }

  /** The request's key, refused (400) when absent, empty or longer than MAX_KEY_LENGTH. */
  function checkedKey(req: IncomingMessage): string | undefined {
    const key = readKey(req, keyHeader);
    // The bug (key-optional): no key means no idempotency instead of a refused request.
    if (mode === 'key-optional' && (key === undefined || key === '')) return undefined;
    if (key === undefined) throw new HttpError(400, `missing ${keyHeader} header`);
    if (key === '') throw new HttpError(400, `empty ${keyHeader} header`);
    // long-key-500 skips this check: see where it stores the key.
    if (key.length > MAX_KEY_LENGTH && mode !== 'long-key-500') throw new HttpError(400, `${keyHeader} longer than ${MAX_KEY_LENGTH} characters`);
    return key;
  }

  async function handleCreate(req: IncomingMessage, res: ServerResponse, op: Operation): Promise<void> {
    const path = op.path;
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
    const tenant = tenantOf(req);
    const rawKey = mode === 'no-idempotency' ? undefined : checkedKey(req);
    let lock: PendingRecord | undefined;
    if (mode === 'locked-after-error' && rawKey !== undefined) {
      // The bug (locked-after-error): the key is locked before the payload is validated,
      // and a request that fails validation never releases it: until the lock expires
      // every request with that key, refused or corrected, gets 409. Like real
      // in-progress locks (Brandur's 90 s), it outlives a short key ttl: lockMs,
      // by default longer than a client's bounded wait for "in flight".
      const id = storeId(tenant, 'POST', path, rawKey);
      const held = store.lookup(id);
      if (held?.state === 'pending' && held.fingerprint === undefined) return inFlight(res);
      if (held === undefined) lock = store.lock(id, path, lockMs);
    }
    const body = op.parse(text);

    if (rawKey === undefined) {
      send(res, await create(op, tenant, body));
      return;
    }
    key = storeId(tenant, 'POST', path, rawKey);

    const fingerprint = fingerprintOf('POST', path, body);
    if (mode === 'expiry-burst-race') {
      const stale = store.peek(key);
      if (stale && store.isExpired(stale)) {
        // The bug (expiry-burst-race): an expired record is handled in two steps. Deleting
        // it is a store call of its own (here as slow as the work), and then this retry goes
        // ahead without claiming the key; every concurrent retry that read the key before
        // the delete landed does the same, so each creates an order.
        await sleep(latencyMs);
        store.release(key, stale);
        const response = await create(op, tenant, body);
        store.complete(key, fingerprint, path, response);
        send(res, response);
        return;
      }
    }
    // A lock this request took is its own: the reservation below replaces it.
    const found = store.lookup(key);
    const existing = found === lock ? undefined : found;
    if (existing && mismatched(existing, fingerprint, path)) {
      send(res, jsonResponse(422, { error: 'this Idempotency-Key was used with a different request' }));
      return;
    }
    if (existing?.state === 'pending') return inFlight(res);
    if (existing?.state === 'done') return replay(res, existing.response);

    if (mode === 'race' && raceTurns === undefined) {
      // The bug: nothing is claimed until the work is done, so every concurrent duplicate runs.
      const own = await create(op, tenant, body);
      const winner = store.lookup(key);
      if (winner?.state === 'done' && winner.fingerprint === fingerprint) {
        // Hide the duplicate: answer exactly what the first finisher answered.
        send(res, winner.response);
        return;
      }
      if (!winner) store.complete(key, fingerprint, path, own);
      send(res, own);
      return;
    }

    if (mode === 'race' && raceTurns !== undefined) {
      // The bug: the lookup above and this reservation are separated by raceTurns event-loop turns.
      for (let i = 0; i < raceTurns; i++) await new Promise<void>((resolve) => setImmediate(resolve));
    }
    if (mode === 'long-key-500' && rawKey.length > MAX_KEY_LENGTH) {
      // The bug (long-key-500): the unchecked key does not fit the store's key column and the insert throws: a 500.
      throw new Error(`key of ${rawKey.length} characters does not fit the key column`);
    }
    // In every other mode nothing has been awaited since the lookup: lookup+reserve is atomic.
    const ownClaim = store.reserve(key, fingerprint, path);
    claim = ownClaim;
    if (mode === 'forget-on-disconnect' && disconnected) store.release(key, ownClaim);

    let response: StoredResponse;
    try {
      response = await create(op, tenant, body);
    } catch (err) {
      store.release(key, ownClaim);
      throw err;
    }
    // Stored even if the client already left, so its retry gets the replay
    // (unless forget-on-disconnect released the claim, which makes this a no-op).
    store.complete(key, fingerprint, path, response, ownClaim);
    send(res, response);
  }

  /** A caller sees only its own tenant's resources, in the listing and by id. */
  function handleGet(req: IncomingMessage, res: ServerResponse, op: Operation, url: URL): void {
    const tenant = tenantOf(req);
    const collection = ledger.of(op);
    if (url.pathname === op.path) {
      const items = collection.list(tenant, url.searchParams.get('ref'));
      send(res, jsonResponse(200, { count: items.length, items }));
      return;
    }
    const match = /^\/([^/]+)$/.exec(url.pathname.slice(op.path.length));
    const id = match ? safeDecode(match[1]!) : undefined;
    const item = id === undefined ? undefined : collection.find(tenant, id);
    if (item) send(res, jsonResponse(200, item));
    else send(res, jsonResponse(404, { error: `${op.noun} not found` }));
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://demo.invalid');
    if ((req.method === 'GET' || req.method === 'HEAD') && url.pathname === '/openapi.json') return send(res, jsonResponse(200, openApi()));
    const op = OPERATIONS.find((o) => url.pathname.startsWith(o.path));
    if (op && req.method === 'POST' && url.pathname === op.path) return handleCreate(req, res, op);
    if (op && (req.method === 'GET' || req.method === 'HEAD')) return handleGet(req, res, op, url);
    send(res, jsonResponse(404, { error: 'not found' }));
  }

  return (req, res) => {
    // A reset socket can surface as an error on either stream; the demo just moves on.
    res.on('error', () => {});
    req.on('error', () => {});
    handle(req, res).catch((err: unknown) => {
      // send() is a no-op when the client is already gone (e.g. it reset mid-body).
      if (err instanceof HttpError) send(res, jsonResponse(err.status, { error: err.message }));
      else send(res, jsonResponse(500, { error: 'internal' }));
    });
  };
}
