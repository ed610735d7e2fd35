// The engines that can release a `concurrent` burst, behind one interface:
// h1 (last-byte synchronisation over raw HTTP/1.1 sockets), h2 (the
// single-packet attack over HTTP/2) and naive (the baseline: the requests sent
// at once the way a typical client would). `auto` picks h2 for an https target
// that offers it by ALPN, and h1 otherwise.
import net from 'node:net';
import tls from 'node:tls';
import { lastByteBurst } from './h1/index.js';
import { singlePacketBurst } from './h2/index.js';
import { timerDelay, whenAborted } from './http/errors.js';
import { INTERRUPTED } from '../model/errors.js';
import { HttpClient } from './http/client.js';
import type { BurstResult } from './transport/burst.js';
import { burstLabel } from './transport/exchange.js';
import { now, type Exchange, type HttpRequest, type TransportOptions } from '../model/http.js';
import { ENGINE_NAMES, type EngineName } from '../scenario/types.js';

export { ENGINE_NAMES, type EngineName };
/** The response-body bound every engine applies when TransportOptions.maxResponseBytes is absent. */
export { DEFAULT_MAX_RESPONSE_BYTES } from './transport/options.js';

/** What one burst produced, whichever engine sent it. */
export interface EngineBurst extends BurstResult {
  /** Connections the burst was released over (h2; h1 and naive use one per request). */
  connections?: number;
  /** Why and how an h2 burst was split over several connections, when it was. */
  split?: string;
  /** Bytes of each connection's release write (h2). */
  finalWrites?: number[];
}

export type EngineBurstOptions = TransportOptions & { labels?: string[] };

export interface BurstEngine {
  name: 'h1' | 'h2' | 'naive';
  /** Why `auto` chose this engine (absent when it was named). */
  note?: string;
  /** Sends the requests as one burst. Never throws for transport failures: they become exchanges with errors. */
  burst(reqs: HttpRequest[], opts: EngineBurstOptions): Promise<EngineBurst>;
  /**
   * Sends one request over the connections the engine's bursts use, when it
   * keeps any between bursts (naive). Absent: the engine opens fresh
   * connections for every burst, and warming goes through a plain client.
   */
  warm?(req: HttpRequest, label: string): Promise<Exchange>;
  /** Releases whatever the engine keeps between bursts. */
  close(): Promise<void>;
}

export function h1Engine(): BurstEngine {
  return {
    name: 'h1',
    burst: (reqs, opts) => lastByteBurst(reqs, opts),
    close: async () => undefined,
  };
}

export function h2Engine(): BurstEngine {
  return {
    name: 'h2',
    async burst(reqs, opts) {
      const r = await singlePacketBurst(reqs, opts);
      const out: EngineBurst = {
        exchanges: r.exchanges,
        releaseSkewMs: r.releaseSkewMs,
        connectMs: r.connectMs,
        released: r.released,
        connections: r.connections,
        finalWrites: r.finalWrites,
      };
      if (r.split !== undefined) out.split = r.split;
      return out;
    },
    close: async () => undefined,
  };
}

/**
 * The baseline: every request handed to undici at once (Promise.all) on one
 * pool, as a typical client would send them. undici opens a connection per
 * request still waiting for one, so the requests race their own connects and
 * arrive spread out: the spread the h1 and h2 engines exist to remove. The
 * client records no release, so startedAt stands for sentAt and the skew is
 * the spread of the starts. The pool is kept across bursts (warming goes
 * over it) and closed by close().
 */
