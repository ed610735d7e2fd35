// Deliberate connection faults: send all or part of a request, then reset the
// TCP connection at a chosen point, the way a client crash or a dropped mobile
// link would. The reset is done on the raw TCP socket (also under TLS), so the
// server sees an RST, not a polite close.
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';
import { timerDelay, TransportError } from '../http/errors.js';
import { failExchange } from '../transport/exchange.js';
import { responseLimit, transportOptions } from '../transport/options.js';
import { encodeRequest } from '../transport/request.js';
import { ResponseCollector } from './collector.js';
import { openConnection, type Connection } from './connect.js';
import { serializeRequestParts } from './serialize.js';

export const CUT_POINTS = ['after-send', 'mid-body-first', 'mid-body-middle', 'mid-body-last', 'mid-response'] as const;
export type CutPoint = (typeof CUT_POINTS)[number];

export interface CutOptions extends TransportOptions {
  /** How long to wait after the write before resetting (not for mid-response). Default 25 ms. */
  graceMs?: number;
}

export const DEFAULT_GRACE_MS = 25;

/** How many body bytes go out before a mid-body cut. */
function bodyBytesBeforeCut(point: CutPoint, length: number): number | undefined {
  switch (point) {
    case 'mid-body-first':
      return 1;
    case 'mid-body-middle':
      return Math.floor(length / 2);
    case 'mid-body-last':
      return length - 1;
    default:
      return undefined;
  }
}

/**
 * Sends the request (or part of it) over a fresh connection and resets the
 * TCP connection at `point`:
 * - after-send: whole request; reset after the write is flushed plus graceMs,
 *   or at the first response byte if that comes sooner.
 * - mid-body-first / -middle / -last: the head plus 1, floor(len/2) or len-1
 *   body bytes; reset after the write plus graceMs (or at a first response
 *   byte). Rejects (Error) if the body is shorter than 2 bytes.
 * - mid-response: whole request; reset at the first response byte.
 * The exchange ends with errorKind 'cut' (or the connect error, or 'timeout'
 * when the cut point is not reached within opts.timeoutMs, or 'reset' when
 * the server closed first). sentAt is when the last written byte was flushed.
 */
export async function cutExchange(
  req: HttpRequest,
  point: CutPoint,
  opts: CutOptions,
  label = `cut ${point}`,
): Promise<Exchange> {
  if (!(CUT_POINTS as readonly string[]).includes(point)) {
    throw new Error(`unknown cut point ${JSON.stringify(point)} (expected one of ${CUT_POINTS.join(', ')})`);
  }
  const bodyLength = req.body?.length ?? 0;
  const bodyBytes = bodyBytesBeforeCut(point, bodyLength);
  if (bodyBytes !== undefined && bodyLength < 2) {
    throw new Error(
      `cut point ${point} needs a request body of at least 2 bytes; ${req.method} ${req.url} has ${bodyLength}`,
    );
  }
  const graceMs = opts.graceMs ?? DEFAULT_GRACE_MS;
  const maxResponseBytes = responseLimit(opts);
  const exchange: Exchange = { label, request: req, startedAt: now() };
  const deadline = exchange.startedAt + opts.timeoutMs;

  const encoded = encodeRequest(req, () => {
    const { head, body } = serializeRequestParts(req);
    return Buffer.concat([head, bodyBytes === undefined ? body : body.subarray(0, bodyBytes)]);
  });
  if (encoded instanceof TransportError) return failExchange(exchange, encoded);
  const { url, payload: bytes } = encoded;
  const what =
    bodyBytes === undefined ? `cut ${point}` : `cut ${point} after ${bodyBytes} of ${bodyLength} body bytes`;

  let conn: Connection;
  try {
    conn = await openConnection(url, transportOptions(opts, deadline - now()));
  } catch (err) {
    return failExchange(exchange, err);
  }

  let graceTimer: NodeJS.Timeout | undefined;
  const cut = (): void => {
    if (collector.settled) return;
    try {
      conn.raw.resetAndDestroy();
    } catch {
      conn.raw.destroy();
    }
    collector.fail('cut', `${what} (${collector.received} response bytes received)`);
  };
  const collector: ResponseCollector = new ResponseCollector(conn, exchange, {
    origin: url.origin,
    onFirstByte: cut,
    maxResponseBytes,
    signal: opts.signal,
  });
  collector.armTimeout(deadline - now(), () =>
    point === 'mid-response' && exchange.sentAt !== undefined
      ? `no response byte from ${url.origin} within ${opts.timeoutMs} ms, so no mid-response cut`
      : `${what} not reached within ${opts.timeoutMs} ms (request not flushed)`,
  );
  try {
    conn.stream.write(bytes, (err) => {
      if (err || collector.settled) return;
      exchange.sentAt = now();
      if (point !== 'mid-response') graceTimer = setTimeout(cut, timerDelay(graceMs));
    });
  } catch (err) {
    collector.fail('protocol', `cannot send request to ${url.origin}: ${(err as Error).message}`);
  }
  try {
    return await collector.done;
  } finally {
    clearTimeout(graceTimer);
    collector.destroy();
  }
}
