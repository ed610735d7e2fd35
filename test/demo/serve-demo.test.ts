// `idemchaos serve-demo` as a user runs it: the real executable, real HTTP.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { DEMO_MODES } from '../../src/demo/server.js';
import { BIN, cli, ROOT } from '../helpers/harness.js';

const SLOW = 60_000;

/** Starts serve-demo with these flags; resolves with every URL it prints, and a stop() that returns its exit code. */
async function serveDemo(args: string[]): Promise<{ urls: string[]; stdout: () => string; stop: () => Promise<number | null> }> {
  const child = spawn(process.execPath, [BIN, 'serve-demo', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', CI: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const stop = async () => {
    child.kill('SIGTERM');
    return exited;
  };
  try {
    const urls = await new Promise<string[]>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL after 30 s: ${stdout}${stderr}`)), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        const m = /^listening on (.+?) {2}\(Ctrl-C to stop\)$/m.exec(stdout);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!.split(', '));
        }
      });
      child.on('close', () => reject(new Error(`exited early: ${stdout}${stderr}`)));
    });
    return { urls, stdout: () => stdout, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function post(url: string, key: string): Promise<Response> {
  return fetch(`${url}/orders`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': key },
    body: JSON.stringify({ sku: 'widget', qty: 1, ref: 'serve-demo' }),
  });
}

test('serve-demo --instances 2 prints both URLs; the instances share orders and keys', { timeout: SLOW }, async () => {
  const demo = await serveDemo(['--instances', '2', '--port', '0', '--latency', '0ms']);
  try {
    assert.equal(demo.urls.length, 2, demo.stdout());
    for (const u of demo.urls) assert.match(u, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.notEqual(demo.urls[0], demo.urls[1]);
    assert.match(demo.stdout(), /^demo orders API \(correct: /);

    const first = await post(demo.urls[0]!, 'k-serve');
    assert.equal(first.status, 201);
    const retry = await post(demo.urls[1]!, 'k-serve');
    assert.equal(retry.status, 201);
    assert.equal(retry.headers.get('idempotent-replayed'), 'true');
    assert.equal(await retry.text(), await first.text());
    const listing = (await (await fetch(`${demo.urls[1]}/orders?ref=serve-demo`)).json()) as { count: number };
    assert.equal(listing.count, 1);
  } finally {
    assert.equal(await demo.stop(), 0, 'exits 0 on SIGTERM');
  }
});

test('serve-demo without --instances prints one URL', { timeout: SLOW }, async () => {
  const demo = await serveDemo(['--port', '0']);
  try {
    assert.equal(demo.urls.length, 1, demo.stdout());
    assert.equal((await fetch(`${demo.urls[0]}/orders`)).status, 200);
  } finally {
    assert.equal(await demo.stop(), 0);
  }
});

test('serve-demo: --instances must be a whole number of at least 1, and fit above --port', { timeout: SLOW }, async () => {
  for (const [flags, pattern] of [
    [['--instances', '0'], /--instances: expected a whole number of at least 1, got '0'/],
    [['--instances', '1.5'], /--instances: .*'1\.5'/],
    [['--instances', 'two'], /--instances: .*'two'/],
    [['--instances', '2', '--port', '65535'], /--port: 65535 leaves no room for 2 consecutive ports/],
  ] as const) {
    const r = await cli(['serve-demo', ...flags]);
    assert.equal(r.code, 2, `${flags.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern);
    assert.equal(r.stdout, '');
  }
});

test('serve-demo --help names every demo mode under --bug, in DEMO_MODES order', { timeout: SLOW }, async () => {
  const r = await cli(['serve-demo', '--help']);
  assert.equal(r.code, 0, r.stderr);
  const bug = /--bug <mode>([\s\S]*?)\n\s*--port/.exec(r.stdout);
  assert.ok(bug, r.stdout);
  const listed = /:\s*([a-z0-9-]+(?:,\s+[a-z0-9-]+)*);/.exec(bug[1]!.replace(/\s+/g, ' '));
  assert.ok(listed, bug[1]);
  assert.deepEqual(listed[1]!.split(/,\s+/), DEMO_MODES.map((m) => m.mode));
});
