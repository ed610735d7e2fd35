// The client's half of the pattern, judged: pure functions from the attempts
// the proxy recorded to findings. One finding per violated rule and
// operation; a finding about several operations (key-reused, weak-key) is
// listed on each of them.
import type { Exchange } from '../model/http.js';
import type { ProxyAttempt, ProxyOperation } from '../model/proxy.js';
import type { Finding, FindingKind } from '../model/results.js';
import { plural } from '../model/text.js';
import { changedHeaders } from './headers.js';
import { quote, weakKeyReasons } from './keys.js';
import { pendingAfter, sameRequest, type LiveOperation } from './ledger.js';

export interface JudgeOptions {
  /** More attempts than this for one operation is a retry storm (default 6). */
  maxAttempts: number;
  keyHeader: string;
  isVolatile: (name: string) => boolean;
}

/** Two attempts closer than this (end of one to start of the next) had no backoff. */
export const MIN_BACKOFF_MS = 50;
/** A retry this much earlier than Retry-After asked still counts as waiting (timers round to the millisecond). */
export const RETRY_AFTER_SLACK_MS = 25;

export const NOTES = {
  neverRetried: 'never retried after a lost response: the caller cannot know whether it happened',
  noFault: 'met no fault (forwarded untouched)',
} as const;

export function judgeOperations(live: LiveOperation[], opts: JudgeOptions): ProxyOperation[] {
  const ops = live.map((op) => withHeaderChanges(op, opts));
  const findings = new Map<number, Finding[]>(ops.map((op) => [op.id, perOperation(op, opts)]));
  for (const [id, f] of keyReuse(ops)) findings.get(id)!.push(f);
  for (const [id, f] of weakKeys(ops)) findings.get(id)!.push(f);
  return ops.map((op) => {
    const first = op.attempts[0]!;
    const found = findings.get(op.id)!;
    const out: ProxyOperation = {
      id: op.id,
      method: first.method,
      path: first.path,
      attempts: op.attempts,
      verdict: found.length > 0 ? 'fail' : 'pass',
      findings: found,
    };
    if (first.key !== undefined) out.key = first.key;
    const unreached = op.attempts.find((a) => a.upstream && 'error' in a.upstream);
    if (found.length === 0 && unreached && unreached.upstream && 'error' in unreached.upstream) {
      out.verdict = 'error';
      out.note = `the upstream did not answer attempt ${op.attempts.indexOf(unreached) + 1}: ${unreached.upstream.error}`;
    } else {
      out.note = noteFor(op);
    }
    return out;
  });
}

/** Each attempt labelled for the report, and each retry with the headers it changed. */
function withHeaderChanges(op: LiveOperation, opts: JudgeOptions): LiveOperation {
  const first = op.attempts[0]!;
  const n = op.attempts.length;
  const attempts = op.attempts.map((a, i) => {
    const how = [...(a.fault && a.fault !== 'none' ? [a.fault] : []), ...(CLIENT_LABEL[a.client.kind] ? [CLIENT_LABEL[a.client.kind]!] : [])];
    const label = `#${op.id} attempt ${i + 1}/${n}${how.length > 0 ? ` (${how.join(', ')})` : ''}`;
    const out: ProxyAttempt = { ...a, exchange: { ...a.exchange, label } };
    if (i > 0) {
      const changed = changedHeaders(first.exchange.request.headers, a.exchange.request.headers, opts);
      if (changed.length > 0) out.headersChanged = changed;
      else delete out.headersChanged;
    }
    return out;
  });
  return { id: op.id, attempts };
}

/** How an attempt ended when the client got no answer, for its label. */
const CLIENT_LABEL: Partial<Record<ProxyAttempt['client']['kind'], string>> = {
  reset: 'the client got nothing',
  'gave-up': 'the client gave up',
  interrupted: 'the proxy stopped first',
};

