// The words every human report uses for a proxy session: what happened to an
// attempt, an operation's key, and what the command did. The terminal,
// Markdown and HTML reports only style these.
import type { ProxyAttempt, ProxyOperation, ProxySession } from '../model/proxy.js';
import { plural } from '../model/text.js';

/** "drop-response: upstream 201, the client got nothing", "upstream 201", "in-flight: 409 (not forwarded)". */
export function attemptOutcome(a: ProxyAttempt): string {
  const parts: string[] = [];
  if (a.upstream) parts.push('status' in a.upstream ? `upstream ${a.upstream.status}` : `upstream failed: ${a.upstream.error}`);
  else if (a.fault && a.fault !== 'none') parts.push('not forwarded');
  switch (a.client.kind) {
    case 'answer':
      if (!a.upstream || !('status' in a.upstream) || a.upstream.status !== a.client.status) parts.push(`the client got ${a.client.status}`);
      break;
    case 'reset':
      parts.push('the client got nothing (connection reset)');
      break;
    case 'gave-up':
      parts.push(`the client gave up after ${Math.round(a.endedAt - a.at)} ms`);
      break;
    case 'interrupted':
      parts.push('the proxy stopped first');
      break;
  }
  const text = parts.join(', ');
  return a.fault && a.fault !== 'none' ? `${a.fault}: ${text}` : text;
}

/** The key as shown: as sent, or "no key". */
export function keyShown(key: string | undefined): string {
  return key === undefined ? 'no key' : key;
}

/** The status the client got, for compact cells: "201", "reset", "gave up". */
export function clientCell(a: ProxyAttempt): string {
  switch (a.client.kind) {
    case 'answer':
      return String(a.client.status);
    case 'reset':
      return 'reset';
    case 'gave-up':
      return 'gave up';
    case 'interrupted':
      return 'stopped';
  }
}

/** One operation's attempts in a line: "drop-response→reset, 201". */
export function attemptsCell(op: ProxyOperation): string {
  return op.attempts.map((a) => (a.fault && a.fault !== 'none' ? `${a.fault}→${clientCell(a)}` : clientCell(a))).join(', ');
}

/** The distinct keys an operation used, in order, "no key" included. */
export function keysCell(op: ProxyOperation): string {
  const keys: (string | undefined)[] = [];
  for (const a of op.attempts) if (!keys.includes(a.key)) keys.push(a.key);
  return keys.map(keyShown).join(', ');
}

/** "the command node client.js exited 0 after 2.1 s", "... was stopped by --duration after 5 m". */
export function sessionLine(p: ProxySession): string {
  const passed = p.passedThrough > 0 ? `; ${plural(p.passedThrough, 'other request')} passed through unaudited` : '';
  const c = p.command;
  if (!c) return `proxy ${p.url} → ${p.upstream}, ${p.stoppedBy === 'signal' ? 'stopped by Ctrl-C' : 'stopped by --duration'}${passed}`;
  const took = `${(c.durationMs / 1000).toFixed(1)} s`;
  const how = c.stoppedByDuration
    ? `was stopped by --duration after ${took}`
    : c.interrupted
      ? `was stopped by Ctrl-C after ${took}`
      : c.exitCode !== null
        ? `exited ${c.exitCode} after ${took}`
        : `was ended by ${c.signal} after ${took}`;
  return `the command \`${c.argv.join(' ')}\` ${how}${passed}`;
}
