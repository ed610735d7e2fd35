// Opens one connection for one request. For https we connect a plain TCP
// socket first and run TLS over it, so the caller still holds the raw socket
// and can reset it (a TCP RST) whatever runs on top.
import net from 'node:net';
import tls from 'node:tls';
import { noop, timerDelay, TransportError, transportError } from '../http/errors.js';
import type { TransportOptions } from '../../model/http.js';

export interface Connection {
  /** The TCP socket: reset this one to cut the connection. */
  raw: net.Socket;
  /** What requests are written to and responses read from: `raw` itself, or TLS over it. */
  stream: net.Socket | tls.TLSSocket;
  /** The protocol ALPN settled on (TLS only). */
  alpn?: string;
}

/** "host:port", with brackets for IPv6. */
export function describeAddress(url: URL): string {
  const { host, port } = connectTarget(url);
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host (IPv6 without brackets), port and scheme a connection to url's origin goes to. */
export function connectTarget(url: URL): { host: string; port: number; secure: boolean } {
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { host, port, secure };
}

/** A rejection for a URL neither http: nor https:; undefined for those two. */
export function unsupportedScheme(url: URL): Promise<never> | undefined {
  if (url.protocol === 'http:' || url.protocol === 'https:') return undefined;
  return Promise.reject(
    new TransportError('protocol', `unsupported URL scheme ${JSON.stringify(url.protocol)} (only http: and https:)`),
  );
}

/** The peer closed the connection while connecting (TCP) or during the TLS handshake. */
export function closedEarly(phase: 'connect' | 'tls', where: string): TransportError {
  return phase === 'tls'
    ? new TransportError('tls', `TLS: ${where} closed the connection during the handshake`)
    : new TransportError('connect', `cannot connect to ${where}: connection closed while connecting`);
}

/**
 * TLS over socket to host, offering the ALPN protocols: the certificate is
 * checked unless opts.insecure, against opts.ca when given, and SNI carries
 * host names only (RFC 6066); an IP is still checked against the certificate.
 */
export function tlsOptions(socket: net.Socket, host: string, opts: TransportOptions, alpn: string[]): tls.ConnectionOptions {
  const options: tls.ConnectionOptions = { socket, host, rejectUnauthorized: !opts.insecure, ALPNProtocols: alpn };
  if (!net.isIP(host)) options.servername = host;
  if (opts.ca !== undefined) options.ca = opts.ca;
  return options;
}

/**
 * Connects to the URL's origin (TCP, then TLS for https), bounded by
 * opts.timeoutMs. Rejects with a TransportError; the sockets are destroyed
 * on every failure. On success the caller owns both sockets and must destroy
 * them. Both carry a no-op 'error' listener, so a late error never crashes
 * the process; add your own listeners to observe errors.
 */
export function openConnection(url: URL, opts: TransportOptions): Promise<Connection> {
  const rejected = unsupportedScheme(url);
  if (rejected) return rejected;
  const { host, port, secure } = connectTarget(url);
  const where = describeAddress(url);

  return new Promise<Connection>((resolve, reject) => {
    let settled = false;
    let secureSocket: tls.TLSSocket | undefined;
    const raw = new net.Socket();
    raw.on('error', noop);

    const fail = (err: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      secureSocket?.destroy();
      raw.destroy();
      reject(err);
    };
    const succeed = (connection: Connection): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      raw.off('error', onRawError);
      raw.off('close', onRawClose);
      secureSocket?.off('error', onTlsError);
      secureSocket?.off('close', onRawClose);
      resolve(connection);
    };

    const timer = setTimeout(() => {
      const phase = secureSocket ? 'TLS handshake with' : 'connecting to';
      fail(new TransportError('timeout', `timed out after ${Math.round(opts.timeoutMs)} ms ${phase} ${where}`));
    }, timerDelay(opts.timeoutMs));

    const onRawError = (err: NodeJS.ErrnoException): void => {
      fail(transportError(err, { where, phase: secureSocket ? 'tls' : 'connect' }));
    };
    const onTlsError = (err: NodeJS.ErrnoException): void => fail(transportError(err, { where, phase: 'tls' }));
    const onRawClose = (): void => {
      // Errors come before 'close'; a bare close means the peer hung up early.
      fail(closedEarly(secureSocket ? 'tls' : 'connect', where));
    };
    raw.on('error', onRawError);
    raw.on('close', onRawClose);

    raw.connect({ host, port }, () => {
      raw.setNoDelay(true);
      if (!secure) {
        succeed({ raw, stream: raw });
        return;
      }
      let socket: tls.TLSSocket;
      try {
        socket = tls.connect(tlsOptions(raw, host, opts, ['http/1.1']));
      } catch (err) {
        fail(transportError(err, { where, phase: 'tls' }));
        return;
      }
      secureSocket = socket;
      socket.on('error', noop);
      socket.on('error', onTlsError);
      socket.on('close', onRawClose);
      socket.once('secureConnect', () => {
        const alpn = socket.alpnProtocol;
        succeed(alpn ? { raw, stream: socket, alpn } : { raw, stream: socket });
      });
    });
  });
}
