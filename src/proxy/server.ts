// The forwarding proxy: an HTTP/1.1 server the client uses as its base URL.
// Requests that no --match rule selects, and every attempt after an
// operation's first, are forwarded faithfully; an operation's first attempt
// meets the next fault in turn. Every attempt of an operation is recorded.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Exchange, HttpResponse } from '../model/http.js';
import { now } from '../model/http.js';
import type { ClientOutcome, ProxyAttempt, ProxyFault } from '../model/proxy.js';
import { bodyHash } from './body.js';
import { Ledger, type LiveOperation } from './ledger.js';
import { matches, type MatchRule } from './match.js';
import { endToEnd, forwarder, headerRecord, originForm, retryAfterMs, upstreamUrl, UpstreamError, type UpstreamAnswer } from './upstream.js';

export interface ProxyServerOptions {
  upstream: URL;
  host?: string;
  port?: number;
  /** Given to new operations in turn. */
  faults: ProxyFault[];
  match: MatchRule[];
  keyHeader: string;
  /** How long the `timeout` fault holds an answer. */
  holdMs: number;
  /** Bound for reading a request and for the upstream's answer. */
  timeoutMs: number;
  maxBodyBytes: number;
  insecure?: boolean;
  ca?: string | Buffer;
  /** Called when the proxy is done with an attempt of an operation. */
  onAttempt?: (operation: LiveOperation, attempt: ProxyAttempt, retry: boolean) => void;
}

export interface ProxyServer {
  /** http://127.0.0.1:PORT, no trailing slash. */
  url: string;
  ledger: Ledger;
  /** Requests forwarded that no --match rule selected. */
  passedThrough(): number;
  /**
   * Stops accepting, drops held answers, waits up to graceMs for open
   * attempts, then cuts whatever is left. Safe to call twice.
   */
  stop(graceMs?: number): Promise<void>;
}

/** Answers the proxy makes up, never forwarding the request. */
const MADE_UP: Partial<Record<ProxyFault, { status: number; retryAfter?: string; type: string; message: string }>> = {
  'in-flight': { status: 409, retryAfter: '1', type: 'idempotency_key_in_use', message: 'a request with this idempotency key is still being processed; retry after 1 second' },
  'server-error': { status: 503, retryAfter: '1', type: 'service_unavailable', message: 'temporarily unavailable; retry after 1 second' },
  mismatch: { status: 422, type: 'idempotency_key_mismatch', message: 'this idempotency key was used with another request' },
};

