// Unit tests for the packing of a single-packet burst onto HTTP/2
// connections: pure arithmetic, no sockets.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  initialConnections,
  MAX_FINAL_FRAMES_PER_WRITE,
  packingNotes,
  packStreams,
  peerLimits,
  strictest,
  UNLIMITED_STREAMS,
  type PeerLimits,
} from '../../src/engine/h2/index.js';

/** node's defaults for a peer that sends an empty SETTINGS frame. */
const DEFAULTS: PeerLimits = { maxConcurrentStreams: UNLIMITED_STREAMS, streamWindow: 65_535, connectionWindow: 65_535 };

function limits(over: Partial<PeerLimits>): PeerLimits {
  return { ...DEFAULTS, ...over };
}

/** n bodies of `bytes` bytes each. */
function bodies(n: number, bytes: number): number[] {
  return Array.from({ length: n }, () => bytes);
}

describe('peerLimits and strictest', () => {
  test('absent settings are the protocol defaults; present ones are taken as given', () => {
    assert.deepEqual(peerLimits({}, {}), DEFAULTS);
    assert.deepEqual(peerLimits({ maxConcurrentStreams: 10, initialWindowSize: 1 << 20 }, { remoteWindowSize: 70_000 }), {
      maxConcurrentStreams: 10,
      streamWindow: 1 << 20,
      connectionWindow: 70_000,
    });
    assert.deepEqual(peerLimits({ maxConcurrentStreams: 0, initialWindowSize: 0 }, { remoteWindowSize: 0 }), {
      maxConcurrentStreams: 0,
      streamWindow: 0,
      connectionWindow: 0,
    });
  });

  test('the strictest of several connections takes each minimum on its own', () => {
    const a = limits({ maxConcurrentStreams: 100, streamWindow: 1000, connectionWindow: 90_000 });
    const b = limits({ maxConcurrentStreams: 50, streamWindow: 2000, connectionWindow: 80_000 });
    assert.deepEqual(strictest([a, b]), { maxConcurrentStreams: 50, streamWindow: 1000, connectionWindow: 80_000 });
    assert.deepEqual(strictest([a]), a);
  });
});

describe('initialConnections', () => {
  test('one connection per started group of MAX_FINAL_FRAMES_PER_WRITE requests', () => {
    assert.equal(MAX_FINAL_FRAMES_PER_WRITE, 25);
    assert.equal(initialConnections(0), 0);
    assert.equal(initialConnections(1), 1);
    assert.equal(initialConnections(25), 1);
    assert.equal(initialConnections(26), 2);
    assert.equal(initialConnections(100), 4);
    assert.equal(initialConnections(7, 3), 3);
  });
});

