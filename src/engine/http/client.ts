// Plain request/response over undici, for every exchange that needs no
// byte-level timing: originals, retries, oracle reads. Redirects are never
// followed (undici's request API does not follow them), so a 3xx is judged
// like any other response.
import { Agent, request as undiciRequest } from 'undici';
import { classifyTransportError, type TransportErrorKind } from './errors.js';
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';

export class HttpClient {
  private readonly agent: Agent;

  constructor(private readonly options: TransportOptions) {
    this.agent = new Agent({
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

  /** Never throws for transport failures: they become `exchange.error`. */
  async send(req: HttpRequest, label: string): Promise<Exchange> {
    const exchange: Exchange = { label, request: req, startedAt: now() };
    // One bound for the whole exchange: undici's own timeouts are per phase.
    const signal = AbortSignal.timeout(this.options.timeoutMs);
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
      const body = Buffer.from(await res.body.arrayBuffer());
      exchange.endedAt = now();
      exchange.response = { status: res.statusCode, headers: flattenHeaders(res.headers), body };
    } catch (err) {
      exchange.endedAt = now();
      const { kind, message } = describeTransportError(err, req.url, this.options.timeoutMs);
      exchange.error = message;
      exchange.errorKind = kind;
    }
    return exchange;
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
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
