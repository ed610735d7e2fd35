// The single-packet attack over HTTP/2: every request of the burst is open on
// a few connections with all of its body but the last byte already sent, and
// then the final DATA frames of all of them go out in one synchronous loop.
// node:http2 flushes everything a session queued in one tick as one socket
// write, so each connection's final frames leave in one write (one TCP
// packet, on a normal MTU, at up to ~25 frames) and reach the server together.
import { now, type HttpRequest } from '../../model/http.js';
import { timerDelay, TransportError, whenAborted } from '../http/errors.js';
import { INTERRUPTED } from '../../model/errors.js';
import { forEachLimited, nextImmediate, type BurstOptions, type BurstResult } from '../transport/burst.js';
import { burstExchanges, failExchange } from '../transport/exchange.js';
import { responseLimit, transportOptions } from '../transport/options.js';
import { encodeRequest } from '../transport/request.js';
import { closeConnection, openH2Connection, type H2Connection } from './connect.js';
import { requestHeaders } from './headers.js';
import { initialConnections, packingNotes, packStreams, peerLimits, strictest } from './packing.js';
import { prime } from './prime.js';
import { fail, failSlot, newSlot, watchSession, type Conn, type Slot } from './streams.js';

export { MAX_FINAL_FRAMES_PER_WRITE } from './packing.js';

/** At most this many connections are being opened at the same time. */
export const MAX_CONCURRENT_H2_CONNECTS = 16;

export type H2BurstOptions = BurstOptions;

export interface H2BurstResult extends BurstResult {
  /** Connections the burst was released over. */
  connections: number;
  /** Bytes written to the socket in the release, per connection (ciphertext under TLS). */
  finalWrites: number[];
  /** Socket writes the release took, per connection: 1 is the single-packet property. */
  finalWriteCalls: number[];
  /** Why and how the burst was split over several connections, when it was. */
  split?: string;
}

/**
 * Sends the requests as one single-packet burst over HTTP/2 (h2c with prior
 * knowledge for http:, ALPN h2 for https:) and collects the responses. Never
 * throws for transport failures: failed requests become exchanges with
 * errors and are not released.
 *
 * Per origin the requests are spread over as few connections as the peer's
 * SETTINGS_MAX_CONCURRENT_STREAMS, its flow-control windows (the bodies held
 * before the release must fit) and MAX_FINAL_FRAMES_PER_WRITE allow; every
 * connection is released in the same synchronous loop.
 *
 * Bounds: connecting and priming together take at most opts.timeoutMs;
 * responses are awaited at most opts.timeoutMs after the release, then the
 * pending exchanges fail with 'timeout'. Each response body is bounded by
 * opts.maxResponseBytes (default 16 MiB): past it that exchange fails
 * ('protocol') and its stream is reset. An aborted opts.signal fails every
 * pending exchange at once ('interrupted') and closes every connection.
 * Every session and socket is destroyed on return.
 */
