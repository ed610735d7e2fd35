// Plain request/response over undici, for every exchange that needs no
// byte-level timing: originals, retries, oracle reads. Redirects are never
// followed (undici's request API does not follow them), so a 3xx is judged
// like any other response.
import { Agent, request as undiciRequest } from 'undici';
import { classifyTransportError, timerDelay, whenAborted, type TransportErrorKind } from './errors.js';
import { INTERRUPTED } from '../../model/errors.js';
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';
import { declaredBodyLength, responseLimit, responseTooLargeMessage } from '../transport/options.js';

/** undici's error when a body passes the Agent's maxResponseSize (it destroys the socket first). */
const BODY_TOO_LARGE = 'UND_ERR_RES_EXCEEDED_MAX_SIZE';

export class HttpClient {
  private readonly agent: Agent;
  /** Largest response body accepted, bytes. */
  private readonly limit: number;

  /**
   * Response bodies are bounded by options.maxResponseBytes (default 16 MiB):
   * undici counts the body as it parses and destroys the socket at the byte
   * past the bound; a larger Content-Length is refused before any body byte
   * is read. Throws a RangeError for an invalid bound.
   */
  constructor(private readonly options: TransportOptions) {
    this.limit = responseLimit(options);
    this.agent = new Agent({
      maxResponseSize: this.limit,
      connect: {
        timeout: options.timeoutMs,
        rejectUnauthorized: !options.insecure,
        ...(options.ca ? { ca: options.ca } : {}),
      },
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  /**
   * Never throws for transport failures: they become `exchange.error`. Once
   * options.signal is aborted nothing is sent, and an exchange in flight
   * fails at once ('interrupted'), undici closing its socket.
   */
  async send(req: HttpRequest, label: string): Promise<Exchange> {
    const exchange: Exchange = { label, request: req, startedAt: now() };
    const interrupt = this.options.signal;
    if (interrupt?.aborted) return interrupted(exchange);
    // One bound for the whole exchange (undici's own timeouts are per phase),
    // and the run's interruption: one controller, its timer cleared on return.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new DOMException('timeout', 'TimeoutError')), timerDelay(this.options.timeoutMs));
    const stopListening = whenAborted(interrupt, () => controller.abort());
    const { signal } = controller;
    try {
      const res = await undiciRequest(req.url, {
        method: req.method as 'POST',
        headers: req.headers,
        body: req.body,
        dispatcher: this.agent,
        signal,
      });
      exchange.sentAt = exchange.startedAt;
      exchange.firstByteAt = now();
      const declared = declaredBodyLength(req.method, res.statusCode, res.headers['content-length']);
      if (declared !== undefined && declared > this.limit) {
        // Destroying the unread body aborts the request, and undici destroys its socket.
        res.body.destroy();
        exchange.endedAt = now();
        exchange.error = responseTooLargeMessage(this.limit, safeOrigin(req.url), declared);
        exchange.errorKind = 'protocol';
        return exchange;
      }
      const body = Buffer.from(await res.body.arrayBuffer());
      exchange.endedAt = now();
      exchange.response = { status: res.statusCode, headers: flattenHeaders(res.headers), body };
    } catch (err) {
      exchange.endedAt = now();
      if (interrupt?.aborted) return interrupted(exchange);
      if ((err as { code?: unknown } | null)?.code === BODY_TOO_LARGE) {
        exchange.error = responseTooLargeMessage(this.limit, safeOrigin(req.url));
        exchange.errorKind = 'protocol';
        return exchange;
      }
      const { kind, message } = describeTransportError(err, req.url, this.options.timeoutMs);
      exchange.error = message;
      exchange.errorKind = kind;
    } finally {
      clearTimeout(timer);
      stopListening();
    }
    return exchange;
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}

function interrupted(exchange: Exchange): Exchange {
  exchange.endedAt = now();
  exchange.error = INTERRUPTED;
  exchange.errorKind = 'interrupted';
  return exchange;
}

export function flattenHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    const lower = name.toLowerCase();
    out[lower] = Array.isArray(value) ? value.join(lower === 'set-cookie' ? '\n' : ', ') : value;
  }
  return out;
}

/** Turns undici's and node's errors into one line a user can act on. */
export function describeTransportError(
  err: unknown,
  url: string,
  timeoutMs: number,
): { kind: TransportErrorKind; message: string } {
  const e = err as { code?: string; name?: string; cause?: { code?: string } } | null | undefined;
  const code = e?.code ?? e?.cause?.code ?? '';
  const origin = safeOrigin(url);
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError' || /TIMEOUT/.test(code)) {
    return { kind: 'timeout', message: `no complete response from ${origin} within ${timeoutMs} ms` };
  }
  // undici does not say what it was doing: the phase is told by the error.
  const { kind, message } = classifyTransportError(err, { where: origin });
  return { kind, message };
}

function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}
