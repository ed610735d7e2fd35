// Last-byte synchronisation: every request of the burst is on the wire except
// its final byte, and then all the final bytes go out in one synchronous loop
// (rehearsed first: see REHEARSALS).
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

/**
 * Rehearsals of the release before the real one: the release loop run on the
 * very sockets, each pass writing an empty buffer to each (nothing reaches
 * the wire), one pass after the other with no await between them. The loop
 * is the same code for every burst, but a burst that runs it cold, or while
 * V8 tiers the write path up, lands its duplicates further apart, and which
 * burst of a process that hits varies (without rehearsal, in fresh processes
 * sending three bursts of 20, the median arrival spread by burst index
 * ranged 0.34–1.6 ms, the first or the third the slow one). An earlier
 * version rehearsed by writing held-back request bytes 1 ms apart: as tight,
 * but on a loaded box it caught fewer races (the server reads those bytes,
 * and the release waits 2 ms more), so the rehearsal now gives the server
 * nothing to read and costs the release no wait.
 * `npm run bench -- --only bursts` measures it (docs/benchmarks.md).
 */
export const REHEARSALS = 8;

export interface H1BurstOptions extends BurstOptions {
  /** Rehearsal passes before the release (default REHEARSALS); the bench compares 0. */
  rehearsals?: number;
  /**
   * For measurement: called once every prefix is flushed, synchronously,
   * just before the rehearsals (the bench notes there which CPUs the client
   * and the target are on). Keep it short: the release waits for it.
   */
  beforeRelease?: () => void;
}

/** What a rehearsal writes: nothing, through the same calls as the final byte. */
const REHEARSAL = Buffer.alloc(0);

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
 * The release loop: each slot's `bytes(slot)`, then the time right after
 * it. Run for every rehearsal and for the release itself, so that the
 * release runs code that has run before.
 */
function writePass(slots: Primed[], bytes: (slot: Primed) => Buffer, times: number[]): void {
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    slot.collector.conn.stream.write(bytes(slot));
    times[i] = now();
  }
}

/**
 * Opens one connection per request (at most MAX_CONCURRENT_CONNECTS at once),
 * writes each request but its final byte, waits until those writes are
 * flushed, rehearses the release loop (empty writes, REHEARSALS passes), then
 * releases all final bytes in that same synchronous loop and collects the
 * responses.
 * Never throws for transport failures; failed connections become exchanges
 * with errors and are not released.
 *
 * Bounds: connecting and priming together take at most opts.timeoutMs;
 * responses are awaited at most opts.timeoutMs after the release, then the
 * pending exchanges fail with 'timeout'. Each response body is bounded by
 * opts.maxResponseBytes (default 16 MiB), as in sendRaw. Every socket is
 * destroyed on return.
 */
export async function lastByteBurst(reqs: HttpRequest[], opts: H1BurstOptions): Promise<BurstResult> {
  const total = reqs.length;
  const maxResponseBytes = responseLimit(opts);
  const started = now();
  const exchanges = burstExchanges(reqs, opts.labels, started);
  if (total === 0) return { exchanges, releaseSkewMs: 0, connectMs: 0, released: 0 };
  const primed: Array<Primed | undefined> = new Array(total);
  const connections: Connection[] = [];
  const transport = transportOptions(opts);
  const prepDeadline = started + opts.timeoutMs;
  const rehearsals = Math.max(0, Math.floor(opts.rehearsals ?? REHEARSALS));

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
    const start = bytes.length - 1;
    const slot: Primed = { collector, last: bytes.subarray(start), flushed: false, ready: Promise.resolve() };
    slot.ready = new Promise<void>((resolve) => {
      void collector.done.then(() => resolve());
      try {
        conn.stream.write(bytes.subarray(0, start), (err) => {
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

    // Rehearsals, then the release: the same synchronous loop on the same
    // sockets, no await anywhere in between.
    const times: number[] = [];
    const toRelease = slots.filter((s) => s.flushed && !s.collector.settled);
    opts.beforeRelease?.();
    for (let pass = 0; pass < rehearsals; pass++) writePass(toRelease, () => REHEARSAL, times);
    writePass(toRelease, (slot) => slot.last, times);
    let first = Infinity;
    let last = -Infinity;
    for (let i = 0; i < toRelease.length; i++) {
      const sentAt = times[i]!;
      toRelease[i]!.collector.exchange.sentAt = sentAt;
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