export function naiveEngine(transport: TransportOptions): BurstEngine {
  const client = new HttpClient(transport);
  return {
    name: 'naive',
    async burst(reqs, opts) {
      const started = now();
      const n = reqs.length;
      const exchanges = await Promise.all(reqs.map((req, i) => client.send(req, burstLabel(opts.labels, i, n))));
      const starts: number[] = [];
      let released = 0;
      for (const e of exchanges) {
        starts.push(e.startedAt);
        if (e.errorKind === 'connect' || e.errorKind === 'tls') continue;
        // Handed to the client at its start: the closest to a release it records.
        e.sentAt ??= e.startedAt;
        released++;
      }
      const releaseSkewMs = starts.length > 0 ? Math.max(...starts) - Math.min(...starts) : 0;
      return { exchanges, releaseSkewMs, connectMs: now() - started, released };
    },
    async warm(req, label) {
      const exchange = await client.send(req, label);
      // undici hands the connection back to the pool a turn after the body
      // was read: wait for it, so the next burst finds it warm.
      for (let i = 0; i < 2; i++) await new Promise<void>((resolve) => setImmediate(resolve));
      return exchange;
    },
    close: () => client.close(),
  };
}

/**
 * The engine to use for a target. `auto`: h2 when an https target offers it
 * by ALPN (one probing TLS connection, bounded by the timeout, then closed),
 * h1 otherwise; plain http targets get h2 (h2c with prior knowledge) only
 * when `h2` is named.
 */
export async function resolveEngine(name: EngineName, url: string, transport: TransportOptions): Promise<BurstEngine> {
  switch (name) {
    case 'h1':
      return h1Engine();
    case 'h2':
      return h2Engine();
    case 'naive':
      return naiveEngine(transport);
    case 'auto':
      break;
  }
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { ...h1Engine(), note: 'auto: h1 (the target is not a URL)' };
  }
  if (target.protocol !== 'https:') {
    return { ...h1Engine(), note: 'auto: h1 for a plain http target (name the h2 engine to use h2c with prior knowledge)' };
  }
  const probe = await probeAlpn(target, transport.timeoutMs, transport.signal);
  if (probe.protocol === 'h2') return { ...h2Engine(), note: `auto: h2 (${probe.where} offers HTTP/2 by ALPN)` };
  const why = probe.error ? `the ALPN probe failed: ${probe.error}` : `${probe.where} ${probe.protocol ? `chose ${probe.protocol}` : 'chose no protocol'} by ALPN`;
  return { ...h1Engine(), note: `auto: h1 (${why})` };
}

export interface AlpnProbe {
  /** "host:port". */
  where: string;
  /** The protocol the server chose; undefined when none or the probe failed. */
  protocol?: string;
  error?: string;
}

/**
 * One TLS handshake offering h2 and http/1.1, to learn which the server
 * picks; nothing is sent over it and it is closed at once. It only chooses an
 * engine, so the certificate is not checked here: the burst itself checks it
 * (and a bad one makes the attack "could not test" there). An aborted signal
 * ends it at once.
 */
export function probeAlpn(url: URL, timeoutMs: number, signal?: AbortSignal): Promise<AlpnProbe> {
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? 443 : Number(url.port);
  const where = `${url.hostname}:${port}`;
  return new Promise<AlpnProbe>((resolve) => {
    const options: tls.ConnectionOptions = { host, port, ALPNProtocols: ['h2', 'http/1.1'], rejectUnauthorized: false };
    if (!net.isIP(host)) options.servername = host;
    let settled = false;
    let socket: tls.TLSSocket | undefined;
    let stopListening: (() => void) | undefined;
    const finish = (result: AlpnProbe): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stopListening?.();
      socket?.destroy();
      resolve(result);
    };
    const timer = setTimeout(() => finish({ where, error: `no TLS handshake within ${timeoutMs} ms` }), timerDelay(timeoutMs));
    stopListening = whenAborted(signal, () => finish({ where, error: INTERRUPTED }));
    if (settled) return;
    try {
      socket = tls.connect(options);
    } catch (err) {
      finish({ where, error: (err as Error).message });
      return;
    }
    socket.on('error', (err: NodeJS.ErrnoException) => finish({ where, error: err.code ?? err.message }));
    socket.once('close', () => finish({ where, error: 'closed during the handshake' }));
    socket.once('secureConnect', () => {
      const chosen = socket!.alpnProtocol;
      finish(chosen ? { where, protocol: chosen } : { where });
    });
  });
}
