// One request over one fresh connection, plus the response-reading machinery
// the burst and cut modes share with it.
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';
import { classifyTransportError, timerDelay, TransportError } from '../http/errors.js';
import { openConnection, type Connection } from './connect.js';
import { ParseError, ResponseParser } from './parser.js';
import { serializeRequest } from './serialize.js';

export type ErrorKind = NonNullable<Exchange['errorKind']>;

export interface CollectorOptions {
  /** The URL's origin, for messages. */
  origin: string;
  /** Called synchronously on the first response byte, before it is parsed (the collector may be settled by then). */
  onFirstByte?: () => void;
}

/** Destroys both sockets of a connection (the TLS one first, then the TCP one). */
export function destroyConnection(conn: Connection): void {
  conn.stream.destroy();
  if (conn.raw !== conn.stream) conn.raw.destroy();
}

/**
 * Reads the response of one exchange from a connection and settles the
 * exchange exactly once: with a response, or with an error (peer closed or
 * reset, malformed response, or fail() from the owner). Settling records
 * endedAt and destroys the connection.
 */
export class ResponseCollector {
  /** Resolves with the exchange once it is settled; never rejects. */
  readonly done: Promise<Exchange>;
  /** Response bytes received so far. */
  received = 0;
  settled = false;
  private readonly parser: ResponseParser;
  private resolveDone!: (exchange: Exchange) => void;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly conn: Connection,
    readonly exchange: Exchange,
    private readonly options: CollectorOptions,
  ) {
    this.parser = new ResponseParser({ method: exchange.request.method });
    this.done = new Promise<Exchange>((resolve) => {
      this.resolveDone = resolve;
    });
    const stream = conn.stream;
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('close', () => this.onEnd());
    stream.on('error', (err: NodeJS.ErrnoException) => this.onError(err));
    if (conn.raw !== stream) {
      // With TLS on top, errors surface on the TLS socket; a close of the TCP
      // socket is still a close.
      conn.raw.on('close', () => this.onEnd());
    }
  }

  /** Settles with an error after ms unless settled before. */
  armTimeout(ms: number, message: () => string): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.fail('timeout', message()), timerDelay(ms));
  }

  /** Settles the exchange with an error (no-op when already settled). */
  fail(kind: ErrorKind, message: string): void {
    if (this.settled) return;
    this.exchange.error = message;
    this.exchange.errorKind = kind;
    this.settle();
  }

  /** Destroys the connection without settling (settling does this too). */
  destroy(): void {
    destroyConnection(this.conn);
  }

  private onData(chunk: Buffer): void {
    if (this.settled) return;
    if (this.received === 0) {
      this.exchange.firstByteAt = now();
      this.received += chunk.length;
      this.options.onFirstByte?.();
      if (this.settled) return;
    } else {
      this.received += chunk.length;
    }
    try {
      this.parser.feed(chunk);
    } catch (err) {
      this.fail('protocol', `malformed response from ${this.options.origin}: ${(err as Error).message}`);
      return;
    }
    if (this.parser.done) this.succeed();
  }

  private onEnd(): void {
    if (this.settled) return;
    try {
      this.parser.end();
    } catch (err) {
      if (err instanceof ParseError && err.code !== 'incomplete') {
        this.fail('protocol', `malformed response from ${this.options.origin}: ${err.message}`);
      } else {
        this.fail('reset', `${this.options.origin}: ${(err as Error).message}`);
      }
      return;
    }
    this.succeed();
  }

  private onError(err: NodeJS.ErrnoException): void {
    if (this.settled) return;
    const { kind, message } = classifyTransportError(err, {
      where: this.options.origin,
      phase: 'response',
      progress: `after ${this.received} response bytes`,
    });
    this.fail(kind, message);
  }

  private succeed(): void {
    const response = this.parser.result;
    if (!response) return;
    this.exchange.response = response;
    this.settle();
  }

  private settle(): void {
    this.settled = true;
    this.exchange.endedAt = now();
    clearTimeout(this.timer);
    this.destroy();
    this.resolveDone(this.exchange);
  }
}

/**
 * Parses req's URL and encodes the request for the wire (encode gets the
 * URL). A request that cannot be sent (bad URL, header or body) is a
 * 'protocol' TransportError.
 */
export function encodeRequest<T>(req: HttpRequest, encode: (url: URL) => T): { url: URL; payload: T } | TransportError {
  try {
    const url = new URL(req.url);
    return { url, payload: encode(url) };
  } catch (err) {
    return new TransportError('protocol', `cannot send request: ${(err as Error).message}`);
  }
}

/** Records a failure on an exchange that never got a connection. */
export function failExchange(exchange: Exchange, err: unknown): Exchange {
  if (err instanceof TransportError) {
    exchange.error = err.message;
    exchange.errorKind = err.kind;
  } else {
    exchange.error = (err as Error)?.message ?? String(err);
    exchange.errorKind = 'protocol';
  }
  exchange.endedAt = now();
  return exchange;
}

/**
 * Sends one request over a fresh connection and reads the response. Never
 * throws for transport failures: they become `error` and `errorKind`. An
 * unwritable request (bad URL or header) becomes a 'protocol' error too.
 * The whole exchange, connect included, is bounded by opts.timeoutMs.
 */
export async function sendRaw(req: HttpRequest, opts: TransportOptions, label = 'request'): Promise<Exchange> {
  const exchange: Exchange = { label, request: req, startedAt: now() };
  const deadline = exchange.startedAt + opts.timeoutMs;
  const encoded = encodeRequest(req, () => serializeRequest(req));
  if (encoded instanceof TransportError) return failExchange(exchange, encoded);
  const { url, payload: bytes } = encoded;

  let conn: Connection;
  try {
    conn = await openConnection(url, { ...opts, timeoutMs: deadline - now() });
  } catch (err) {
    return failExchange(exchange, err);
  }

  const collector = new ResponseCollector(conn, exchange, { origin: url.origin });
  try {
    collector.armTimeout(
      deadline - now(),
      () => `no complete response from ${url.origin} within ${opts.timeoutMs} ms (${collector.received} response bytes received)`,
    );
    conn.stream.write(bytes, (err) => {
      if (!err && exchange.sentAt === undefined) exchange.sentAt = now();
    });
  } catch (err) {
    collector.fail('protocol', `cannot send request to ${url.origin}: ${(err as Error).message}`);
  }
  try {
    return await collector.done;
  } finally {
    collector.destroy();
  }
}
