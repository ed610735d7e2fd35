// For the proxy tests: a small stub upstream that creates a resource for
// every POST (no idempotency of its own, so every forwarded attempt is a side
// effect the test can count) and a whole proxy session run in-process around
// a client.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { EventSink, RunEvent } from '../../src/model/events.js';
import type { ProxyFault, ProxyOperation } from '../../src/model/proxy.js';
import type { RunResult } from '../../src/model/results.js';
import { DEFAULT_MATCH, parseMatch, type MatchRule } from '../../src/proxy/match.js';
import { runProxy, type ProxyRunOptions } from '../../src/proxy/session.js';
import { close, listen } from '../helpers/net.js';

export interface Stub {
  url: string;
  /** Every POST the stub received: method, path, headers (lower-case), body. */
  created: { path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close(): Promise<void>;
}

/** POST anything: 200 with a JSON object naming a fresh id (shaped so the OpenAI and Stripe SDKs accept it). */
export async function startStub(): Promise<Stub> {
  const created: Stub['created'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      if (req.method === 'POST') created.push({ path: req.url!, headers: req.headers, body });
      const id = `obj_${randomUUID().slice(0, 8)}`;
      const answer = JSON.stringify({ id, object: 'customer', created: 1764324000, choices: [], email: 'a@example.test' });
      res.writeHead(200, { 'Content-Type': 'application/json', 'Request-Id': `req_${id}` });
      res.end(answer);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, created, close: () => close(server) };
}

export const SILENT_SINK: EventSink = { emit: async () => {} };

/**
 * A whole proxy session in front of `upstream`, with `client` run against
 * its URL; the session ends (as on Ctrl-C) when the client is done.
 */
export async function throughProxy(
  upstream: string,
  faults: ProxyFault[],
  client: (url: string) => Promise<void>,
  more: Partial<ProxyRunOptions> = {},
): Promise<{ result: RunResult; operations: ProxyOperation[]; events: RunEvent[] }> {
  const interrupt = new AbortController();
  const events: RunEvent[] = [];
  let listening!: (url: string) => void;
  const url = new Promise<string>((resolve) => (listening = resolve));
  const session = runProxy(
    {
      upstream,
      faults,
      match: DEFAULT_MATCH.map((m) => parseMatch(m) as MatchRule),
      keyHeader: 'Idempotency-Key',
      holdMs: 30_000,
      timeoutMs: 10_000,
      durationMs: 60_000,
      maxAttempts: 6,
      volatileHeaders: [],
      signal: interrupt.signal,
      onListening: (info) => listening(info.url),
      ...more,
    },
    { emit: async (e) => void events.push(e) },
  );
  // A session that fails to start rejects here rather than leaving the test waiting for its URL.
  const proxyUrl = await Promise.race([url, session.then(() => Promise.reject(new Error('the session ended before listening')))]);
  try {
    await client(proxyUrl);
  } finally {
    interrupt.abort();
  }
  const result = await session;
  return { result, operations: result.proxy!.operations, events };
}

/** Per operation: its attempts as fault→outcome, and its finding kinds (sorted) or its verdict. */
export function verdictsOf(ops: ProxyOperation[]): [string, string][] {
  return ops.map((op) => [
    op.attempts.map((a) => `${a.fault ?? '-'}→${a.client.kind === 'answer' ? a.client.status : a.client.kind}`).join(' '),
    op.verdict === 'fail' ? op.findings.map((f) => f.kind).sort().join(',') : op.verdict,
  ]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
