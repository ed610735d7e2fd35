// Last-byte synchronisation: every request of the burst is on the wire except
// its final byte, and then all the final bytes go out in one synchronous loop.
// The server sees N requests complete within (roughly) one scheduling quantum,
// which is what exposes check-then-act races in idempotency stores.
import { now, type HttpRequest } from '../../model/http.js';
import { timerDelay, TransportError } from '../http/errors.js';
import { forEachLimited, withinMs, type BurstOptions, type BurstResult } from '../transport/burst.js';
import { burstExchanges, failExchange } from '../transport/exchange.js';
import { responseLimit, transportOptions } from '../transport/options.js';
import { encodeRequest } from '../transport/request.js';
import { ResponseCollector, destroyConnection } from './collector.js';
import { openConnection, type Connection } from './connect.js';
import { serializeRequest } from './serialize.js';

export type { BurstOptions, BurstResult } from '../transport/burst.js';

/** At most this many connections are being opened at the same time. */
export const MAX_CONCURRENT_CONNECTS = 64;

interface Primed {
  collector: ResponseCollector;
  /** The final byte, held back until the release. */
  last: Buffer;
  /** Set when the write of everything but the final byte has been flushed. */
  flushed: boolean;
  /** Resolves when that write is flushed or failed, or the connection is gone. */
  ready: Promise<void>;
}

/**
 * Opens one connection per request (at most MAX_CONCURRENT_CONNECTS at once),
 * writes each request but its final byte, waits until those writes are
 * flushed, then releases all final bytes in one synchronous loop and collects
 * the responses. Never throws for transport failures; failed connections
 * become exchanges with errors and are not released.
 *
 * Bounds: connecting and priming together take at most opts.timeoutMs;
 * responses are awaited at most opts.timeoutMs after the release, then the
 * pending exchanges fail with 'timeout'. Each response body is bounded by
 * opts.maxResponseBytes (default 16 MiB), as in sendRaw. Every socket is
 * destroyed on return.
 */
export async function lastByteBurst(reqs: HttpRequest[], opts: BurstOptions): Promise<BurstResult> {
  const total = reqs.length;
  const maxResponseBytes = responseLimit(opts);
  const started = now();
  const exchanges = burstExchanges(reqs, opts.labels, started);
  if (total === 0) return { exchanges, releaseSkewMs: 0, connectMs: 0, released: 0 };
  const primed: Array<Primed | undefined> = new Array(total);
  const connections: Connection[] = [];
  const transport = transportOptions(opts);
  const prepDeadline = started + opts.timeoutMs;

  const prepare = async (i: number): Promise<void> => {
    const exchange = exchanges[i]!;
    const req = reqs[i]!;
    exchange.startedAt = now();
    const encoded = encodeRequest(req, () => serializeRequest(req));
    if (encoded instanceof TransportError) {
      failExchange(exchange, encoded);
      return;
    }
    const { url, payload: bytes } = encoded;
    const left = prepDeadline - exchange.startedAt;
    if (left <= 0) {
      failExchange(exchange, new TransportError('timeout', `not connected within ${opts.timeoutMs} ms (burst connect phase)`));
      return;
    }
    let conn: Connection;
    try {
      conn = await openConnection(url, { ...transport, timeoutMs: left });
    } catch (err) {
      failExchange(exchange, err);
      return;
    }
    connections.push(conn);
    const collector = new ResponseCollector(conn, exchange, { origin: url.origin, maxResponseBytes, signal: opts.signal });
    const slot: Primed = { collector, last: bytes.subarray(bytes.length - 1), flushed: false, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve) => {
      void collector.done.then(() => resolve());
      try {
        conn.stream.write(bytes.subarray(0, bytes.length - 1), (err) => {
          if (!err) slot.flushed = true;
          resolve();
        });
      } catch (err) {
        collector.fail('protocol', `cannot send request to ${url.origin}: ${(err as Error).message}`);
      }
    });
    primed[i] = slot;
  };

  let releaseTimer: NodeJS.Timeout | undefined;
  try {
    // Connect phase: a fixed pool of workers pulls the next index.
    await forEachLimited(total, MAX_CONCURRENT_CONNECTS, async (i) => {
      try {
        await prepare(i);
      } catch (err) {
        failExchange(exchanges[i]!, err);
      }
    });
    const connectMs = now() - started;

    // Wait until every prefix is flushed, within the same bound as connecting.
    const slots = primed.filter((s): s is Primed => s !== undefined);
    await withinMs(
      Promise.all(slots.map((s) => s.ready)),
      prepDeadline - now(),
    );
    for (const slot of slots) {
      if (!slot.flushed) {
        slot.collector.fail('timeout', `request not written within ${opts.timeoutMs} ms (burst connect phase)`);
      }
    }

    // The release: one synchronous loop, no await.
    const toRelease = slots.filter((s) => s.flushed && !s.collector.settled);
    let first = Infinity;
    let last = -Infinity;
    for (const slot of toRelease) {
      slot.collector.conn.stream.write(slot.last);
      const sentAt = now();
      slot.collector.exchange.sentAt = sentAt;
      if (sentAt < first) first = sentAt;
      if (sentAt > last) last = sentAt;
    }
    const released = toRelease.length;
    const releaseSkewMs = released > 0 ? last - first : 0;

    // Collect the responses, bounded by opts.timeoutMs after the release.
    releaseTimer = setTimeout(() => {
      for (const slot of slots) {
        slot.collector.fail(
          'timeout',
          `no complete response within ${opts.timeoutMs} ms after the burst release (${slot.collector.received} response bytes received)`,
        );
      }
    }, timerDelay(opts.timeoutMs));
    await Promise.all(slots.map((s) => s.collector.done));
    return { exchanges, releaseSkewMs, connectMs, released };
  } finally {
    clearTimeout(releaseTimer);
    for (const conn of connections) destroyConnection(conn);
    for (const exchange of exchanges) {
      if (!exchange.response && !exchange.error) failExchange(exchange, new Error('burst ended before this request completed'));
    }
  }
}
