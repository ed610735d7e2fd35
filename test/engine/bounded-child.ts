// Child process for bounded-memory.test.ts: one GET over one transport path
// with the default response-size bound, while the process's own RSS is
// sampled; prints one JSON line with the outcome and the peak. Run as
//   node bounded-child.js <sendRaw|lastByteBurst|singlePacketBurst|HttpClient> <url> <timeoutMs>
// A process of its own, so that nothing else (the test runner, the servers)
// is in the measurement.
import { lastByteBurst, sendRaw } from '../../src/engine/h1/index.js';
import { singlePacketBurst } from '../../src/engine/h2/index.js';
import { HttpClient } from '../../src/engine/http/client.js';
import type { Exchange, HttpRequest, TransportOptions } from '../../src/model/http.js';

export interface ChildReport {
  error?: string;
  errorKind?: string;
  status?: number;
  bodyBytes?: number;
  durationMs: number;
  /** Largest process.memoryUsage().rss seen while the exchange ran, bytes. */
  peakRss: number;
  /** The kernel's high-water mark of the RSS (getrusage), bytes. */
  maxRss: number;
}

async function exchange(path: string, req: HttpRequest, opts: TransportOptions): Promise<Exchange> {
  switch (path) {
    case 'sendRaw':
      return sendRaw(req, opts);
    case 'lastByteBurst':
      return (await lastByteBurst([req], opts)).exchanges[0]!;
    case 'singlePacketBurst':
      return (await singlePacketBurst([req], opts)).exchanges[0]!;
    case 'HttpClient': {
      const client = new HttpClient(opts);
      try {
        return await client.send(req, 'request');
      } finally {
        await client.close();
      }
    }
    default:
      throw new Error(`unknown path ${path}`);
  }
}

async function main(): Promise<void> {
  const [path = '', url = '', timeout = '30000'] = process.argv.slice(2);
  let peakRss = process.memoryUsage().rss;
  const sample = (): void => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  };
  const sampler = setInterval(sample, 2);
  const ex = await exchange(path, { method: 'GET', url, headers: {} }, { timeoutMs: Number(timeout) });
  sample();
  clearInterval(sampler);
  const report: ChildReport = {
    durationMs: (ex.endedAt ?? ex.startedAt) - ex.startedAt,
    peakRss,
    maxRss: process.resourceUsage().maxRSS * 1024,
  };
  if (ex.error !== undefined) report.error = ex.error;
  if (ex.errorKind !== undefined) report.errorKind = ex.errorKind;
  if (ex.response) {
    report.status = ex.response.status;
    report.bodyBytes = ex.response.body.length;
  }
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

await main();
