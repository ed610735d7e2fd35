// A tiny orders API behind a login, for the setup/teardown tests: POST /login
// issues a bearer token; POST /orders, GET /orders?ref= and DELETE /session
// require it. Orders echo the token that placed them (`placedWith`), so a
// report that leaks it would show it.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AuthServer {
  url: string;
  /** Every request, "METHOD /path?query", in order. */
  calls: string[];
  /** Request headers of every call, in order. */
  headers: http.IncomingHttpHeaders[];
  /** Tokens issued by /login. */
  tokens: string[];
  close(): Promise<void>;
}

export interface AuthServerOptions {
  /** Replays stored responses for a known key (default true); false creates an order every time. */
  idempotent?: boolean;
  password?: string;
}

interface Stored {
  status: number;
  body: string;
  fingerprint: string;
}

export async function startAuthServer(opts: AuthServerOptions = {}): Promise<AuthServer> {
  const password = opts.password ?? 'hunter22';
  const idempotent = opts.idempotent ?? true;
  const live = new Set<string>();
  const orders: { id: string; ref: string; sku: string; placedWith: string }[] = [];
  const stored = new Map<string, Stored>();
  const calls: string[] = [];
  const headers: http.IncomingHttpHeaders[] = [];
  const tokens: string[] = [];

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      calls.push(`${req.method} ${req.url}`);
      headers.push(req.headers);
      const url = new URL(req.url ?? '/', 'http://x');
      const json = (status: number, body: unknown, extra: Record<string, string> = {}) => {
        const payload = JSON.stringify(body);
        res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload), ...extra });
        res.end(payload);
      };

      if (req.method === 'POST' && url.pathname === '/login') {
        let creds: { user?: string; password?: string } = {};
        try {
          creds = JSON.parse(text) as typeof creds;
        } catch {
          return json(400, { error: 'expected JSON' });
        }
        if (creds.password !== password) return json(401, { error: 'bad credentials' });
        const token = `tok_${randomBytes(12).toString('hex')}`;
        live.add(token);
        tokens.push(token);
        return json(200, { token, user: { name: creds.user } });
      }

      const auth = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
      if (!auth || !live.has(auth)) return json(401, { error: 'unauthorized' });

      if (req.method === 'DELETE' && url.pathname === '/session') {
        live.delete(auth);
        res.writeHead(204);
        return res.end();
      }
      if (req.method === 'GET' && url.pathname === '/orders') {
        const items = orders.filter((o) => o.ref === url.searchParams.get('ref'));
        return json(200, { count: items.length, items });
      }
      if (req.method === 'POST' && url.pathname === '/orders') {
        const key = req.headers['idempotency-key'];
        if (typeof key !== 'string') return json(400, { error: 'Idempotency-Key required' });
        const previous = idempotent ? stored.get(key) : undefined;
        if (previous) {
          if (previous.fingerprint !== text) return json(422, { error: 'key reused with another payload' });
          res.writeHead(previous.status, { 'Content-Type': 'application/json', 'Idempotent-Replayed': 'true' });
          return res.end(previous.body);
        }
        let body: { sku?: string; ref?: string } = {};
        try {
          body = JSON.parse(text) as typeof body;
        } catch {
          return json(400, { error: 'expected JSON' });
        }
        const order = { id: `ord_${orders.length + 1}`, ref: String(body.ref), sku: String(body.sku), placedWith: auth };
        orders.push(order);
        const payload = JSON.stringify(order);
        stored.set(key, { status: 201, body: payload, fingerprint: text });
        return json(201, order);
      }
      return json(404, { error: 'not found' });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    calls,
    headers,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
