// Which operation an arriving request belongs to. An operation is known by
// its key, and, for a request with no key or with a key never seen, by its
// method, path and body: such a request is a retry only when it follows a
// failure of an operation with that method, path and body (a lost response,
// a 5xx, a 409, a 429); otherwise it starts a new operation.
import type { ProxyAttempt, ProxyFault } from '../model/proxy.js';

/** What an operation is waiting for after its last attempt, if anything. */
export type Pending =
  /** The client got no answer (reset, timeout, gave up): it cannot know whether it happened. */
  | 'lost'
  | '5xx'
  | 'in-flight'
  | 'mismatch'
  /** 408, 425 or 429: try again later. */
  | 'retryable'
  /** The last attempt is still being forwarded untouched. */
  | 'open';

/** Faults that end in no answer for the client. */
export const LOSSY_FAULTS: ReadonlySet<ProxyFault> = new Set(['drop-response', 'reset-before', 'timeout']);

export interface LiveOperation {
  id: number;
  attempts: ProxyAttempt[];
}

export interface Arrival {
  method: string;
  path: string;
  key?: string;
  bodyHash: string;
}

export function sameRequest(a: Arrival, b: Arrival): boolean {
  return a.method === b.method && a.path === b.path && a.bodyHash === b.bodyHash;
}

/** What the operation waits for after this attempt, judged from how it ended. */
export function pendingAfter(a: ProxyAttempt): Exclude<Pending, 'open'> | undefined {
  if (a.client.kind !== 'answer') return 'lost';
  const s = a.client.status;
  if (s >= 500) return '5xx';
  if (s === 409) return 'in-flight';
  if (s === 422) return 'mismatch';
  if (s === 408 || s === 425 || s === 429) return 'retryable';
  return undefined;
}

export class Ledger {
  readonly operations: LiveOperation[] = [];
  /** Attempts the proxy is still handling. */
  private readonly open = new Set<ProxyAttempt>();

  /** Files the attempt under its operation (a new one when it starts one) and marks it open. */
  place(attempt: ProxyAttempt): { operation: LiveOperation; isNew: boolean } {
    const found = this.find(attempt);
    this.open.add(attempt);
    if (found) {
      found.attempts.push(attempt);
      return { operation: found, isNew: false };
    }
    const operation: LiveOperation = { id: this.operations.length + 1, attempts: [attempt] };
    this.operations.push(operation);
    return { operation, isNew: true };
  }

  /** The proxy is done with the attempt (its outcome is filled in). */
  close(attempt: ProxyAttempt): void {
    this.open.delete(attempt);
  }

  pending(op: LiveOperation): Pending | undefined {
    const last = op.attempts[op.attempts.length - 1]!;
    if (this.open.has(last)) return last.fault && LOSSY_FAULTS.has(last.fault) ? 'lost' : last.fault ? pendingOfAnswer(last.fault) : 'open';
    return pendingAfter(last);
  }

  private find(a: Arrival): LiveOperation | undefined {
    const recentFirst = [...this.operations].reverse();
    if (a.key !== undefined) {
      const byKey = recentFirst.find((op) => op.attempts.some((x) => x.key === a.key));
      if (byKey) {
        // A key in use: its operation's retry, whatever changed (retry-changed judges it),
        // or after a settled answer a replay of the same request; another request is a new operation.
        if (this.pending(byKey) !== undefined || sameRequest(byKey.attempts[0]!, a)) return byKey;
      }
    }
    return recentFirst.find((op) => {
      const pending = this.pending(op);
      if (pending === undefined || pending === 'open') return false;
      const last = op.attempts[op.attempts.length - 1]!;
      // After 422 a new key is what the client should use for a corrected request: only the same key continues it.
      if (pending === 'mismatch' && last.key !== a.key) return false;
      if (a.key !== undefined && op.attempts.some((x) => x.key === a.key)) return false;
      return sameRequest(op.attempts[0]!, a);
    });
  }
}

/** What an open attempt with an answering fault will leave the operation waiting for. */
function pendingOfAnswer(fault: ProxyFault): Pending {
  switch (fault) {
    case 'in-flight':
      return 'in-flight';
    case 'server-error':
      return '5xx';
    case 'mismatch':
      return 'mismatch';
    default:
      return 'open';
  }
}
