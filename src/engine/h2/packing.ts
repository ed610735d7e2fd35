// How a single-packet burst is packed onto HTTP/2 connections: pure
// arithmetic over the peer's limits, no sockets. Each connection carries at
// most as many streams as the peer allows at once and one release write
// holds; the bodies held back before the release (all but the last byte of
// each) must fit the flow-control windows, the stream's and the
// connection's, or the server would see them only at the release.

/** Final frames one release write may carry: about what one TCP packet holds. */
export const MAX_FINAL_FRAMES_PER_WRITE = 25;
/** SETTINGS_MAX_CONCURRENT_STREAMS when the peer sets none (node reports 2^32-1). */
export const UNLIMITED_STREAMS = 0xffffffff;
/** The flow-control window of HTTP/2 before any SETTINGS or WINDOW_UPDATE (RFC 9113 §6.9.2). */
export const DEFAULT_WINDOW = 65_535;

/** What the peer allows, as far as packing is concerned. */
export interface PeerLimits {
  /** SETTINGS_MAX_CONCURRENT_STREAMS. */
  maxConcurrentStreams: number;
  /** SETTINGS_INITIAL_WINDOW_SIZE: each new stream's send window. */
  streamWindow: number;
  /** The connection's send window. */
  connectionWindow: number;
}

/** The limits as node reports them for one session; absent values are the protocol's defaults. */
export function peerLimits(
  remoteSettings: { maxConcurrentStreams?: number; initialWindowSize?: number },
  state: { remoteWindowSize?: number },
): PeerLimits {
  return {
    maxConcurrentStreams: remoteSettings.maxConcurrentStreams ?? UNLIMITED_STREAMS,
    streamWindow: remoteSettings.initialWindowSize ?? DEFAULT_WINDOW,
    connectionWindow: state.remoteWindowSize ?? DEFAULT_WINDOW,
  };
}

/** The strictest of several connections' limits (the same server: plan for the tightest). */
export function strictest(all: readonly PeerLimits[]): PeerLimits {
  const out: PeerLimits = { maxConcurrentStreams: UNLIMITED_STREAMS, streamWindow: Infinity, connectionWindow: Infinity };
  for (const l of all) {
    out.maxConcurrentStreams = Math.min(out.maxConcurrentStreams, l.maxConcurrentStreams);
    out.streamWindow = Math.min(out.streamWindow, l.streamWindow);
    out.connectionWindow = Math.min(out.connectionWindow, l.connectionWindow);
  }
  return out;
}

/** Connections to open before the peer's limits are known: as many as the per-write cap needs. */
export function initialConnections(requests: number, maxFramesPerWrite = MAX_FINAL_FRAMES_PER_WRITE): number {
  return Math.ceil(requests / maxFramesPerWrite);
}

export interface Packing {
  /** Streams per connection at most: min(peer's concurrent streams, frames per write). */
  perConnection: number;
  /** Body bytes of each request sent before the release, by request index. */
  held: number[];
  /** Request indexes per connection, in request order; none for no requests. */
  bins: number[][];
  /** A connection was closed because it had perConnection streams. */
  streamBound: boolean;
  /** A connection was closed because the next held-back body would overflow its window. */
  windowBound: boolean;
  /** Requests whose body exceeds the window: more than the last byte goes at the release. */
  oversized: number;
}

/**
 * Packs requests with these body lengths onto connections, in order: a
 * request joins the current connection unless that has perConnection streams
 * already or the bytes it holds back would overflow the connection window
 * (a first request always fits: its held bytes are capped by the windows).
 * Throws a RangeError when the peer allows no concurrent stream at all.
 */
export function packStreams(
  bodyLengths: readonly number[],
  limits: PeerLimits,
  maxFramesPerWrite = MAX_FINAL_FRAMES_PER_WRITE,
): Packing {
  if (!(limits.maxConcurrentStreams >= 1)) {
    throw new RangeError(`the peer allows no concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS ${limits.maxConcurrentStreams})`);
  }
  if (!(maxFramesPerWrite >= 1)) throw new RangeError(`maxFramesPerWrite must be at least 1, got ${maxFramesPerWrite}`);
  const perConnection = Math.min(limits.maxConcurrentStreams, maxFramesPerWrite);
  const window = Math.min(limits.streamWindow, limits.connectionWindow);
  const packing: Packing = { perConnection, held: [], bins: [], streamBound: false, windowBound: false, oversized: 0 };
  let bin: number[] = [];
  let binHeld = 0;
  bodyLengths.forEach((length, i) => {
    const want = Math.max(0, length - 1);
    const held = Math.max(0, Math.min(want, window));
    packing.held.push(held);
    if (held < want) packing.oversized++;
    const full = bin.length >= perConnection;
    const noWindow = bin.length > 0 && binHeld + held > limits.connectionWindow;
    if (full || noWindow) {
      if (full) packing.streamBound = true;
      else packing.windowBound = true;
      packing.bins.push(bin);
      bin = [];
      binHeld = 0;
    }
    bin.push(i);
    binHeld += held;
  });
  if (bin.length > 0) packing.bins.push(bin);
  return packing;
}

/**
 * Why and how the requests were split, for the burst's `split`: one note per
 * fact (several connections; bodies larger than the window), or none when
 * the burst went out over one connection with every body held back whole.
 */
export function packingNotes(
  packing: Packing,
  limits: PeerLimits,
  maxFramesPerWrite = MAX_FINAL_FRAMES_PER_WRITE,
): string[] {
  const notes: string[] = [];
  const requests = packing.held.length;
  if (packing.bins.length > 1) {
    const why: string[] = [];
    if (packing.streamBound && limits.maxConcurrentStreams < maxFramesPerWrite) {
      why.push(`the server allows ${limits.maxConcurrentStreams} concurrent streams`);
    } else if (packing.streamBound) {
      why.push(`at most ${maxFramesPerWrite} final frames per release write`);
    }
    if (packing.windowBound) {
      why.push(`the held-back bodies must fit the ${limits.connectionWindow}-byte connection flow-control window`);
    }
    notes.push(`${requests} requests over ${packing.bins.length} connections of at most ${packing.perConnection} streams (${why.join('; ')})`);
  }
  if (packing.oversized > 0) {
    const window = Math.min(limits.streamWindow, limits.connectionWindow);
    notes.push(
      packing.oversized === 1
        ? `1 request body exceeds the ${window}-byte flow-control window: its remainder is sent at the release`
        : `${packing.oversized} request bodies exceed the ${window}-byte flow-control window: their remainder is sent at the release`,
    );
  }
  return notes;
}
