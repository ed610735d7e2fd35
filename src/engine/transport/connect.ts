// The one connector both raw engines sit on: a TCP socket we connect
// ourselves, optionally a layer over it (h2 puts its counting tap there),
// and TLS over that for https. The caller always keeps the raw TCP socket,
// so it can reset it (a TCP RST) whatever runs on top. What runs over the
// result (HTTP/1.1 bytes, an HTTP/2 session) is the engine's business.
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import type { TransportOptions } from '../../model/http.js';
import { interruptedError, noop, timerDelay, TransportError, transportError, whenAborted } from '../http/errors.js';

/** The sockets of one connection, bottom up. */
export interface SocketStack<C extends Duplex = net.Socket> {
  /** The TCP socket: reset this one to cut the connection. */
  raw: net.Socket;
  /** What TLS, or without TLS the protocol, runs over: `raw` itself, or the layer `via` built on it. */
  carrier: C;
  /** TLS over the carrier, for https. */
  secure?: tls.TLSSocket;
  /** The protocol ALPN settled on (TLS only). */
  alpn?: string;
}

export interface ConnectSpec<C extends Duplex> {
  /** ALPN protocols to offer over TLS, in order of preference. */
  alpn: string[];
  /** Builds the layer between the TCP socket and TLS (called before connecting). Default: none. */
  via?: (raw: net.Socket) => C;
  /** Describes a TLS-phase error; default: the shared classifier. */
  tlsError?: (err: unknown, where: string) => TransportError;
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

/** Destroys every socket of a stack, top down. Safe to call twice. */
export function destroyStack(stack: Pick<SocketStack<Duplex>, 'raw' | 'carrier' | 'secure'>): void {
  stack.secure?.destroy();
  if (stack.carrier !== stack.raw) stack.carrier.destroy();
  stack.raw.destroy();
}

/**
 * Connects to the URL's origin (TCP, then TLS for https over the carrier),
 * bounded by opts.timeoutMs and ended by opts.signal. Rejects with a
 * TransportError ('connect', 'tls', 'timeout', 'protocol' or 'interrupted');
 * every socket is destroyed on failure. On success
 * the caller owns the stack and must destroy it. Every socket of it carries a
 * no-op 'error' listener, so a late error never crashes the process; add
 * your own listeners to observe errors.
 */
export function connectStack<C extends Duplex = net.Socket>(
  url: URL,
  opts: TransportOptions,
  spec: ConnectSpec<C>,
): Promise<SocketStack<C>> {
  const rejected = unsupportedScheme(url);
  if (rejected) return rejected;
  if (opts.signal?.aborted) return Promise.reject(interruptedError());
  const { host, port, secure: secureWanted } = connectTarget(url);
  const where = describeAddress(url);
  const describeTls = spec.tlsError ?? ((err: unknown, at: string) => transportError(err, { where: at, phase: 'tls' }));

  return new Promise<SocketStack<C>>((resolve, reject) => {
    let settled = false;
    let secure: tls.TLSSocket | undefined;
    const raw = new net.Socket();
    raw.on('error', noop);
    const carrier = spec.via ? spec.via(raw) : (raw as unknown as C);
    if (carrier !== (raw as unknown)) carrier.on('error', noop);

    const fail = (err: TransportError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopListening();
      destroyStack({ raw, carrier, secure });
      reject(err);
    };
    const succeed = (stack: SocketStack<C>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopListening();
      raw.off('error', onRawError);
      raw.off('close', onClose);
      secure?.off('error', onTlsError);
      secure?.off('close', onClose);
      resolve(stack);
    };

    const timer = setTimeout(() => {
      const phase = secure ? 'TLS handshake with' : 'connecting to';
      fail(new TransportError('timeout', `timed out after ${Math.round(opts.timeoutMs)} ms ${phase} ${where}`));
    }, timerDelay(opts.timeoutMs));
    const stopListening = whenAborted(opts.signal, () => fail(interruptedError()));

    const onRawError = (err: NodeJS.ErrnoException): void => {
      fail(secure ? describeTls(err, where) : transportError(err, { where, phase: 'connect' }));
    };
    const onTlsError = (err: NodeJS.ErrnoException): void => fail(describeTls(err, where));
    const onClose = (): void => {
      // Errors come before 'close'; a bare close means the peer hung up early.
      fail(closedEarly(secure ? 'tls' : 'connect', where));
    };
    raw.on('error', onRawError);
    raw.on('close', onClose);

    raw.connect({ host, port }, () => {
      raw.setNoDelay(true);
      if (!secureWanted) {
        succeed({ raw, carrier });
        return;
      }
      let socket: tls.TLSSocket;
      try {
        socket = tls.connect(tlsOptions(carrier as unknown as net.Socket, host, opts, spec.alpn));
      } catch (err) {
        fail(describeTls(err, where));
        return;
      }
      secure = socket;
      socket.on('error', noop);
      socket.on('error', onTlsError);
      socket.on('close', onClose);
      socket.once('secureConnect', () => {
        const alpn = socket.alpnProtocol;
        succeed(alpn ? { raw, carrier, secure: socket, alpn } : { raw, carrier, secure: socket });
      });
    });
  });
}