function noteFor(op: LiveOperation): string {
  const { attempts } = op;
  const last = attempts[attempts.length - 1]!;
  const faulted = attempts.some((a) => a.fault && a.fault !== 'none');
  if (last.client.kind === 'interrupted') return 'the proxy stopped while its last attempt was open';
  if (!faulted) return attempts.length === 1 ? NOTES.noFault : `met no fault; ${plural(attempts.length, 'attempt')}`;
  if (pendingAfter(last) === 'lost') return NOTES.neverRetried;
  if (attempts.length === 1) {
    const status = last.client.kind === 'answer' ? last.client.status : 0;
    return status === 422 ? 'not retried as it was after 422 (correct)' : `not retried after the ${status} (${last.fault})`;
  }
  const keys = new Set(attempts.map((a) => a.key));
  const status = last.client.kind === 'answer' ? `, last answered ${last.client.status}` : '';
  return `retried safely: ${plural(attempts.length, 'attempt')}, ${keys.size === 1 && !keys.has(undefined) ? 'one key' : 'keys as required'}, the same request${status}`;
}

/** What the client met before this retry, in words: "a lost response (drop-response)", "a 503". */
function failure(prev: ProxyAttempt): string {
  const how = prev.fault && prev.fault !== 'none' ? ` (${prev.fault})` : '';
  if (prev.client.kind !== 'answer') return `a lost response${how}`;
  return `a ${prev.client.status}${how}`;
}

function keyText(key: string | undefined): string {
  return key === undefined ? 'no key' : quote(key);
}

function perOperation(op: LiveOperation, opts: JudgeOptions): Finding[] {
  const { attempts } = op;
  const found: Partial<Record<FindingKind, { lines: string[]; exchanges: Set<Exchange> }>> = {};
  const note = (kind: FindingKind, line: string, ...which: ProxyAttempt[]) => {
    const entry = (found[kind] ??= { lines: [], exchanges: new Set() });
    entry.lines.push(line);
    for (const a of which) entry.exchanges.add(a.exchange);
  };

  for (let i = 1; i < attempts.length; i++) {
    const prev = attempts[i - 1]!;
    const cur = attempts[i]!;
    const first = attempts.find((a) => a.key === cur.key) ?? attempts[0]!;
    const pending = pendingAfter(prev);
    const n = i + 1;
    const after = failure(prev);

    if (cur.key === undefined && (pending === 'lost' || pending === '5xx')) {
      const had = attempts.slice(0, i).find((a) => a.key !== undefined);
      note(
        'unsafe-retry',
        `attempt ${n} retried the operation after ${after} with no idempotency key${had ? ` (attempt ${attempts.indexOf(had) + 1} had ${quote(had.key!)})` : ''}: ` +
          'the server cannot tell it from a new operation and runs it again',
        prev,
        cur,
      );
    } else if (cur.key !== prev.key && !(pending === 'mismatch' && cur.key !== undefined)) {
      note(
        'key-changed',
        `attempt ${n} retried the operation after ${after} with ${keyText(cur.key)} where attempt ${i} had ${keyText(prev.key)}: ` +
          'the server sees a new operation and runs it twice',
        prev,
        cur,
      );
    }

    if (cur.key !== undefined && cur.key === prev.key && !sameRequest(prev, cur)) {
      const what: string[] = [];
      if (cur.method !== prev.method) what.push(`the method (${prev.method} → ${cur.method})`);
      if (cur.path !== prev.path) what.push(`the path (${prev.path} → ${cur.path})`);
      if (cur.bodyHash !== prev.bodyHash) what.push(`the body (sha256 ${prev.bodyHash.slice(0, 12)}… → ${cur.bodyHash.slice(0, 12)}…)`);
      note(
        'retry-changed',
        `attempt ${n} kept the key ${quote(cur.key)} but changed ${what.join(', ')}: the server answers 422, or replays the first answer to a different request`,
        first,
        cur,
      );
    }

    if (pending === 'mismatch' && cur.key === prev.key && sameRequest(prev, cur)) {
      note(
        'retried-mismatch',
        `after the 422 of attempt ${i}, attempt ${n} sent the same request with ${cur.key === undefined ? 'no key, as before' : `the same key ${quote(cur.key)}`}: ` +
          'a 422 asks for a corrected request under a new key, not a retry',
        prev,
        cur,
      );
    }

    const gap = cur.at - prev.endedAt;
    if (prev.retryAfterMs !== undefined && (pending === 'in-flight' || pending === '5xx' || pending === 'retryable') && gap < prev.retryAfterMs - RETRY_AFTER_SLACK_MS) {
      note(
        'ignored-retry-after',
        `attempt ${n} came ${Math.max(0, Math.round(gap))} ms after ${after} that asked for Retry-After ${Math.round(prev.retryAfterMs)} ms`,
        prev,
        cur,
      );
    }
    if (gap < MIN_BACKOFF_MS) {
      note('retry-storm', `attempt ${n} came ${Math.max(0, Math.round(gap))} ms after attempt ${i} ended (under ${MIN_BACKOFF_MS} ms: no backoff)`, prev, cur);
    }
  }
  if (attempts.length > opts.maxAttempts) {
    note('retry-storm', `${plural(attempts.length, 'attempt')} for one operation, more than --max-attempts ${opts.maxAttempts}`, ...attempts);
  }

  return Object.entries(found).map(([kind, { lines, exchanges }]) => ({
    kind: kind as FindingKind,
    message: lines.join('\n'),
    evidence: { exchanges: [...exchanges] },
  }));
}

