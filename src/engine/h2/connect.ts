// Opens one HTTP/2 connection over the shared connector: a TCP socket we
// connect ourselves, the counting tap over it, TLS over the tap for https
// (ALPN h2 required), and the node:http2 client session over that. Resolves
// once the peer's SETTINGS have arrived, so its limits are known.
import http2 from 'node:http2';
import type net from 'node:net';
import type tls from 'node:tls';
import { now, type TransportOptions } from '../../model/http.js';
import { interruptedError, noop, timerDelay, TransportError, transportError, whenAborted } from '../http/errors.js';
import { connectStack, describeAddress, destroyStack, type SocketStack } from '../transport/connect.js';
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
  destroyStack({ raw: conn.raw, carrier: conn.tap, secure: conn.secure });
}

/**
 * Connects to url's origin within ms and waits for the peer's SETTINGS.
 * Rejects with a TransportError ('connect', 'tls', 'timeout', 'protocol',
 * or 'interrupted' when opts.signal aborts);
 * everything opened is destroyed on failure. On success the caller owns the
 * connection and must closeConnection() it.
 */
export async function openH2Connection(url: URL, opts: TransportOptions, ms: number): Promise<H2Connection> {
  const started = now();
  const stack = await connectStack(url, { ...opts, timeoutMs: ms }, {
    alpn: ['h2'],
    via: (raw) => new WireTap(raw),
    tlsError,
  });
  const where = describeAddress(url);
  if (stack.secure && stack.alpn !== 'h2') {
    destroyStack(stack);
    const got = stack.alpn ? `it chose ${JSON.stringify(stack.alpn)}` : 'it chose no protocol';
    throw new TransportError('tls', `TLS: ${where} did not agree to HTTP/2 via ALPN (${got}); use the HTTP/1.1 engine for this target`);
  }
  return startSession(url, stack, where, ms, started + ms - now(), opts.signal);
}

/** Starts the HTTP/2 session over the stack and resolves once the peer's SETTINGS arrived, within left ms. */
function startSession(url: URL, stack: SocketStack<WireTap>, where: string, ms: number, left: number, signal?: AbortSignal): Promise<H2Connection> {
  const { raw, carrier: tap, secure } = stack;
  const h2c = secure === undefined;
  return new Promise<H2Connection>((resolve, reject) => {
    let done = false;
    let session: http2.ClientHttp2Session | undefined;
    const fail = (err: TransportError): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopListening?.();
      closeConnection({ raw, tap, secure, session });
      reject(err);
    };
    const timer = setTimeout(() => {
      fail(new TransportError('timeout', `timed out after ${Math.round(ms)} ms waiting for the HTTP/2 SETTINGS of ${where}`));
    }, timerDelay(left));
    let stopListening: (() => void) | undefined;
    stopListening = whenAborted(signal, () => fail(interruptedError()));
    if (done) return;
    const onClose = (): void => {
      fail(new TransportError('protocol', `${where} closed the connection before sending its HTTP/2 SETTINGS (does it speak HTTP/2${h2c ? ' with prior knowledge (h2c)' : ''}?)`));
    };
    const onRawError = (err: NodeJS.ErrnoException): void => {
      fail(transportError(err, { where, phase: 'response', progress: 'before its HTTP/2 SETTINGS arrived' }));
    };
    raw.on('error', onRawError);
    raw.on('close', onClose);

    let s: http2.ClientHttp2Session;
    try {
      s = http2.connect(url.origin, {
        createConnection: () => (secure ?? tap) as unknown as net.Socket,
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
          `HTTP/2 with ${where} failed before its SETTINGS arrived: ${err.message}${h2c ? ' (does it speak h2c with prior knowledge?)' : ''}`,
          err.code,
        ),
      );
    });
    s.once('close', onClose);
    s.once('remoteSettings', () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stopListening?.();
      raw.off('error', onRawError);
      raw.off('close', onClose);
      s.off('close', onClose);
      const conn: H2Connection = { raw, tap, session: s, where };
      if (secure) conn.secure = secure;
      resolve(conn);
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
