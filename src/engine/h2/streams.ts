// The lifecycle of the streams of a single-packet burst: each request's slot
// settles exactly once, with the response its stream delivered or with the
// first failure of the stream or of its session.
import http2 from 'node:http2';
import { now, type Exchange } from '../../model/http.js';
import type { TransportError } from '../http/errors.js';
import type { ErrorKind } from '../transport/exchange.js';
import { declaredBodyLength, responseTooLargeMessage } from '../transport/options.js';
import { closeConnection, type H2Connection } from './connect.js';
import { responseHeaders } from './headers.js';

/** One request of the burst, from its encoding to its settled exchange. */
export interface Slot {
  exchange: Exchange;
  url: URL;
  /** The request's HTTP/2 header block. */
  headers: http2.OutgoingHttpHeaders;
  body: Buffer;
  /** Body bytes sent before the release (normally all but the last). */
  held: number;
  /** The connection the slot was packed onto. */
  conn?: Conn;
  stream?: http2.ClientHttp2Stream;
  /** Prefix flushed and connection warmed: ready for the release. */
  primed: boolean;
  /** The exchange has its response or its error. */
  settled: boolean;
  /** The response's :status and headers, once they came. */
  status?: number;
  headersIn?: Record<string, string>;
  /** Response body so far. */
  chunks: Buffer[];
  /** Response body bytes so far. */
  received: number;
  /** Largest response body accepted, bytes. */
  limit: number;
  /** Resolves once settled. */
  done: Promise<void>;
  resolve: () => void;
}

/** A fresh slot for an exchange whose request encoded to these headers; limit bounds its response body. */
export function newSlot(exchange: Exchange, url: URL, headers: http2.OutgoingHttpHeaders, body: Buffer, limit: number): Slot {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { exchange, url, headers, body, held: 0, primed: false, settled: false, chunks: [], received: 0, limit, done, resolve };
}

/** One connection of the burst and the requests packed onto it. */
export interface Conn {
  h2: H2Connection;
  slots: Slot[];
}

/** Settles a slot with an error (no-op when already settled); what came of the body is dropped. */
export function fail(slot: Slot, kind: ErrorKind, message: string): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.chunks = [];
  slot.exchange.error = message;
  slot.exchange.errorKind = kind;
  slot.exchange.endedAt = now();
  slot.resolve();
}

/** Settles a slot with a TransportError. */
export function failSlot(slot: Slot, err: TransportError): void {
  fail(slot, err.kind, err.message);
}

/** Settles a slot with the response its stream delivered (no-op when already settled). */
export function succeed(slot: Slot): void {
  if (slot.settled) return;
  slot.settled = true;
  slot.exchange.response = {
    status: slot.status!,
    headers: slot.headersIn ?? {},
    body: slot.chunks.length === 1 ? slot.chunks[0]! : Buffer.concat(slot.chunks),
  };
  slot.exchange.endedAt = now();
  slot.resolve();
}

/** Session-level trouble fails every pending exchange of the connection. */
export function watchSession(conn: Conn): void {
  const { session, where } = conn.h2;
  const failAll = (kind: ErrorKind, message: string): void => {
    for (const slot of conn.slots) fail(slot, kind, message);
  };
  session.on('error', (err: NodeJS.ErrnoException) => {
    const kind: ErrorKind = err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'protocol';
    failAll(kind, `HTTP/2 connection to ${where} failed: ${err.message}`);
  });
  session.on('goaway', (code: number, lastStreamID: number) => {
    for (const slot of conn.slots) {
      const id = slot.stream?.id;
      if (id === undefined || id > lastStreamID) {
        fail(slot, 'reset', `${where} sent GOAWAY (${errorName(code)}) before taking this stream`);
      }
    }
  });
  session.on('close', () => failAll('reset', `connection to ${where} closed before a complete response`));
}

/**
 * Collects the response of a slot's stream and settles the slot when the
 * stream ends or fails. A body past slot.limit (by its Content-Length, or by
 * the byte that passes it) fails the slot at once: see tooLarge.
 */
export function watchStream(slot: Slot, stream: http2.ClientHttp2Stream, where: string): void {
  stream.on('response', (headers) => {
    slot.exchange.firstByteAt ??= now();
    slot.status = Number(headers[':status']);
    slot.headersIn = responseHeaders(headers);
    const declared = declaredBodyLength(String(slot.headers[':method']), slot.status, headers['content-length']);
    if (declared !== undefined && declared > slot.limit) tooLarge(slot, stream, declared);
  });
  stream.on('data', (chunk: Buffer) => {
    if (slot.settled) return;
    if (slot.received + chunk.length > slot.limit) {
      tooLarge(slot, stream);
      return;
    }
    slot.received += chunk.length;
    slot.chunks.push(chunk);
  });
  stream.on('end', () => {
    if (slot.status === undefined) fail(slot, 'protocol', `stream to ${where} ended without response headers`);
    else succeed(slot);
  });
  stream.on('error', (err: NodeJS.ErrnoException) => {
    const kind: ErrorKind = err.code === 'ERR_HTTP2_STREAM_ERROR' || err.code === 'ERR_HTTP2_GOAWAY_SESSION' ? 'reset' : 'protocol';
    fail(slot, kind, `stream to ${where} failed: ${err.message}`);
  });
  stream.on('close', () => {
    fail(slot, 'reset', `${where} closed the stream before a complete response (${errorName(stream.rstCode)})`);
  });
}

/**
 * Fails a slot whose response body passes its bound and stops the body:
 * RST_STREAM (CANCEL) tells the peer to stop sending it, and the connection
 * is destroyed at once when no other request of the burst still waits on it.
 * (A connection that still carries other pending streams stays up for them:
 * tearing it down would fail their exchanges for this one's sake.)
 */
function tooLarge(slot: Slot, stream: http2.ClientHttp2Stream, declared?: number): void {
  fail(slot, 'protocol', responseTooLargeMessage(slot.limit, slot.url.origin, declared));
  if (!stream.destroyed) stream.close(http2.constants.NGHTTP2_CANCEL);
  const conn = slot.conn;
  if (conn && conn.slots.every((s) => s.settled)) closeConnection(conn.h2);
}

/** "NGHTTP2_REFUSED_STREAM (7)" for an HTTP/2 error code. */
function errorName(code: number | undefined): string {
  if (code === undefined) return 'no error code';
  const constants = http2.constants as unknown as Record<string, number>;
  for (const [name, value] of Object.entries(constants)) {
    if (value === code && name.startsWith('NGHTTP2_') && !name.startsWith('NGHTTP2_ERR_') && name !== 'NGHTTP2_SESSION_CLIENT') {
      return `${name} (${code})`;
    }
  }
  return `error code ${code}`;
}
