// Bounded memory: a server sending Content-Length: 2 GiB and streaming, and
// one sending an endless chunked body (h2: DATA without a length), against
// every transport path with the default bound. Each exchange runs in a child
// process of its own (bounded-child.ts), so its RSS is the client's alone:
// it must end with the size error well within its timeout, below 200 MB.
// Without the bound these exchanges would buffer until the timeout, at
// hundreds of MB per second on loopback.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { h1BodyServer, h2BodyServer, HUGE_LENGTH, type BodyServer } from './body-servers.js';
import type { ChildReport } from './bounded-child.js';

const CHILD = fileURLToPath(new URL('./bounded-child.js', import.meta.url));
const TIMEOUT_MS = 30_000;
const RSS_LIMIT = 200 * 1000 * 1000;

async function runChild(path: string, url: string): Promise<ChildReport> {
  const { stdout } = await promisify(execFile)(process.execPath, [CHILD, path, url, String(TIMEOUT_MS)], {
    timeout: TIMEOUT_MS * 2,
    maxBuffer: 1024 * 1024,
  });
  return JSON.parse(stdout) as ChildReport;
}

function check(report: ChildReport, message: string): void {
  const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;
  assert.equal(report.error, message, `status ${report.status}, ${report.bodyBytes} body bytes`);
  assert.equal(report.errorKind, 'protocol');
  assert.ok(report.durationMs < TIMEOUT_MS / 3, `ended after ${report.durationMs.toFixed(0)} ms of a ${TIMEOUT_MS} ms timeout`);
  assert.ok(report.peakRss < RSS_LIMIT, `sampled RSS peaked at ${mb(report.peakRss)}`);
  assert.ok(report.maxRss < RSS_LIMIT, `the kernel's RSS high-water mark was ${mb(report.maxRss)}`);
}

for (const [protocol, paths, start] of [
  ['HTTP/1.1', ['sendRaw', 'lastByteBurst', 'HttpClient'], h1BodyServer],
  ['h2c', ['singlePacketBurst'], h2BodyServer],
] as const) {
  describe(`bounded memory over ${protocol}`, () => {
    let server: BodyServer;
    before(async () => {
      server = await start();
    });
    after(() => server.close());

    for (const path of paths) {
      test(`${path}: Content-Length 2 GiB, streamed`, { timeout: TIMEOUT_MS * 2 }, async (t) => {
        const report = await runChild(path, `${server.origin}/huge`);
        check(report, `response body larger than 16 MiB from ${server.origin} (Content-Length ${HUGE_LENGTH})`);
        t.diagnostic(`${report.durationMs.toFixed(1)} ms, RSS peak ${(report.maxRss / 1e6).toFixed(1)} MB`);
      });

      test(`${path}: an endless body without a length`, { timeout: TIMEOUT_MS * 2 }, async (t) => {
        const report = await runChild(path, `${server.origin}/endless`);
        check(report, `response body larger than 16 MiB from ${server.origin}`);
        t.diagnostic(`${report.durationMs.toFixed(1)} ms, RSS peak ${(report.maxRss / 1e6).toFixed(1)} MB`);
      });
    }
  });
}
