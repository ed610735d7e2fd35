// Opens one connection for one HTTP/1.1 request over the shared connector,
// offering http/1.1 by ALPN: the caller holds the raw TCP socket as well as
// the stream the request goes over, so it can reset the connection.
import type net from 'node:net';
import type tls from 'node:tls';
import type { TransportOptions } from '../../model/http.js';
import { connectStack } from '../transport/connect.js';

export { describeAddress } from '../transport/connect.js';

export interface Connection {
  /** The TCP socket: reset this one to cut the connection. */
  raw: net.Socket;
  /** What requests are written to and responses read from: `raw` itself, or TLS over it. */
  stream: net.Socket | tls.TLSSocket;
  /** The protocol ALPN settled on (TLS only). */
  alpn?: string;
}

/**
 * Connects to the URL's origin (TCP, then TLS for https), bounded by
 * opts.timeoutMs. Rejects with a TransportError; the sockets are destroyed
 * on every failure. On success the caller owns both sockets and must destroy
 * them. Both carry a no-op 'error' listener, so a late error never crashes
 * the process; add your own listeners to observe errors.
 */
export async function openConnection(url: URL, opts: TransportOptions): Promise<Connection> {
  const { raw, secure, alpn } = await connectStack(url, opts, { alpn: ['http/1.1'] });
  const conn: Connection = { raw, stream: secure ?? raw };
  if (alpn) conn.alpn = alpn;
  return conn;
}
