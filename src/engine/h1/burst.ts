// Last-byte synchronisation: every request of the burst is on the wire except
// its final byte, and then all the final bytes go out in one synchronous loop
// (rehearsed first: see REHEARSALS).
// The server sees N requests complete within (roughly) one scheduling quantum,
// which is what exposes check-then-act races in idempotency stores.
import { setTimeout as sleep } from 'node:timers/promises';
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
 * Rehearsals of the release before the real one. The release loop is the
 * same code for every burst, but a burst that runs it cold, or while V8 is
 * tiering the write path up, lands its duplicates further apart, and which
 * burst of a process that hits varies: in fresh processes sending three
 * bursts of 20, without rehearsal the median arrival spread by burst index
 * ranged 0.33–1.55 ms over two runs of 20 processes each (the worst index
 * not the same from run to run), with two rehearsals 0.36–0.51 ms for every
 * index. Each rehearsal runs the very loop on the very sockets,
 * writing one more of the held-back bytes, which completes no request: the
 * server still sees each request complete only at the final byte. One pass
 * was not enough (0.38–0.99 ms); 4 or 8 passes, or 10 ms between them, were
 * no tighter than two 1 ms apart (a gap of 0 is the same: Node's timers wait
 * at least 1 ms). `npm run bench -- --only bursts` measures it
 * (docs/benchmarks.md, "First burst and later bursts").
 */
export const REHEARSALS = 2;
/** After each rehearsal pass, before the next one or the release. */
export const REHEARSAL_GAP_MS = 1;

export interface H1BurstOptions extends BurstOptions {
  /** Rehearsal passes before the release (default REHEARSALS); the bench compares 0. */
  rehearsals?: number;
  /** Pause after each rehearsal pass (default REHEARSAL_GAP_MS). */
  rehearsalGapMs?: number;
}

interface Primed {
  collector: ResponseCollector;
  /** The held-back bytes, one per pass: the rehearsals', then the final one. */
  tail: Buffer[];
  /** Set when the write of everything but the held-back bytes has been flushed. */
  flushed: boolean;
  /** Resolves when that write is flushed or failed, or the connection is gone. */
  ready: Promise<void>;
}

/**
 * The release loop: each slot's byte of this pass, then the time right after
 * it. Run for every rehearsal and for the release itself, so that the release
 * runs code that has run before.
 */
function writePass(slots: Primed[], pass: number, times: number[]): void {
  for (let i = 0; i < slots.length; i++) {
    const slot = slots[i]!;
    slot.collector.conn.stream.write(slot.tail[pass]!);
    times[i] = now();
  }
}

/**
 * Opens one connection per request (at most MAX_CONCURRENT_CONNECTS at once),
 * writes each request but its last `rehearsals + 1` bytes, waits until those
 * writes are flushed, rehearses the release once per rehearsal (the release
 * loop writing one of those bytes, REHEARSAL_GAP_MS apart), then releases all
 * final bytes in that same synchronous loop and collects the responses.
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
  const rehearsalGapMs = Math.max(0, opts.rehearsalGapMs ?? REHEARSAL_GAP_MS);

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
    // One byte per rehearsal and the final one, all from the end; a request
    // too short for them all gets fewer rehearsals (never none of its bytes up front).
    const held = Math.max(1, Math.min(rehearsals + 1, bytes.length - 1));
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
    const start = bytes.length - held;
    const tail = Array.from({ length: held }, (_, k) => bytes.subarray(start + k, start + k + 1));
    // Fewer held bytes than passes: the earliest passes repeat nothing (an empty write).
    while (tail.length < rehearsals + 1) tail.unshift(Buffer.alloc(0));
    const slot: Primed = { collector, tail, flushed: false, ready: Promise.resolve() };
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

    // Rehearsals: the release loop on the same sockets, each pass one held-back
    // byte that completes no request. A connection the server answered or
    // closed meanwhile drops out, as it would from the release.
    const times: number[] = [];
    const live = () => slots.filter((s) => s.flushed && !s.collector.settled);
    for (let pass = 0; pass < rehearsals; pass++) {
      writePass(live(), pass, times);
      await sleep(rehearsalGapMs);
    }

    // The release: the same synchronous loop, no await.
    const toRelease = live();
    writePass(toRelease, rehearsals, times);
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