export async function startProxy(opts: ProxyServerOptions): Promise<ProxyServer> {
  const ledger = new Ledger();
  const upstream = forwarder(opts.upstream, { timeoutMs: opts.timeoutMs, maxBodyBytes: opts.maxBodyBytes, ...(opts.insecure ? { insecure: true } : {}), ...(opts.ca ? { ca: opts.ca } : {}) });
  const keyHeader = opts.keyHeader.toLowerCase();
  const stopping = new AbortController();
  const hardStop = new AbortController();
  const active = new Set<Promise<void>>();
  const sockets = new Set<Socket>();
  let seq = 0;
  let newOperations = 0;
  let passed = 0;

  const server = http.createServer(
    { requestTimeout: opts.timeoutMs, headersTimeout: Math.min(opts.timeoutMs, 60_000), keepAliveTimeout: 5_000 },
    (req, res) => {
      const p = handle(req, res).catch(() => {
        // A handler never throws on purpose; whatever slipped through only ends this exchange.
        if (!res.headersSent) res.socket?.destroy();
      });
      active.add(p);
      void p.finally(() => active.delete(p));
    },
  );
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('clientError', (_err, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const at = now();
    res.sendDate = false;
    const gone = clientGone(res);
    const read = await readBody(req, opts.maxBodyBytes);
    if (read.error) {
      if (read.tooLarge) {
        res.writeHead(413, { 'Content-Type': 'text/plain', Connection: 'close' });
        res.end(`idemchaos proxy: the request body passed ${opts.maxBodyBytes} bytes, the proxy's bound\n`);
      } else req.socket.destroy();
      return;
    }
    const body = read.body;
    const method = req.method ?? 'GET';
    const path = originForm(req.url ?? '/');
    const url = upstreamUrl(opts.upstream, path);
    const te = req.headers['transfer-encoding'];
    const forwardReq = {
      method,
      url,
      rawHeaders: endToEnd(req.rawHeaders),
      body,
      chunked: typeof te === 'string' && /chunked/i.test(te),
      sized: req.headers['content-length'] !== undefined,
    };

    if (!matches(opts.match, method, path)) {
      passed++;
      const answer = await forward(forwardReq);
      if (answer instanceof UpstreamError) await badGateway(res, answer.message);
      else await deliver(req, res, answer);
      return;
    }

    const keyValue = req.headers[keyHeader];
    const key = Array.isArray(keyValue) ? keyValue[0] : keyValue;
    const exchange: Exchange = {
      label: '',
      request: { method, url, headers: headerRecord(req.rawHeaders), ...(body.length > 0 ? { body } : {}) },
      startedAt: at,
    };
    const attempt: ProxyAttempt = {
      seq: ++seq,
      at,
      endedAt: at,
      method,
      path,
      ...(key !== undefined && key !== '' ? { key } : {}),
      bodyHash: bodyHash(body),
      client: { kind: 'interrupted' },
      exchange,
    };
    const { operation, isNew } = ledger.place(attempt);
    if (isNew) {
      const fault = opts.faults[newOperations++ % opts.faults.length]!;
      if (fault !== 'none') attempt.fault = fault;
    }
    // Closed in the ledger as soon as the client is done with it, so its retry is recognised
    // even while a late upstream answer is still being recorded.
    const settle = () => {
      if (attempt.endedAt === at) attempt.endedAt = now();
      exchange.endedAt = attempt.endedAt;
      ledger.close(attempt);
    };
    try {
      await run(attempt, req, res, forwardReq, gone, settle);
    } finally {
      settle();
      opts.onAttempt?.(operation, attempt, !isNew);
    }
  }

  async function run(
    attempt: ProxyAttempt,
    req: http.IncomingMessage,
    res: http.ServerResponse,
    forwardReq: Parameters<typeof forward>[0],
    gone: Promise<number>,
    settle: () => void,
  ): Promise<void> {
    const { exchange } = attempt;
    const fault = attempt.fault;
    const made = fault ? MADE_UP[fault] : undefined;
    if (made) {
      const body = Buffer.from(JSON.stringify({ error: { type: made.type, message: `${made.message} (idemchaos proxy fault ${fault})` } }));
      const headers: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(body.length) };
      if (made.retryAfter) headers['retry-after'] = made.retryAfter;
      exchange.response = { status: made.status, headers, body };
      if (made.retryAfter) attempt.retryAfterMs = Number(made.retryAfter) * 1000;
      res.writeHead(made.status, headers);
      attempt.client = await finish(res, body, gone, made.status);
      attempt.endedAt = now();
      return;
    }
    if (fault === 'reset-before') {
      reset(req, res);
      attempt.client = { kind: 'reset' };
      attempt.endedAt = now();
      exchange.error = 'the proxy reset the connection before forwarding (reset-before): the upstream never saw the request';
      return;
    }

    exchange.sentAt = now();
    const forwarded = forward(forwardReq);
    const answer = await Promise.race([forwarded, gone.then((t) => ({ goneAt: t }))]);
    if ('goneAt' in answer) {
      // The client gave up first; the upstream may still be working on it (bounded by the timeout).
      attempt.client = { kind: 'gave-up' };
      attempt.endedAt = answer.goneAt;
      settle();
      record(attempt, await forwarded);
      exchange.error = `the client closed the connection after ${Math.round(answer.goneAt - attempt.at)} ms, before any answer${fault ? ` (${fault})` : ''}`;
      return;
    }
    record(attempt, answer);
    if (answer instanceof UpstreamError && hardStop.signal.aborted) {
      attempt.client = { kind: 'interrupted' };
      res.destroy();
      return;
    }
    if (answer instanceof UpstreamError) {
      if (fault === 'drop-response' || fault === 'timeout') {
        reset(req, res);
        attempt.client = { kind: 'reset' };
      } else {
        attempt.client = await badGateway(res, answer.message, gone);
      }
      attempt.endedAt = now();
      return;
    }
    if (fault === 'drop-response') {
      reset(req, res);
      attempt.client = { kind: 'reset' };
      attempt.endedAt = now();
      exchange.error = `the proxy reset the connection after the upstream's complete ${answer.status} (drop-response): the client got no byte of it`;
      return;
    }
    if (fault === 'timeout') {
      const left = attempt.at + opts.holdMs - now();
      const outcome = await Promise.race([
        delay(left).then(() => 'held' as const),
        gone.then((t) => t),
        waitAbort(stopping.signal).then(() => 'stopped' as const),
      ]);
      if (typeof outcome === 'number') {
        attempt.client = { kind: 'gave-up' };
        attempt.endedAt = outcome;
        exchange.error = `the proxy held the upstream's ${answer.status} (timeout); the client gave up after ${Math.round(outcome - attempt.at)} ms`;
      } else {
        reset(req, res);
        attempt.client = { kind: 'reset' };
        attempt.endedAt = now();
        exchange.error = `the proxy held the upstream's ${answer.status} for ${Math.round(attempt.endedAt - attempt.at)} ms (timeout), then reset the connection`;
      }
      return;
    }
    attempt.client = await deliver(req, res, answer, gone);
    attempt.endedAt = now();
    const wait = attempt.client.kind === 'answer' ? retryAfterMs(attempt.exchange.response?.headers['retry-after'], attempt.endedAt) : undefined;
    if (wait !== undefined) attempt.retryAfterMs = wait;
  }

  /** The upstream's answer, or its failure as an UpstreamError. */
  function forward(r: Parameters<typeof upstream.forward>[0]): Promise<UpstreamAnswer | UpstreamError> {
    return upstream.forward(r, hardStop.signal).catch((err: unknown) => (err instanceof UpstreamError ? err : new UpstreamError(String(err))));
  }

  function record(attempt: ProxyAttempt, answer: UpstreamAnswer | UpstreamError): void {
    if (answer instanceof UpstreamError) {
      // Cut short by the proxy stopping: not the upstream's failure.
      if (!hardStop.signal.aborted) attempt.upstream = { error: answer.message };
      attempt.exchange.error = answer.message;
      return;
    }
    attempt.upstream = { status: answer.status };
    const response: HttpResponse = { status: answer.status, headers: headerRecord(answer.rawHeaders, true), body: answer.body };
    attempt.exchange.response = response;
    attempt.exchange.firstByteAt = answer.firstByteAt;
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address() as AddressInfo;
  // Listening on every address: the client reaches it on loopback.
  const unspecified = address.address === '0.0.0.0' || address.address === '::';
  const host = unspecified ? '127.0.0.1' : address.family === 'IPv6' ? `[${address.address}]` : address.address;

  let stopped: Promise<void> | undefined;
  return {
    url: `http://${host}:${address.port}`,
    ledger,
    passedThrough: () => passed,
    stop(graceMs = 2_000) {
      stopped ??= (async () => {
        stopping.abort();
        server.close();
        server.closeIdleConnections();
        const all = Promise.allSettled([...active]);
        await Promise.race([all, delay(graceMs)]);
        hardStop.abort();
        for (const s of sockets) s.destroy();
        await Promise.race([all, delay(graceMs)]);
        upstream.close();
      })();
      return stopped;
    },
  };
}

/** Resolves with the time the client closed the connection before the response was complete (never otherwise). */
function clientGone(res: http.ServerResponse): Promise<number> {
  return new Promise((resolve) => {
    res.once('close', () => {
      if (!res.writableFinished) resolve(now());
    });
  });
}

async function readBody(req: http.IncomingMessage, max: number): Promise<{ body: Buffer; error?: undefined } | { error: true; tooLarge: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > max) return { error: true, tooLarge: true };
      chunks.push(chunk);
    }
  } catch {
    return { error: true, tooLarge: false };
  }
  if (!req.complete) return { error: true, tooLarge: false };
  return { body: Buffer.concat(chunks) };
}

