// The single-packet attack over HTTP/2: every request of the burst is open on
// a few connections with all of its body but the last byte already sent, and
// then the final DATA frames of all of them go out in one synchronous loop.
// node:http2 flushes everything a session queued in one tick as one socket
// write, so each connection's final frames leave in one write (one TCP
// packet, on a normal MTU, at up to ~25 frames) and reach the server together.
import http2 from 'node:http2';
import { timerDelay, TransportError } from '../http/errors.js';
import { withinMs, type BurstResult } from '../transport/burst.js';
import { burstExchanges, failExchange } from '../transport/exchange.js';
import { transportOptions } from '../transport/options.js';
import { encodeRequest } from '../transport/request.js';
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';
import { closeConnection, openH2Connection, type H2Connection } from './connect.js';
import { requestHeaders, responseHeaders } from './headers.js';

/** Final frames one release write may carry: about what one TCP packet holds. */
export const MAX_FINAL_FRAMES_PER_WRITE = 25;
/** At most this many connections are being opened at the same time. */
export const MAX_CONCURRENT_H2_CONNECTS = 16;
/** SETTINGS_MAX_CONCURRENT_STREAMS when the peer sets none (node reports 2^32-1). */
const UNLIMITED = 0xffffffff;

export interface H2BurstOptions extends TransportOptions {
  /** One label per request; default "burst i/N". */
  labels?: string[];
}

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

type ErrorKind = NonNullable<Exchange['errorKind']>;

interface Slot {
  exchange: Exchange;
  url: URL;
  headers: http2.OutgoingHttpHeaders;
  body: Buffer;
  /** Body bytes sent before the release (normally all but the last). */
  held: number;
  conn?: Conn;
  stream?: http2.ClientHttp2Stream;
  /** Prefix flushed and connection warmed: ready for the release. */
  primed: boolean;
  settled: boolean;
  status?: number;
  headersIn?: Record<string, string>;
  chunks: Buffer[];
  received: number;
  done: Promise<void>;
  resolve: () => void;
}

