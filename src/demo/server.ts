// The embedded demo: a small orders API whose Idempotency-Key handling is either
// correct (per the IETF "Idempotency-Key HTTP Header Field" draft) or broken in one
// named, deliberate way. The demo command and the test suite attack it and expect
// exact verdicts, so every behaviour here must be deterministic.
//
// Routes: POST /orders, POST /refunds (both need the key), GET /orders and
// /refunds (?ref=, answering {count, items}), GET /orders/<id>, /refunds/<id>.
// The caller's tenant is its bearer token; it sees only its own resources.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { demoHandler, ORPHANED_LOCK_MS, type DemoConfig } from './handler.js';
import { demoOpenApi } from './openapi.js';
import { KeyStore } from './key-store.js';
import { isDemoMode, type DemoMode } from './modes.js';
import { Ledger, type Order, type Refund } from './resources.js';

export { DEMO_MODES, isDemoMode, type DemoMode } from './modes.js';
export type { Order, Refund } from './resources.js';
export { ANONYMOUS, MAX_KEY_LENGTH } from './http.js';

export interface DemoOptions {
  /** Which behaviour to run; default 'correct'. */
  bug?: DemoMode;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a random free port for each instance; else instance i listens on port + i. */
  port?: number;
  /** How many instances listen, each on its own port, sharing one order store and one key store (per-instance-store: a key store each); default 1. */
  instances?: number;
  /** Simulated work per create, default 50 ms. */
  latencyMs?: number;
  /** How long a completed key is retained, default 2000 ms. */
  ttlMs?: number;
  /** Race mode only: event-loop turns between lookup and reservation; undefined claims the key only after the work. */
  raceTurns?: number;
  /** locked-after-error only: how long an orphaned lock lasts; default 15 s (past idemchaos's 10 s in-flight bound), at least the ttl. */
  lockMs?: number;
  /** Default 'idempotency-key'. */
  keyHeader?: string;
}

export interface DemoServer {
  /** The first instance's URL, e.g. http://127.0.0.1:43121, no trailing slash. */
  url: string;
  /** Every instance's URL, in instance order; urls[0] is url. */
  urls: string[];
  /** The first instance's port. */
  port: number;
  mode: DemoMode;
  /** Every tenant's orders, in creation order, or only those of the tenant named. */
  orders(tenant?: string): Order[];
  /** Every tenant's refunds, in creation order, or only those of the tenant named. */
  refunds(tenant?: string): Refund[];
  /** Stops every instance and destroys every connection; safe to call twice. */
  close(): Promise<void>;
}

function resolveOptions(options: DemoOptions): DemoConfig & { host: string; port: number; instances: number } {
  const mode = options.bug ?? 'correct';
  if (!isDemoMode(mode)) throw new RangeError(`unknown demo mode: ${String(mode)}`);
  const config = {
    mode,
    host: options.host ?? '127.0.0.1',
    port: options.port ?? 0,
    instances: options.instances ?? 1,
    latencyMs: options.latencyMs ?? 50,
    ttlMs: options.ttlMs ?? 2000,
    raceTurns: options.raceTurns,
    lockMs: Math.max(options.lockMs ?? ORPHANED_LOCK_MS, options.ttlMs ?? 0),
    keyHeader: (options.keyHeader ?? 'idempotency-key').toLowerCase(),
  };
  if (!(config.latencyMs >= 0)) throw new RangeError('latencyMs must be >= 0');
  if (!(config.ttlMs > 0)) throw new RangeError('ttlMs must be > 0');
  if (config.raceTurns !== undefined && !(Number.isInteger(config.raceTurns) && config.raceTurns >= 0)) {
    throw new RangeError('raceTurns must be a non-negative integer');
  }
  if (!(Number.isInteger(config.instances) && config.instances >= 1)) throw new RangeError('instances must be a positive integer');
  if (!(Number.isInteger(config.port) && config.port >= 0 && (config.port === 0 || config.port + config.instances - 1 <= 65535))) {
    throw new RangeError(`port must be 0 or leave room for ${config.instances} consecutive port(s) up to 65535`);
  }
  return config;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function stop(server: Server): Promise<void> {
  return new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

export async function startDemo(options: DemoOptions = {}): Promise<DemoServer> {
  const config = resolveOptions(options);
  const { mode, host, ttlMs } = config;

  // The order store is one, like a database behind every instance.
  const ledger = new Ledger();
  // early-expiry: the server keeps keys for a quarter of what it promises.
  const newKeyStore = () => new KeyStore(mode === 'early-expiry' ? ttlMs / 4 : ttlMs);
  const shared = newKeyStore();
  // The bug (per-instance-store): each instance keeps its keys in its own memory, like
  // in-memory key caches behind a load balancer, while the orders stay in the one database.
  const stores = Array.from({ length: config.instances }, () => (mode === 'per-instance-store' ? newKeyStore() : shared));

  const servers: Server[] = [];
  // Set once listening: the description names the first instance as its server,
  // and states the retention clients are promised (early-expiry breaks it).
  let baseUrl = '';
  const openApi = () => demoOpenApi({ url: baseUrl, ttlMs });
  try {
    for (const [i, store] of stores.entries()) {
      const server = createServer(demoHandler(config, ledger, store, openApi));
      servers.push(server);
      await listen(server, config.port === 0 ? 0 : config.port + i, host);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => (s.listening ? stop(s) : undefined)));
    throw err;
  }

  const sweepEveryMs = Math.max(ttlMs, 1000);
  const sweeper = setInterval(() => new Set(stores).forEach((s) => s.sweep(sweepEveryMs)), sweepEveryMs);
  sweeper.unref();

  const ports = servers.map((s) => (s.address() as AddressInfo).port);
  const urlHost = host.includes(':') ? `[${host}]` : host;
  const urls = ports.map((p) => `http://${urlHost}:${p}`);
  baseUrl = urls[0]!;
  let closing: Promise<void> | undefined;

  return {
    url: urls[0]!,
    urls,
    port: ports[0]!,
    mode,
    orders: (tenant?: string) => ledger.orders.snapshot(tenant),
    refunds: (tenant?: string) => ledger.refunds.snapshot(tenant),
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await Promise.all(servers.map(stop));
      })();
      return closing;
    },
  };
}
