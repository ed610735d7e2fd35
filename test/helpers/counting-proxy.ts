// A TCP proxy that forwards bytes untouched and reads the HTTP/1.1 requests
// passing through it: what the tool actually sent, cut requests included
// (a request counts once its head has passed).
import net from 'node:net';

export interface SeenRequest {
  method: string;
  path: string;
  /** Header names lower-cased. */
  headers: Record<string, string>;
}

export interface CountingProxy {
  url: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

export async function countingProxy(upstreamPort: number): Promise<CountingProxy> {
  const seen: SeenRequest[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    for (const s of [client, upstream]) s.on('close', () => sockets.delete(s));
    let buffer = Buffer.alloc(0);
    let bodyLeft = 0;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      buffer = Buffer.concat([buffer, chunk]);
      for (;;) {
        if (bodyLeft > 0) {
          const skip = Math.min(bodyLeft, buffer.length);
          buffer = buffer.subarray(skip);
          bodyLeft -= skip;
          if (bodyLeft > 0) return;
        }
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const [line, ...fields] = buffer.subarray(0, end).toString('latin1').split('\r\n');
        const [method = '', path = ''] = line!.split(' ');
        const headers: Record<string, string> = {};
        for (const f of fields) {
          const colon = f.indexOf(':');
          if (colon > 0) headers[f.slice(0, colon).trim().toLowerCase()] = f.slice(colon + 1).trim();
        }
        seen.push({ method, path, headers });
        buffer = buffer.subarray(end + 4);
        bodyLeft = Number(headers['content-length'] ?? 0);
      }
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    // A reset on one side is a reset on the other: the drop attack's cuts must reach the server as cuts.
    client.on('error', () => upstream.resetAndDestroy());
    upstream.on('error', () => client.resetAndDestroy());
    client.on('end', () => upstream.end());
    upstream.on('end', () => client.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
