// Priming a connection of a single-packet burst: every stream opened and its
// body sent up to the held-back tail, and proof that all of it reached the
// server, so the release has only the final frames left to send.
import type http2 from 'node:http2';
import { now } from '../../model/http.js';
import { nextImmediate, withinMs } from '../transport/burst.js';
import { fail, watchStream, type Conn, type Slot } from './streams.js';

/**
 * Opens the connection's streams, writes each body but its held-back tail,
 * waits for those writes to be flushed, then a PING round trip (which also
 * proves the server has read every frame before it). Marks the slots ready
 * for the release; bounded by deadline.
 */
export async function prime(conn: Conn, deadline: number): Promise<void> {
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
