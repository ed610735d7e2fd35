// A small orders API on 127.0.0.1 that records every request and connection,
// and can be told to hang: on a changed payload for a known key, or on its
// teardown route. For the tests that interrupt a run or watch for leaks.
//   POST /login    200 {"token": "tok-1"}
//   POST /logout   200 (the teardown step), or never answered with hangTeardown
//   POST /orders   201 {"id", "ref"} once per key, the same response for a replay;
//                  a changed payload for a known key: 422, or never answered with hangOnChange
//   GET  /orders?ref=R   {"count": n, "items": [...]}
import http from 'node:http';
import type net from 'node:net';
import { close, listen } from './net.js';

export interface OrdersServerOptions {
  /** A changed payload for a known key is never answered (the request stays in flight). */
  hangOnChange?: boolean;
  /** POST /logout is never answered. */
  hangTeardown?: boolean;
}

export interface SeenConnection {
  openedAt: number;
  closedAt?: number;
}

export interface SeenRequest {
  method: string;
  path: string;
  /** Date.now() when its head arrived. */
  at: number;
  /** The connection it came over. */
  connection: SeenConnection;
  /** Set when the server decided never to answer it. */
  hung?: boolean;
}

export interface OrdersServer {
  url: string;
  requests: SeenRequest[];
  connections: SeenConnection[];
  /** Resolves with the first request that matches (at its arrival, and again once it is left hanging). */
  request(match: (r: SeenRequest) => boolean): Promise<SeenRequest>;
  /** Connections not closed yet. */
  open(): number;
  close(): Promise<void>;
}

export async function ordersServer(options: OrdersServerOptions = {}): Promise<OrdersServer> {
  const requests: SeenRequest[] = [];
  const connections: SeenConnection[] = [];
  const waiters: { match: (r: SeenRequest) => boolean; resolve: (r: SeenRequest) => void }[] = [];
  const connectionOf = new WeakMap<net.Socket, SeenConnection>();
  const notify = (seen: SeenRequest): void => {
    for (const w of waiters.filter((w) => w.match(seen))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(seen);
    }
  };
  const byKey = new Map<string, { body: string; status: number; response: string }>();
  const orders: { id: string; ref: string }[] = [];

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const seen: SeenRequest = { method: req.method ?? '', path: `${url.pathname}${url.search}`, at: Date.now(), connection: connectionOf.get(req.socket)! };
    requests.push(seen);
    notify(seen);
    const hang = (): void => {
      seen.hung = true;
      notify(seen);
    };
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      const json = (status: number, value: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(value));
      if (req.method === 'POST' && url.pathname === '/login') return json(200, { token: 'tok-1' });
      if (req.method === 'POST' && url.pathname === '/logout') return options.hangTeardown ? hang() : json(200, { ok: true });
      if (req.method === 'GET' && url.pathname === '/orders') {
        const items = orders.filter((o) => o.ref === url.searchParams.get('ref'));
        return json(200, { count: items.length, items });
      }
      if (req.method === 'POST' && url.pathname === '/orders') {
        const key = String(req.headers['idempotency-key'] ?? '');
        const known = byKey.get(key);
        if (known && known.body !== body) return options.hangOnChange ? hang() : json(422, { error: 'key reused with another payload' });
        if (known) return res.writeHead(known.status, { 'content-type': 'application/json' }).end(known.response);
        let ref = '';
        try {
          ref = String((JSON.parse(body) as { ref?: unknown }).ref ?? '');
        } catch {
          // not JSON: no ref
        }
        const order = { id: `ord_${orders.length + 1}`, ref };
        orders.push(order);
        const response = JSON.stringify(order);
        byKey.set(key, { body, status: 201, response });
        return res.writeHead(201, { 'content-type': 'application/json' }).end(response);
      }
      json(404, { error: 'no such route' });
    });
  });
  server.on('connection', (socket: net.Socket) => {
    const record: SeenConnection = { openedAt: Date.now() };
    connections.push(record);
    connectionOf.set(socket, record);
    socket.once('close', () => (record.closedAt = Date.now()));
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    connections,
    request: (match) =>
      new Promise((resolve) => {
        const already = requests.find(match);
        if (already) resolve(already);
        else waiters.push({ match, resolve });
      }),
    open: () => connections.filter((c) => c.closedAt === undefined).length,
    close: () => close(server),
  };
}
