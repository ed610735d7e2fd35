// The demo's key store: what an Idempotency-Key has been used for, and the
// response to replay. In memory; records expire lazily on lookup and in sweeps.

/** A response exactly as first sent, so a replay can reproduce it byte for byte. */
export interface StoredResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface PendingRecord {
  state: 'pending';
  /** undefined for a lock taken before the request was read (locked-after-error). */
  fingerprint: string | undefined;
  /** The operation the key was used on, e.g. '/orders'. */
  path: string;
  /** Only a lock expires; a claim lasts until its work completes or releases it. */
  expiresAt?: number;
}

export interface DoneRecord {
  state: 'done';
  fingerprint: string;
  /** The operation the key was used on, e.g. '/orders'. */
  path: string;
  response: StoredResponse;
  expiresAt: number;
}

export type KeyRecord = PendingRecord | DoneRecord;

export class KeyStore {
  private readonly records = new Map<string, KeyRecord>();

  constructor(private readonly retentionMs: number) {}

  /** Expiry is checked here, lazily, so retention is exact no matter when the sweep runs. */
  lookup(key: string): KeyRecord | undefined {
    const record = this.records.get(key);
    if (record && this.isExpired(record)) {
      this.records.delete(key);
      return undefined;
    }
    return record;
  }

  /** The record as stored, expired or not; lookup() is the correct read. */
  peek(key: string): KeyRecord | undefined {
    return this.records.get(key);
  }

  isExpired(record: KeyRecord, now = Date.now()): boolean {
    return record.expiresAt !== undefined && now >= record.expiresAt;
  }

  /** Returns the claim; later calls pass it back so a stale request cannot clobber a newer owner. */
  reserve(key: string, fingerprint: string, path: string): PendingRecord {
    const claim: PendingRecord = { state: 'pending', fingerprint, path };
    this.records.set(key, claim);
    return claim;
  }

  /** A claim with no fingerprint, held for lockMs unless a reserve() replaces it. */
  lock(key: string, path: string, lockMs: number): PendingRecord {
    const lock: PendingRecord = { state: 'pending', fingerprint: undefined, path, expiresAt: Date.now() + lockMs };
    this.records.set(key, lock);
    return lock;
  }

  /**
   * Stores the response. With a claim, only if that claim still owns the key (it may have
   * been released or taken over meanwhile); without one, unconditionally.
   */
  complete(key: string, fingerprint: string, path: string, response: StoredResponse, claim?: PendingRecord): boolean {
    if (claim && this.records.get(key) !== claim) return false;
    this.records.set(key, { state: 'done', fingerprint, path, response, expiresAt: Date.now() + this.retentionMs });
    return true;
  }

  /** Deletes the record if it is still the one stored (a claim, or a record read earlier). */
  release(key: string, record: KeyRecord): void {
    if (this.records.get(key) === record) this.records.delete(key);
  }

  /**
   * Bounds memory for keys nobody asks about again: drops records expired at
   * least graceMs ago, never sooner, so a read within graceMs of the expiry still
   * meets the expired record whenever the sweep runs (expiry-burst-race's
   * two-step handling needs it; lookup() hides it from every other mode).
   */
  sweep(graceMs: number): void {
    const now = Date.now();
    for (const [key, record] of this.records) {
      if (this.isExpired(record, now - graceMs)) this.records.delete(key);
    }
  }
}
