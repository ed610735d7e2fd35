// Reads the response of one HTTP/1.1 exchange from its connection and
// settles the exchange once; sendRaw, the burst and the cut modes share it.
import { now, type Exchange } from '../../model/http.js';
import { classifyTransportError, timerDelay, whenAborted } from '../http/errors.js';
import { INTERRUPTED } from '../../model/errors.js';
import type { ErrorKind } from '../transport/exchange.js';
import { responseLimit, responseTooLargeMessage } from '../transport/options.js';
import type { Connection } from './connect.js';
import { ParseError, ResponseParser } from './parser.js';

export interface CollectorOptions {
  /** The URL's origin, for messages. */
  origin: string;
  /** Called synchronously on the first response byte, before it is parsed (the collector may be settled by then). */
  onFirstByte?: () => void;
  /** Largest response body accepted; default DEFAULT_MAX_RESPONSE_BYTES. */
  maxResponseBytes?: number;
  /** The run's interruption: settles the exchange at once ('interrupted'), closing the connection. */
  signal?: AbortSignal;
}

/** Destroys both sockets of a connection (the TLS one first, then the TCP one). */
export function destroyConnection(conn: Connection): void {
  conn.stream.destroy();
  if (conn.raw !== conn.stream) conn.raw.destroy();
}

/**
 * Reads the response of one exchange from a connection and settles the
 * exchange exactly once: with a response, or with an error (peer closed or
 * reset, malformed response, a body past options.maxResponseBytes, an
 * aborted options.signal, or fail() from the owner). Settling records
 * endedAt and destroys the connection, so nothing more is read.
 */
export class ResponseCollector {
  /** Resolves with the exchange once it is settled; never rejects. */
  readonly done: Promise<Exchange>;
  /** Response bytes received so far. */
  received = 0;
  settled = false;
  private readonly parser: ResponseParser;
  private readonly limit: number;
  private resolveDone!: (exchange: Exchange) => void;
  private timer: NodeJS.Timeout | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    readonly conn: Connection,
    readonly exchange: Exchange,
    private readonly options: CollectorOptions,
  ) {
    this.limit = responseLimit(options);
    this.parser = new ResponseParser({ method: exchange.request.method, maxBodyBytes: this.limit });
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
    this.stopListening = whenAborted(options.signal, () => this.fail('interrupted', INTERRUPTED));
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
      if (err instanceof ParseError && err.code === 'body-too-large') {
        this.fail('protocol', responseTooLargeMessage(this.limit, this.options.origin, this.parser.declaredLength));
      } else {
        this.fail('protocol', `malformed response from ${this.options.origin}: ${(err as Error).message}`);
      }
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
    this.stopListening?.();
    this.destroy();
    this.resolveDone(this.exchange);
  }
}
