// Opens one HTTP/2 connection on sockets we own: a TCP socket we connect
// ourselves, the counting tap over it, TLS over the tap for https (ALPN h2
// required), and the node:http2 client session over that. Resolves once the
// peer's SETTINGS have arrived, so its limits are known.
import http2 from 'node:http2';
import net from 'node:net';
import tls from 'node:tls';
import type { TransportOptions } from '../../model/http.js';
import { closedEarly, connectTarget, describeAddress, tlsOptions, unsupportedScheme } from '../h1/connect.js';
import { noop, timerDelay, TransportError, transportError } from '../http/errors.js';
import { WireTap } from './tap.js';

export interface H2Connection {
  /** The TCP socket. */
  raw: net.Socket;
  /** The counting tap right above the TCP socket (it sees ciphertext under TLS). */
  tap: WireTap;
  /** TLS over the tap, for https. */
  secure?: tls.TLSSocket;
  session: http2.ClientHttp2Session;
  /** "host:port", for messages. */
  where: string;
}

/** Destroys the session and every socket under it. Safe to call twice. */
export function closeConnection(conn: Pick<H2Connection, 'raw' | 'tap' | 'secure'> & { session?: http2.ClientHttp2Session }): void {
  if (conn.session && !conn.session.destroyed) conn.session.destroy();
  conn.secure?.destroy();
  conn.tap.destroy();
  conn.raw.destroy();
}

/**
 * Connects to url's origin within ms and waits for the peer's SETTINGS.
 * Rejects with a TransportError ('connect', 'tls', 'timeout' or 'protocol');
 * everything opened is destroyed on failure. On success the caller owns the
 * connection and must closeConnection() it.
 */
export function openH2Connection(url: URL, opts: TransportOptions, ms: number): Promise<H2Connection> {
  const rejected = unsupportedScheme(url);
  if (rejected) return rejected;
  const { host, port, secure: secureWanted } = connectTarget(url);
  const where = describeAddress(url);

  return new Promise<H2Connection>((resolve, reject) => {
    let phase: 'tcp' | 'tls' | 'h2' = 'tcp';
    let done = false;
    const raw = new net.Socket();
    raw.on('error', noop);
    const tap = new WireTap(raw);
    tap.on('error', noop);
    let secure: tls.TLSSocket | undefined;
    let session: http2.ClientHttp2Session | undefined;

    const fail = (err: TransportError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      closeConnection({ raw, tap, secure, session });
      reject(err);
    };
    const timer = setTimeout(() => {
      const what = phase === 'tcp' ? 'connecting to' : phase === 'tls' ? 'TLS handshake with' : 'waiting for the HTTP/2 SETTINGS of';
      fail(new TransportError('timeout', `timed out after ${Math.round(ms)} ms ${what} ${where}`));
    }, timerDelay(ms));

    const onClose = (): void => {
      if (phase !== 'h2') fail(closedEarly(phase === 'tcp' ? 'connect' : 'tls', where));
      else fail(new TransportError('protocol', `${where} closed the connection before sending its HTTP/2 SETTINGS (does it speak HTTP/2${secureWanted ? '' : ' with prior knowledge (h2c)'}?)`));
    };
    raw.on('error', (err: NodeJS.ErrnoException) => {
      if (phase === 'tcp') fail(transportError(err, { where, phase: 'connect' }));
      else if (phase === 'tls') fail(tlsError(err, where));
      else fail(transportError(err, { where, phase: 'response', progress: 'before its HTTP/2 SETTINGS arrived' }));
    });
    raw.on('close', onClose);

    const startSession = (socket: net.Socket | tls.TLSSocket | WireTap): void => {
      phase = 'h2';
      let s: http2.ClientHttp2Session;
      try {
        s = http2.connect(url.origin, {
          createConnection: () => socket as unknown as net.Socket,
          settings: { enablePush: false },
        });
      } catch (err) {
        fail(new TransportError('protocol', `cannot start HTTP/2 with ${where}: ${(err as Error).message}`));
        return;
      }
      session = s;
      s.on('error', noop);
      s.once('error', (err: NodeJS.ErrnoException) => {
        fail(
          new TransportError(
            'protocol',
            `HTTP/2 with ${where} failed before its SETTINGS arrived: ${err.message}${secureWanted ? '' : ' (does it speak h2c with prior knowledge?)'}`,
            err.code,
          ),
        );
      });
      s.once('close', onClose);
      s.once('remoteSettings', () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        raw.off('close', onClose);
        s.off('close', onClose);
        const conn: H2Connection = { raw, tap, session: s, where };
        if (secure) conn.secure = secure;
        resolve(conn);
      });
    };

    raw.connect({ host, port }, () => {
      raw.setNoDelay(true);
      if (!secureWanted) {
        startSession(tap);
        return;
      }
      phase = 'tls';
      try {
        secure = tls.connect(tlsOptions(tap as unknown as net.Socket, host, opts, ['h2']));
      } catch (err) {
        fail(tlsError(err, where));
        return;
      }
      const sock = secure;
      sock.on('error', noop);
      sock.on('error', (err: NodeJS.ErrnoException) => {
        if (phase === 'tls') fail(tlsError(err, where));
      });
      sock.on('close', () => {
        if (phase === 'tls') onClose();
      });
      sock.once('secureConnect', () => {
        if (sock.alpnProtocol !== 'h2') {
          const got = sock.alpnProtocol ? `it chose ${JSON.stringify(sock.alpnProtocol)}` : 'it chose no protocol';
          fail(new TransportError('tls', `TLS: ${where} did not agree to HTTP/2 via ALPN (${got}); use the HTTP/1.1 engine for this target`));
          return;
        }
        startSession(sock);
      });
    });
  });
}

/** A TLS handshake error; a refusal of ALPN h2 says to use the HTTP/1.1 engine. */
function tlsError(err: unknown, where: string): TransportError {
  if ((err as NodeJS.ErrnoException)?.code === 'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL') {
    return new TransportError(
      'tls',
      `TLS: ${where} refused ALPN "h2" (it does not offer HTTP/2 over TLS); use the HTTP/1.1 engine for this target`,
      'ERR_SSL_TLSV1_ALERT_NO_APPLICATION_PROTOCOL',
    );
  }
  return transportError(err, { where, phase: 'tls' });
}