export async function singlePacketBurst(reqs: HttpRequest[], opts: H2BurstOptions): Promise<H2BurstResult> {
  const maxResponseBytes = responseLimit(opts);
  const started = now();
  const exchanges = burstExchanges(reqs, opts.labels, started);
  const empty: H2BurstResult = { exchanges, releaseSkewMs: 0, connectMs: 0, released: 0, connections: 0, finalWrites: [], finalWriteCalls: [] };
  if (reqs.length === 0) return empty;

  const prepDeadline = started + opts.timeoutMs;
  const transport = transportOptions(opts);

  // Requests that cannot be sent fail now; the rest are grouped by origin.
  const slots: Slot[] = [];
  const groups = new Map<string, Slot[]>();
  exchanges.forEach((exchange, i) => {
    const req = reqs[i]!;
    const encoded = encodeRequest(req, (url) => requestHeaders(req, url));
    if (encoded instanceof TransportError) {
      failExchange(exchange, encoded);
      return;
    }
    const slot = newSlot(exchange, encoded.url, encoded.payload, req.body ?? Buffer.alloc(0), maxResponseBytes);
    slots.push(slot);
    const group = groups.get(encoded.url.origin);
    if (group) group.push(slot);
    else groups.set(encoded.url.origin, [slot]);
  });

  const opened: H2Connection[] = [];
  const conns: Conn[] = [];
  const splits: string[] = [];
  let releaseTimer: NodeJS.Timeout | undefined;
  // Connections opened after this are refused by the connector itself.
  const stopListening = whenAborted(opts.signal, () => {
    for (const slot of slots) fail(slot, 'interrupted', INTERRUPTED);
    for (const c of opened) closeConnection(c);
  });

  /** Opens count connections to url's origin, at most MAX_CONCURRENT_H2_CONNECTS at a time, within the connect phase. */
  const open = async (url: URL, count: number): Promise<Array<H2Connection | TransportError>> => {
    const out: Array<H2Connection | TransportError> = new Array(count);
    await forEachLimited(count, MAX_CONCURRENT_H2_CONNECTS, async (k) => {
      const left = prepDeadline - now();
      if (left <= 0) {
        out[k] = new TransportError('timeout', `not connected within ${opts.timeoutMs} ms (burst connect phase)`);
        return;
      }
      try {
        const conn = await openH2Connection(url, transport, left);
        opened.push(conn);
        out[k] = conn;
      } catch (err) {
        out[k] = err instanceof TransportError ? err : new TransportError('protocol', (err as Error).message);
      }
    });
    return out;
  };

  /** Opens the connections of one origin and packs its requests onto them. */
  const plan = async (origin: string, group: Slot[]): Promise<void> => {
    const url = group[0]!.url;
    const first = await open(url, initialConnections(group.length));
    const live = first.filter((c): c is H2Connection => !(c instanceof TransportError));
    if (live.length === 0) {
      for (const slot of group) failSlot(slot, first[0] as TransportError);
      return;
    }
    const limits = strictest(live.map((c) => peerLimits(c.session.remoteSettings, c.session.state)));
    if (limits.maxConcurrentStreams < 1) {
      const refused = new TransportError('protocol', `${live[0]!.where} allows no concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)`);
      for (const slot of group) failSlot(slot, refused);
      return;
    }
    const packing = packStreams(group.map((slot) => slot.body.length), limits);
    group.forEach((slot, i) => (slot.held = packing.held[i]!));

    const pool: Array<H2Connection | TransportError> = [...live];
    if (packing.bins.length > live.length) pool.push(...(await open(url, packing.bins.length - live.length)));
    for (const extra of live.slice(packing.bins.length)) closeConnection(extra);
    packing.bins.forEach((bin, k) => {
      const slotsOfBin = bin.map((i) => group[i]!);
      const c = pool[k]!;
      if (c instanceof TransportError) {
        for (const slot of slotsOfBin) failSlot(slot, c);
        return;
      }
      const conn: Conn = { h2: c, slots: slotsOfBin };
      for (const slot of slotsOfBin) slot.conn = conn;
      watchSession(conn);
      conns.push(conn);
    });

    const notes = packingNotes(packing, limits);
    if (notes.length > 0) splits.push(groups.size > 1 ? `${origin}: ${notes.join('; ')}` : notes.join('; '));
  };

  try {
    await Promise.all([...groups].map(([origin, group]) => plan(origin, group)));
    const connectMs = now() - started;

    // Prime: open every stream, send all but the held-back bytes, warm up.
    await Promise.all(conns.map((conn) => prime(conn, prepDeadline)));
    for (const slot of slots) {
      if (!slot.primed) {
        failSlot(slot, new TransportError('timeout', `request not written within ${opts.timeoutMs} ms (burst connect phase)`));
      }
    }

    // The release: one synchronous loop over every connection, no await.
    for (const conn of conns) conn.h2.tap.arm();
    let first = Infinity;
    let last = -Infinity;
    let released = 0;
    for (const conn of conns) {
      for (const slot of conn.slots) {
        if (!slot.primed || slot.settled || !slot.stream) continue;
        const rest = slot.body.subarray(slot.held);
        try {
          if (rest.length > 0) slot.stream.end(rest);
          else slot.stream.end();
        } catch (err) {
          fail(slot, 'protocol', `cannot send request to ${conn.h2.where}: ${(err as Error).message}`);
          continue;
        }
        const sentAt = now();
        slot.exchange.sentAt = sentAt;
        if (sentAt < first) first = sentAt;
        if (sentAt > last) last = sentAt;
        released++;
      }
    }
    const releaseSkewMs = released > 0 ? last - first : 0;
    // Responses are bounded from here on.
    releaseTimer = setTimeout(() => {
      for (const slot of slots) {
        fail(
          slot,
          'timeout',
          `no complete response within ${opts.timeoutMs} ms after the burst release (${slot.status === undefined ? 'no response headers' : `status ${slot.status}`}, ${slot.received} body bytes received)`,
        );
      }
    }, timerDelay(opts.timeoutMs));

    // node writes a session's queued frames from an immediate scheduled in the
    // release tick (after its nextTicks). Two rounds of setImmediate cover it,
    // and end before any write a response could trigger.
    await nextImmediate();
    await nextImmediate();
    const tallies = conns.map((conn) => conn.h2.tap.disarm());

    await Promise.all(slots.map((s) => s.done));
    const result: H2BurstResult = {
      exchanges,
      releaseSkewMs,
      connectMs,
      released,
      connections: conns.length,
      finalWrites: tallies.map((t) => t.bytes),
      finalWriteCalls: tallies.map((t) => t.writes),
    };
    if (splits.length > 0) result.split = splits.join('; ');
    return result;
  } finally {
    clearTimeout(releaseTimer);
    stopListening();
    for (const c of opened) closeConnection(c);
    for (const slot of slots) fail(slot, 'protocol', 'burst ended before this request completed');
    for (const exchange of exchanges) {
      if (!exchange.response && !exchange.error) failExchange(exchange, new Error('burst ended before this request completed'));
    }
  }
}