describe('packStreams', () => {
  test('20 small bodies fit one connection, each held back but its last byte', () => {
    const p = packStreams(bodies(20, 60), DEFAULTS);
    assert.equal(p.perConnection, 25);
    assert.deepEqual(p.bins, [Array.from({ length: 20 }, (_, i) => i)]);
    assert.deepEqual(p.held, bodies(20, 59));
    assert.equal(p.streamBound, false);
    assert.equal(p.windowBound, false);
    assert.equal(p.oversized, 0);
    assert.deepEqual(packingNotes(p, DEFAULTS), []);
  });

  test('no requests: no connections', () => {
    const p = packStreams([], DEFAULTS);
    assert.deepEqual(p, { perConnection: 25, held: [], bins: [], streamBound: false, windowBound: false, oversized: 0 });
    assert.deepEqual(packingNotes(p, DEFAULTS), []);
  });

  test('empty and one-byte bodies hold nothing back', () => {
    const p = packStreams([0, 1, 2], DEFAULTS);
    assert.deepEqual(p.held, [0, 0, 1]);
    assert.deepEqual(p.bins, [[0, 1, 2]]);
    assert.equal(p.oversized, 0);
  });

  test('exactly the per-write cap fits one connection; one more opens a second', () => {
    assert.deepEqual(packStreams(bodies(25, 10), DEFAULTS).bins.length, 1);
    const p = packStreams(bodies(26, 10), DEFAULTS);
    assert.deepEqual(p.bins.map((b) => b.length), [25, 1]);
    assert.deepEqual(p.bins[1], [25]);
    assert.equal(p.streamBound, true);
    assert.equal(p.windowBound, false);
    assert.deepEqual(packingNotes(p, DEFAULTS), [
      '26 requests over 2 connections of at most 25 streams (at most 25 final frames per release write)',
    ]);
  });

  test('100 requests: four connections of 25, in request order', () => {
    const p = packStreams(bodies(100, 10), DEFAULTS);
    assert.deepEqual(p.bins.map((b) => b.length), [25, 25, 25, 25]);
    assert.deepEqual(p.bins.flat(), Array.from({ length: 100 }, (_, i) => i));
    assert.match(packingNotes(p, DEFAULTS)[0]!, /^100 requests over 4 connections of at most 25 streams/);
  });

  test('a peer allowing fewer streams than the cap sets the size, and the note names the peer', () => {
    const l = limits({ maxConcurrentStreams: 10 });
    const p = packStreams(bodies(30, 10), l);
    assert.equal(p.perConnection, 10);
    assert.deepEqual(p.bins.map((b) => b.length), [10, 10, 10]);
    assert.deepEqual(packingNotes(p, l), [
      '30 requests over 3 connections of at most 10 streams (the server allows 10 concurrent streams)',
    ]);
  });

  test('a peer allowing one stream: one connection per request', () => {
    const l = limits({ maxConcurrentStreams: 1 });
    const p = packStreams(bodies(3, 5), l);
    assert.deepEqual(p.bins, [[0], [1], [2]]);
    assert.deepEqual(packingNotes(p, l), [
      '3 requests over 3 connections of at most 1 streams (the server allows 1 concurrent streams)',
    ]);
  });

  test('a peer allowing exactly the cap is the cap, not the peer', () => {
    const l = limits({ maxConcurrentStreams: 25 });
    const p = packStreams(bodies(30, 10), l);
    assert.match(packingNotes(p, l)[0]!, /\(at most 25 final frames per release write\)$/);
  });

  test('held-back bodies that would overflow the connection window start a new connection', () => {
    // 40,000-byte bodies hold back 39,999 bytes: two would need 79,998 > 65,535.
    const p = packStreams(bodies(3, 40_000), DEFAULTS);
    assert.deepEqual(p.held, [39_999, 39_999, 39_999]);
    assert.deepEqual(p.bins, [[0], [1], [2]]);
    assert.equal(p.windowBound, true);
    assert.equal(p.streamBound, false);
    assert.deepEqual(packingNotes(p, DEFAULTS), [
      '3 requests over 3 connections of at most 25 streams (the held-back bodies must fit the 65535-byte connection flow-control window)',
    ]);
  });

  test('held-back bytes exactly filling the connection window still fit', () => {
    const l = limits({ connectionWindow: 100 });
    // 51 and 51 bytes hold back 50 + 50 = 100: fits; a third of 2 bytes holds 1 more: new connection.
    const p = packStreams([51, 51, 2], l);
    assert.deepEqual(p.held, [50, 50, 1]);
    assert.deepEqual(p.bins, [[0, 1], [2]]);
    assert.equal(p.windowBound, true);
  });

  test('a body larger than the window holds back what fits and is counted as oversized', () => {
    const one = packStreams([100_000], DEFAULTS);
    assert.deepEqual(one.held, [65_535]);
    assert.deepEqual(one.bins, [[0]]);
    assert.equal(one.oversized, 1);
    assert.deepEqual(packingNotes(one, DEFAULTS), [
      '1 request body exceeds the 65535-byte flow-control window: its remainder is sent at the release',
    ]);
    // A body of window + 1 bytes holds back exactly the window: not oversized.
    assert.equal(packStreams([65_536], DEFAULTS).oversized, 0);
    assert.equal(packStreams([65_537], DEFAULTS).oversized, 1);
  });

  test('the stream window caps each body even when the connection window is larger', () => {
    const l = limits({ streamWindow: 1000, connectionWindow: 1_000_000 });
    const p = packStreams([5000, 5000, 10], l);
    assert.deepEqual(p.held, [1000, 1000, 9]);
    assert.deepEqual(p.bins, [[0, 1, 2]]);
    assert.equal(p.oversized, 2);
    assert.deepEqual(packingNotes(p, l), [
      '2 request bodies exceed the 1000-byte flow-control window: their remainder is sent at the release',
    ]);
  });

  test('both reasons at once: several connections and oversized bodies', () => {
    const p = packStreams([100_000, 100_000], DEFAULTS);
    assert.deepEqual(p.held, [65_535, 65_535]);
    assert.deepEqual(p.bins, [[0], [1]]);
    assert.deepEqual(packingNotes(p, DEFAULTS), [
      '2 requests over 2 connections of at most 25 streams (the held-back bodies must fit the 65535-byte connection flow-control window)',
      '2 request bodies exceed the 65535-byte flow-control window: their remainder is sent at the release',
    ]);
  });

  test('a connection full of streams and of window at once counts as stream-bound', () => {
    const l = limits({ maxConcurrentStreams: 1, connectionWindow: 10 });
    const p = packStreams([11, 11], l);
    assert.deepEqual(p.bins, [[0], [1]]);
    assert.equal(p.streamBound, true);
    assert.equal(p.windowBound, false);
  });

  test('a closed window (0) holds nothing back and still packs by streams', () => {
    const l = limits({ streamWindow: 0, connectionWindow: 0 });
    const p = packStreams([1, 10, 10], l);
    assert.deepEqual(p.held, [0, 0, 0]);
    assert.deepEqual(p.bins, [[0, 1, 2]]);
    assert.equal(p.oversized, 2);
    // A window shrunk below zero by SETTINGS is treated as closed, never as a negative hold.
    assert.deepEqual(packStreams([10], limits({ streamWindow: -5 })).held, [0]);
  });

  test('a smaller per-write cap applies like the default one', () => {
    const p = packStreams(bodies(5, 10), DEFAULTS, 2);
    assert.deepEqual(p.bins, [[0, 1], [2, 3], [4]]);
    assert.deepEqual(packingNotes(p, DEFAULTS, 2), [
      '5 requests over 3 connections of at most 2 streams (at most 2 final frames per release write)',
    ]);
  });

  test('a peer allowing no stream, or a cap below one, is refused', () => {
    assert.throws(() => packStreams([1], limits({ maxConcurrentStreams: 0 })), {
      name: 'RangeError',
      message: 'the peer allows no concurrent streams (SETTINGS_MAX_CONCURRENT_STREAMS 0)',
    });
    assert.throws(() => packStreams([1], DEFAULTS, 0), RangeError);
  });
});
