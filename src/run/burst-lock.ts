// With --workers, bursts of different attacks could land on one target at the
// same time, and a burst's precision is its point: two interleaved bursts
// spread each other's duplicates and load the server while they race. A burst
// holds every origin it sends to; another burst on any of them waits its turn
// (first come, first served), bursts on other targets go on.

export type Exclusive = <T>(origins: string[], task: () => Promise<T>) => Promise<T>;

export function burstLock(): Exclusive {
  // The tail of the queue per origin: the promise that settles when its last holder is done.
  const tails = new Map<string, Promise<void>>();
  return async <T>(origins: string[], task: () => Promise<T>): Promise<T> => {
    const keys = [...new Set(origins.map(originOf))];
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    // Queue on all origins at once, synchronously: two bursts sharing two
    // origins queue in the same order on both, so neither waits on the other.
    const before = keys.map((key) => tails.get(key) ?? Promise.resolve());
    for (const key of keys) tails.set(key, done);
    try {
      await Promise.all(before);
      return await task();
    } finally {
      release();
      for (const key of keys) if (tails.get(key) === done) tails.delete(key);
    }
  };
}

function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