/** A TCP reset: the client sees ECONNRESET and no byte of an answer. */
function reset(req: http.IncomingMessage, res: http.ServerResponse): void {
  const socket = req.socket;
  res.on('error', () => {});
  socket.on('error', () => {});
  socket.resetAndDestroy();
}

/** Writes the upstream's answer: status, end-to-end headers as sent, body with the upstream's framing. */
async function deliver(req: http.IncomingMessage, res: http.ServerResponse, a: UpstreamAnswer, gone?: Promise<number>): Promise<ClientOutcome> {
  const headers = endToEnd(a.rawHeaders);
  const noBody = req.method === 'HEAD' || a.status === 204 || a.status === 304 || (a.status >= 100 && a.status < 200);
  if (a.sized) {
    const i = a.rawHeaders.findIndex((h, j) => j % 2 === 0 && h.toLowerCase() === 'content-length');
    headers.push(a.rawHeaders[i]!, a.rawHeaders[i + 1]!);
  } else if (a.chunked && !noBody) headers.push('Transfer-Encoding', 'chunked');
  else if (!noBody) headers.push('Content-Length', String(a.body.length));
  try {
    res.writeHead(a.status, a.statusMessage, headers);
  } catch (err) {
    return badGateway(res, `the upstream's answer could not be passed on: ${(err as Error).message}`, gone);
  }
  if (noBody) return finish(res, Buffer.alloc(0), gone, a.status);
  if (a.chunked && !a.sized) {
    if (a.body.length > 0) res.write(a.body);
    return finish(res, Buffer.alloc(0), gone, a.status);
  }
  return finish(res, a.body, gone, a.status);
}

async function badGateway(res: http.ServerResponse, message: string, gone?: Promise<number>): Promise<ClientOutcome> {
  if (res.headersSent) {
    res.destroy();
    return { kind: 'reset' };
  }
  const body = Buffer.from(`idemchaos proxy: ${message}\n`);
  res.writeHead(502, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': String(body.length), 'X-Idemchaos-Proxy': 'upstream-error' });
  return finish(res, body, gone, 502);
}

/** Ends the response; the outcome is the answer, or the client having left before it was written. */
function finish(res: http.ServerResponse, body: Buffer, gone: Promise<number> | undefined, status: number): Promise<ClientOutcome> {
  return new Promise((resolve) => {
    res.end(body.length > 0 ? body : undefined, () => resolve({ kind: 'answer', status }));
    void gone?.then(() => resolve({ kind: 'gave-up' }));
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)).unref());
}

function waitAbort(signal: AbortSignal): Promise<void> {
  return signal.aborted ? Promise.resolve() : new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
