// What a burst is, whichever engine releases it, and the timing helpers the
// engines' connect and release phases share.
import type { Exchange, TransportOptions } from '../../model/http.js';
import { timerDelay } from '../http/errors.js';

export interface BurstOptions extends TransportOptions {
  /** One label per request; default "burst i/N". */
  labels?: string[];
}

export interface BurstResult {
  /** One per request, in the order of the requests. */
  exchanges: Exchange[];
  /** max(sentAt) - min(sentAt) over the released requests. */
  releaseSkewMs: number;
  /** Time to open every connection (the connect phase), ms. */
  connectMs: number;
  /** How many requests were released. */
  released: number;
}

/**
 * Runs task(0) .. task(count - 1) on at most `limit` workers at a time, each
 * worker pulling the next index when its task is done. Resolves when all have.
 */
export async function forEachLimited(count: number, limit: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

/** Resolves true when the promise settles in time, false after ms. Rejections propagate. */
export async function withinMs(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timerDelay(ms)))),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** One turn of the event loop, past the I/O callbacks queued now. */
export function nextImmediate(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
