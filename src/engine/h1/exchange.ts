// One request over one fresh connection: the plain raw HTTP/1.1 exchange.
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../../model/http.js';
import { TransportError } from '../http/errors.js';
import { failExchange } from '../transport/exchange.js';
import { responseLimit } from '../transport/options.js';
import { encodeRequest } from '../transport/request.js';
import { ResponseCollector } from './collector.js';
import { openConnection, type Connection } from './connect.js';
import { serializeRequest } from './serialize.js';

/**
 * Sends one request over a fresh connection and reads the response. Never
 * throws for transport failures: they become `error` and `errorKind`. An
 * unwritable request (bad URL or header) becomes a 'protocol' error too.
 * The whole exchange, connect included, is bounded by opts.timeoutMs, and
 * the response body by opts.maxResponseBytes (default 16 MiB): past it the
 * exchange fails ('protocol') and the connection is closed at once.
 */
export async function sendRaw(req: HttpRequest, opts: TransportOptions, label = 'request'): Promise<Exchange> {
  const maxResponseBytes = responseLimit(opts);
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

  const collector = new ResponseCollector(conn, exchange, { origin: url.origin, maxResponseBytes, signal: opts.signal });
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