/** Every key with the operations that used it, in first-use order. */
function keyUsers(ops: LiveOperation[]): Map<string, LiveOperation[]> {
  const users = new Map<string, LiveOperation[]>();
  const firstUse = [...ops.flatMap((op) => op.attempts.map((a) => ({ op, a })))].sort((x, y) => x.a.seq - y.a.seq);
  for (const { op, a } of firstUse) {
    if (a.key === undefined) continue;
    const list = users.get(a.key) ?? [];
    if (!list.includes(op)) list.push(op);
    users.set(a.key, list);
  }
  return users;
}

function describeOp(op: LiveOperation): string {
  const a = op.attempts[0]!;
  return `#${op.id} ${a.method} ${a.path}`;
}

function keyReuse(ops: LiveOperation[]): [number, Finding][] {
  const out: [number, Finding][] = [];
  for (const [key, users] of keyUsers(ops)) {
    if (users.length < 2) continue;
    const list = users.map(describeOp).join(', ');
    for (const op of users) {
      const others = users.filter((o) => o !== op);
      const differs = others.map((o) => {
        const a = o.attempts[0]!;
        const b = op.attempts[0]!;
        return a.method !== b.method || a.path !== b.path ? 'another method or path' : 'another body';
      });
      out.push([
        op.id,
        {
          kind: 'key-reused',
          message: `the key ${quote(key)} was used for ${plural(users.length, 'operation')} (${list}; ${[...new Set(differs)].join(', ')}): the server replays one's answer to the other, or refuses it`,
          evidence: { exchanges: users.map((o) => o.attempts.find((a) => a.key === key)!.exchange) },
        },
      ]);
    }
  }
  return out;
}

function weakKeys(ops: LiveOperation[]): [number, Finding][] {
  const users = keyUsers(ops);
  const reasons = weakKeyReasons([...users].map(([key, list]) => ({ key, operations: list.length })));
  const out: [number, Finding][] = [];
  for (const op of ops) {
    const keys = [...new Set(op.attempts.map((a) => a.key).filter((k): k is string => k !== undefined))].filter((k) => reasons.has(k));
    if (keys.length === 0) continue;
    out.push([
      op.id,
      {
        kind: 'weak-key',
        message: keys.map((k) => `the key ${quote(k)} is guessable or not unique: ${reasons.get(k)!.join('; ')}`).join('\n'),
        evidence: { exchanges: op.attempts.filter((a) => a.key !== undefined && keys.includes(a.key)).slice(0, 1).map((a) => a.exchange) },
      },
    ]);
  }
  return out;
}
