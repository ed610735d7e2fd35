// Opens one connection for one request. For https we connect a plain TCP
// socket first and run TLS over it, so the caller still holds the raw socket
// and can reset it (a TCP RST) whatever runs on top.
import net from 'node:net';
import tls from 'node:tls';
import type { Exchange, TransportOptions } from '../http/types.js';

export type TransportErrorKind = Exclude<NonNullable<Exchange['errorKind']>, 'cut'>;

export class TransportError extends Error {
  override readonly name = 'TransportError';

  constructor(
    readonly kind: TransportErrorKind,
    message: string,
    /** The node error code behind it, when there is one (ECONNREFUSED...). */
    readonly code?: string,
  ) {
    super(message);
  }
}

export interface Connection {
  /** The TCP socket: reset this one to cut the connection. */
  raw: net.Socket;
  /** What requests are written to and responses read from: `raw` itself, or TLS over it. */
  stream: net.Socket | tls.TLSSocket;
  /** The protocol ALPN settled on (TLS only). */
  alpn?: string;
}

/** Certificate verification failures, where --insecure or --ca is the way out. */
const CERT_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_UNTRUSTED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_SIGNATURE_FAILURE',
  'CERT_REJECTED',
  'INVALID_CA',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

const CONNECT_HINTS: Record<string, string> = {
  ECONNREFUSED: 'nothing listening there',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function noop(): void {}

/** A delay setTimeout accepts: at least 0, at most 2^31-1 ms (beyond that node fires after 1 ms). */
export function timerDelay(ms: number): number {
  return Math.min(Math.max(0, ms), 2_147_483_647);
}

/** "host:port", with brackets for IPv6. */
export function describeAddress(url: URL): string {
  const { host, port } = target(url);
  return net.isIPv6(host) ? `[${host}]:${port}` : `${host}:${port}`;
}

function target(url: URL): { host: string; port: number; secure: boolean } {
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  return { host, port, secure };
}

/**
 * Connects to the URL's origin (TCP, then TLS for https), bounded by
 * opts.timeoutMs. Rejects with a TransportError; the sockets are destroyed
 * on every failure. On success the caller owns both sockets and must destroy
 * them. Both carry a no-op 'error' listener, so a late error never crashes
 * the process; add your own listeners to observe errors.
 */
export function openConnection(url: URL, opts: TransportOptions): Promise<Connection> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return Promise.reject(
      new TransportError('protocol', `unsupported URL scheme ${JSON.stringify(url.protocol)} (only http: and https:)`),
    );
  }
  const { host, port, secure } = target(url);
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
      fail(secureSocket ? tlsError(err, where) : connectError(err, where));
    };
    const onTlsError = (err: NodeJS.ErrnoException): void => fail(tlsError(err, where));
    const onRawClose = (): void => {
      // Errors come before 'close'; a bare close means the peer hung up early.
      fail(
        secureSocket
          ? new TransportError('tls', `TLS: ${where} closed the connection during the handshake`)
          : new TransportError('connect', `cannot connect to ${where}: connection closed while connecting`),
      );
    };
    raw.on('error', onRawError);
    raw.on('close', onRawClose);

    raw.connect({ host, port }, () => {
      raw.setNoDelay(true);
      if (!secure) {
        succeed({ raw, stream: raw });
        return;
      }
      const options: tls.ConnectionOptions = {
        socket: raw,
        host,
        rejectUnauthorized: !opts.insecure,
        ALPNProtocols: ['http/1.1'],
      };
      // SNI carries host names only (RFC 6066); an IP is still checked against the certificate.
      if (!net.isIP(host)) options.servername = host;
      if (opts.ca !== undefined) options.ca = opts.ca;
      let socket: tls.TLSSocket;
      try {
        socket = tls.connect(options);
      } catch (err) {
        fail(tlsError(err as NodeJS.ErrnoException, where));
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

function connectError(err: NodeJS.ErrnoException, where: string): TransportError {
  const code = err.code ?? '';
  if (code === 'ETIMEDOUT') return new TransportError('timeout', `cannot connect to ${where}: ETIMEDOUT`, code);
  const hint = CONNECT_HINTS[code];
  const detail = code ? `${code}${hint ? ` (${hint})` : ''}` : err.message;
  return new TransportError('connect', `cannot connect to ${where}: ${detail}`, code || undefined);
}

function tlsError(err: NodeJS.ErrnoException, where: string): TransportError {
  const code = err.code ?? '';
  if (CERT_CODES.has(code)) {
    return new TransportError('tls', `TLS: ${err.message} from ${where} (use --insecure or --ca)`, code);
  }
  if (code === 'ECONNRESET' || code === 'EPIPE') {
    return new TransportError('tls', `TLS: ${where} reset the connection during the handshake (${code})`, code);
  }
  return new TransportError('tls', `TLS handshake with ${where} failed: ${err.message}`, code || undefined);
}