interface Conn {
  h2: H2Connection;
  slots: Slot[];
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
 * pending exchanges fail with 'timeout'. Every session and socket is
 * destroyed on return.
 */
export async function singlePacketBurst(reqs: HttpRequest[], opts: H2BurstOptions): Promise<H2BurstResult> {
  const total = reqs.length;
  const started = now();
  const exchanges = burstExchanges(reqs, opts.labels, started);
  const empty: H2BurstResult = { exchanges, releaseSkewMs: 0, connectMs: 0, released: 0, connections: 0, finalWrites: [], finalWriteCalls: [] };
  if (total === 0) return empty;

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
    const { url, payload: headers } = encoded;
    let resolve!: () => void;
    const done = new Promise<void>((r) => (resolve = r));
    const body = req.body ?? Buffer.alloc(0);
    const slot: Slot = { exchange, url, headers, body, held: 0, primed: false, settled: false, chunks: [], received: 0, done, resolve };
    slots.push(slot);
    const group = groups.get(url.origin);
    if (group) group.push(slot);
    else groups.set(url.origin, [slot]);
  });

  const opened: H2Connection[] = [];
  const conns: Conn[] = [];
  const splits: string[] = [];
  let releaseTimer: NodeJS.Timeout | undefined;

  const open = async (url: URL, count: number): Promise<Array<H2Connection | TransportError>> => {
    const out: Array<H2Connection | TransportError> = new Array(count);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const k = next++;
        const left = prepDeadline - now();
        if (left <= 0) {
          out[k] = new TransportError('timeout', `not connected within ${opts.timeoutMs} ms (burst connect phase)`);
          continue;
        }
        try {
          const conn = await openH2Connection(url, transport, left);
          opened.push(conn);
          out[k] = conn;
        } catch (err) {
          out[k] = err instanceof TransportError ? err : new TransportError('protocol', (err as Error).message);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(MAX_CONCURRENT_H2_CONNECTS, count) }, worker));
    return out;
  };

  /** Opens the connections of one origin and assigns its requests to them. */
  const plan = async (origin: string, group: Slot[]): Promise<void> => {
    const url = group[0]!.url;
    const first = await open(url, Math.ceil(group.length / MAX_FINAL_FRAMES_PER_WRITE));
    const live = first.filter((c): c is H2Connection => !(c instanceof TransportError));
    if (live.length === 0) {
      for (const slot of group) failSlot(slot, first[0] as TransportError);
      return;
    }
    // The peer's limits (the same server: take the strictest connection's).
    let maxStreams = UNLIMITED;
    let streamWindow = Infinity;
    let connWindow = Infinity;
    for (const c of live) {
      maxStreams = Math.min(maxStreams, c.session.remoteSettings.maxConcurrentStreams ?? UNLIMITED);
      streamWindow = Math.min(streamWindow, c.session.remoteSettings.initialWindowSize ?? 65_535);
      connWindow = Math.min(connWindow, c.session.state.remoteWindowSize ?? 65_535);
    }
    if (maxStreams < 1) {
      for (const slot of group) {
        failSlot(slot, new TransportError('protocol', `${live[0]!.where} allows no concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)`));
      }
      return;
    }
    const perConn = Math.min(maxStreams, MAX_FINAL_FRAMES_PER_WRITE);
    const bins: Slot[][] = [];
    let bin: Slot[] = [];
    let binWindow = 0;
    let windowBound = false;
    let streamBound = false;
    let oversized = 0;
    for (const slot of group) {
      const want = Math.max(0, slot.body.length - 1);
      slot.held = Math.min(want, streamWindow, connWindow);
      if (slot.held < want) oversized++;
      const full = bin.length >= perConn;
      const noWindow = bin.length > 0 && binWindow + slot.held > connWindow;
      if (full || noWindow) {
        if (full) streamBound = true;
        else windowBound = true;
        bins.push(bin);
        bin = [];
        binWindow = 0;
      }
      bin.push(slot);
      binWindow += slot.held;
    }
    bins.push(bin);

    const pool: Array<H2Connection | TransportError> = [...live];
    if (bins.length > live.length) pool.push(...(await open(url, bins.length - live.length)));
    for (const extra of live.slice(bins.length)) closeConnection(extra);
    bins.forEach((slotsOfBin, k) => {
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

    const notes: string[] = [];
    if (bins.length > 1) {
      const why: string[] = [];
      if (streamBound && maxStreams < MAX_FINAL_FRAMES_PER_WRITE) why.push(`the server allows ${maxStreams} concurrent streams`);
      else if (streamBound) why.push(`at most ${MAX_FINAL_FRAMES_PER_WRITE} final frames per release write`);
      if (windowBound) why.push(`the held-back bodies must fit the ${connWindow}-byte connection flow-control window`);
      notes.push(`${group.length} requests over ${bins.length} connections of at most ${perConn} streams (${why.join('; ')})`);
    }
    if (oversized > 0) {
      const window = Math.min(streamWindow, connWindow);
      notes.push(
        oversized === 1
          ? `1 request body exceeds the ${window}-byte flow-control window: its remainder is sent at the release`
          : `${oversized} request bodies exceed the ${window}-byte flow-control window: their remainder is sent at the release`,
      );
    }
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
    for (const c of opened) closeConnection(c);
    for (const slot of slots) fail(slot, 'protocol', 'burst ended before this request completed');
    for (const exchange of exchanges) {
      if (!exchange.response && !exchange.error) failExchange(exchange, new Error('burst ended before this request completed'));
    }
  }
}

function nextImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Settles a slot with an error (no-op when already settled). */
function fail(slot: Slot, kind: ErrorKind, message: string): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.exchange.error = message;
  slot.exchange.errorKind = kind;
  slot.exchange.endedAt = now();
  slot.resolve();
}

function failSlot(slot: Slot, err: TransportError): void {
  fail(slot, err.kind, err.message);
}

function succeed(slot: Slot): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.exchange.response = {
    status: slot.status!,
    headers: slot.headersIn ?? {},
    body: slot.chunks.length === 1 ? slot.chunks[0]! : Buffer.concat(slot.chunks),
  };
  slot.exchange.endedAt = now();
  slot.resolve();
}

/** Session-level trouble fails every pending exchange of the connection. */
function watchSession(conn: Conn): void {
  const { session, where } = conn.h2;
  const failAll = (kind: ErrorKind, message: string): void => {
    for (const slot of conn.slots) fail(slot, kind, message);
  };
  session.on('error', (err: NodeJS.ErrnoException) => {
    const kind: ErrorKind = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'protocol';
    failAll(kind, `HTTP/2 connection to ${where} failed: ${err.message}`);
  });
  session.on('goaway', (code: number, lastStreamID: number) => {
    for (const slot of conn.slots) {
      const id = slot.stream?.id;
      if (id === undefined || id > lastStreamID) {
        fail(slot, 'reset', `${where} sent GOAWAY (${errorName(code)}) before taking this stream`);
      }
    }
  });
  session.on('close', () => failAll('reset', `connection to ${where} closed before a complete response`));
}

/**
 * Opens the connection's streams, writes each body but its held-back tail,
 * waits for those writes to be flushed, then a PING round trip (which also
 * proves the server has read every frame before it). Marks the slots ready
 * for the release; bounded by deadline.
 */
async function prime(conn: Conn, deadline: number): Promise<void> {
  const { session, where, tap, raw } = conn.h2;
  const flushed = new Set<Slot>();
  const writes: Array<Promise<void>> = [];
  for (const slot of conn.slots) {
    if (slot.settled) continue;
    let stream: http2.ClientHttp2Stream;
    try {
      stream = session.request(slot.headers, { endStream: false });
    } catch (err) {
      fail(slot, 'protocol', `cannot send request to ${where}: ${(err as Error).message}`);
      continue;
    }
    slot.stream = stream;
    watchStream(slot, stream, where);
    if (slot.held === 0) {
      flushed.add(slot);
      continue;
    }
    writes.push(
      new Promise<void>((resolve) => {
        stream.write(slot.body.subarray(0, slot.held), (err) => {
          if (!err) flushed.add(slot);
          resolve();
        });
        void slot.done.then(resolve);
      }),
    );
  }
  const within = (promise: Promise<unknown>): Promise<boolean> => withinMs(promise, deadline - now());
  if (!(await within(Promise.all(writes)))) return;
  const pinged = await within(
    new Promise<void>((resolve, reject) => {
      const ok = session.ping((err) => (err ? reject(err) : resolve()));
      if (!ok) reject(new Error('too many pings in flight'));
    }).catch(() => {
      throw new Error('ping failed');
    }),
  ).catch(() => false);
  if (!pinged) return;
  await nextImmediate();
  // Nothing may still sit in a buffer of ours: the tap's or the socket's.
  if (tap.writableLength > 0 || raw.writableLength > 0) {
    await within(
      new Promise<void>((resolve) => {
        const check = (): void => {
          if (tap.writableLength === 0 && raw.writableLength === 0) resolve();
          else setTimeout(check, 1);
        };
        check();
      }),
    );
  }
  for (const slot of flushed) if (!slot.settled) slot.primed = true;
}

function watchStream(slot: Slot, stream: http2.ClientHttp2Stream, where: string): void {
  stream.on('response', (headers) => {
    slot.exchange.firstByteAt ??= now();
    slot.status = Number(headers[':status']);
    slot.headersIn = responseHeaders(headers);
  });
  stream.on('data', (chunk: Buffer) => {
    slot.received += chunk.length;
    slot.chunks.push(chunk);
  });
  stream.on('end', () => {
    if (slot.status === undefined) fail(slot, 'protocol', `stream to ${where} ended without response headers`);
    else succeed(slot);
  });
  stream.on('error', (err: NodeJS.ErrnoException) => {
    const kind: ErrorKind = err.code === 'ERR_HTTP2_STREAM_ERROR' || err.code === 'ERR_HTTP2_GOAWAY_SESSION' ? 'reset' : 'protocol';
    fail(slot, kind, `stream to ${where} failed: ${err.message}`);
  });
  stream.on('close', () => {
    fail(slot, 'reset', `${where} closed the stream before a complete response (${errorName(stream.rstCode)})`);
  });
}

/** "NGHTTP2_REFUSED_STREAM (7)" for an HTTP/2 error code. */
function errorName(code: number | undefined): string {
  if (code === undefined) return 'no error code';
  const constants = http2.constants as unknown as Record<string, number>;
  for (const [name, value] of Object.entries(constants)) {
    if (value === code && name.startsWith('NGHTTP2_') && !name.startsWith('NGHTTP2_ERR_') && name !== 'NGHTTP2_SESSION_CLIENT') {
      return `${name} (${code})`;
    }
  }
  return `error code ${code}`;
}
