// `idemchaos proxy` through the real executable: the client command run with
// IDEMCHAOS_PROXY_URL, its exit status reported but not the exit code, every
// report, every exit code, the bound on the command (its whole process
// group), and a session without a command ended by a signal.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { BIN, cli, ROOT, tempDir } from '../helpers/harness.js';
import { closedPort, sleep } from '../helpers/net.js';
import { show } from '../helpers/cli.js';
import { PROXY_FAULTS } from '../../src/model/proxy.js';

/** A client script (ESM) in a fresh folder; returns its path. */
async function script(source: string): Promise<string> {
  const file = path.join(await tempDir(), 'client.mjs');
  await writeFile(file, source);
  return file;
}

/** Creates one order per sku through the proxy, retrying on errors, 409 and 5xx; `key(attempt)` chooses the key. */
const CLIENT = (keyCode: string, skus = "['a', 'b']") => `
import { randomUUID } from 'node:crypto';
const base = process.env.IDEMCHAOS_PROXY_URL;
if (!/^http:\\/\\/127\\.0\\.0\\.1:\\d+$/.test(base ?? '')) { console.error('bad IDEMCHAOS_PROXY_URL', base); process.exit(9); }
for (const sku of ${skus}) {
  const fixed = randomUUID();
  const key = (attempt) => ${keyCode};
  for (let attempt = 0; attempt < 4; attempt++) {
    try {
      const r = await fetch(base + '/orders', { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': key(attempt), authorization: 'Bearer tok-secret-777' }, body: JSON.stringify({ sku, ref: sku }) });
      await r.text();
      if (r.status !== 409 && r.status < 500) break;
    } catch {}
    await new Promise((r) => setTimeout(r, 1100));
  }
}
process.exit(Number(process.env.CLIENT_EXIT ?? 0));
`;

/** Whether a process runs: gone, or a zombie nobody reaped yet (PID 1 in a container may never), is not running. */
async function alive(pid: number): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  return !/^State:\s+Z/m.test(status);
}

describe('idemchaos proxy', () => {
  it('--upstream demo -- node client.js: a well-behaved client exits 0 whatever the command exits; the reports carry every attempt', async () => {
    const dir = await tempDir();
    const client = await script(CLIENT('fixed', "['a', 'sku-b-secret']"));
    const files = { json: path.join(dir, 'r.json'), junit: path.join(dir, 'r.xml'), md: path.join(dir, 'r.md'), html: path.join(dir, 'r.html') };
    const r = await cli(
      ['proxy', '--upstream', 'demo', '--fault', 'drop-response', '--fault', 'in-flight', '--report-json', files.json, '--report-junit', files.junit, '--report-markdown', files.md, '--report-html', files.html, '--', 'node', client],
      { env: { CLIENT_EXIT: '7', IDEMCHAOS_SECRET_SKU: 'sku-b-secret' } },
    );
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /^idemchaos proxy http:\/\/127\.0\.0\.1:\d+ → http:\/\/127\.0\.0\.1:\d+\n/);
    assert.match(r.stdout, /the command `node .*client\.mjs` exited 7 after/);
    assert.doesNotMatch(r.stdout, /tok-secret-777/);
    const doc = JSON.parse(await readFile(files.json, 'utf8'));
    assert.equal(doc.schemaVersion, 1);
    assert.deepEqual(doc.summary, { scenarios: 1, attacks: 2, passed: 2, failed: 0, errored: 0, skipped: 0 });
    assert.deepEqual(doc.proxy.command.exitCode, 7);
    assert.equal(doc.proxy.command.stoppedByDuration, false);
    assert.deepEqual(
      doc.operations.map((o: { method: string; path: string; verdict: string; attempts: { fault: string | null; client: { kind: string; status?: number } }[] }) => [
        o.method,
        o.path,
        o.verdict,
        o.attempts.map((a) => `${a.fault ?? '-'}→${a.client.status ?? a.client.kind}`),
      ]),
      [
        ['POST', '/orders', 'pass', ['drop-response→reset', '-→201']],
        ['POST', '/orders', 'pass', ['in-flight→409', '-→201']],
      ],
    );
    const attempt = doc.operations[0].attempts[0];
    assert.match(attempt.key, /^[0-9a-f-]{36}$/);
    assert.equal(attempt.exchange.request.headers.authorization, 'Bearer ***');
    assert.match(attempt.exchange.request.body.text, /"sku":"a"/);
    assert.equal(doc.operations[1].attempts[0].exchange.request.body.text, '{"sku":"***","ref":"***"}', 'a declared secret is masked in bodies');
    for (const f of Object.values(files)) assert.doesNotMatch(await readFile(f, 'utf8'), /sku-b-secret/, f);
    assert.equal(attempt.exchange.response.status, 201, "the upstream's answer the client never got");
    assert.match(await readFile(files.md, 'utf8'), /\| 1 \| `POST \/orders` \| [0-9a-f-]{36} \| drop-response→reset, 201 \| ✅ pass/);
    const html = await readFile(files.html, 'utf8');
    assert.match(html, /<section id="operations">/);
    assert.equal((html.match(/<svg class="timeline attempts-timeline"/g) ?? []).length, 2);
    assert.match(await readFile(files.junit, 'utf8'), /<testcase name="#1 POST \/orders" classname="proxy http:\/\/127\.0\.0\.1:\d+"/);
  });

  it('exit 1 for a client that makes a new key per attempt, with GitHub annotations and the step summary', async () => {
    const dir = await tempDir();
    const summary = path.join(dir, 'summary.md');
    await writeFile(summary, '');
    const client = await script(CLIENT('randomUUID()', "['a']"));
    const r = await cli(['proxy', '--upstream', 'demo', '--', process.execPath, client], { env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary } });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^::error title=proxy http%3A\/\/127\.0\.0\.1%3A\d+ \/ #1 POST \/orders%3A key-changed \(critical\)::key-changed: attempt 2 retried/m);
    assert.match(await readFile(summary, 'utf8'), /❌ idemchaos: 1 finding in 1 operation/);
  });

  it('exit 3 when the upstream is unreachable or the command cannot start; exit 2 for bad flags', async () => {
    const port = await closedPort();
    const down = await cli(['proxy', '--upstream', `http://127.0.0.1:${port}/base`, '--', 'node', '-e', '0']);
    assert.equal(down.code, 3, show(down));
    assert.match(down.stderr, /the upstream http:\/\/127\.0\.0\.1:\d+\/base is unreachable: cannot connect to 127\.0\.0\.1:\d+: ECONNREFUSED/);
    const missing = await cli(['proxy', '--upstream', 'demo', '--', 'idemchaos-no-such-command-here']);
    assert.equal(missing.code, 3, show(missing));
    assert.match(missing.stderr, /the command could not start: idemchaos-no-such-command-here: ENOENT/);
    for (const [args, message] of [
      [['--upstream', 'demo', '--fault', 'explode'], /--fault: unknown fault 'explode' \(faults: drop-response, reset-before, timeout, in-flight, server-error, mismatch, none\)/],
      [['--upstream', 'demo', '--match', 'POST'], /--match 'POST': expected "METHOD PATH-GLOB"/],
      [['--upstream', 'ftp://x'], /only http:\/\/ and https:\/\/ upstreams/],
      [['--upstream', 'demo', '--listen', 'nowhere'], /--listen expects HOST:PORT/],
      [['--upstream', 'demo', '--duration', '0s'], /--duration must be more than 0/],
      [[], /required option '--upstream <url\|demo>' not specified/],
    ] as const) {
      const r = await cli(['proxy', ...args]);
      assert.equal(r.code, 2, `${args.join(' ')}: ${show(r)}`);
      assert.match(r.stderr, message);
    }
  });

  it('--duration kills the command as a process group, grandchildren included, and says so', async () => {
    const dir = await tempDir();
    const pidFile = path.join(dir, 'grandchild.pid');
    // The command starts a grandchild that would outlive it, then hangs.
    const client = await script(`
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
const g = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
writeFileSync(${JSON.stringify(pidFile)}, String(g.pid));
setInterval(() => {}, 1000);
`);
    const json = path.join(dir, 'r.json');
    const t0 = Date.now();
    const r = await cli(['proxy', '--upstream', 'demo', '--duration', '1500ms', '--report-json', json, '--', 'node', client]);
    const took = Date.now() - t0;
    assert.equal(r.code, 0, show(r));
    assert.ok(took < 15_000, `took ${took} ms`);
    assert.match(r.stdout, /was stopped by --duration after \d+\.\d s/);
    const doc = JSON.parse(await readFile(json, 'utf8'));
    assert.equal(doc.proxy.command.stoppedByDuration, true);
    assert.equal(doc.proxy.command.signal, 'SIGTERM');
    const grandchild = Number(await readFile(pidFile, 'utf8'));
    await sleep(200);
    assert.equal(await alive(grandchild), false, 'the grandchild was ended with its group');
  });

  it('without a command: a line per request as it goes, until Ctrl-C; then the report', async () => {
    const child = spawn(process.execPath, [BIN, 'proxy', '--upstream', 'demo', '--fault', 'none'], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const until = Date.now() + 15_000;
      while (!/idemchaos proxy (http:\/\/127\.0\.0\.1:\d+)/.test(stdout) && Date.now() < until) await sleep(20);
      const url = /idemchaos proxy (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)?.[1];
      assert.ok(url, stdout);
      const res = await fetch(`${url}/orders`, { method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'short-key' }, body: '{"sku":"x","ref":"x"}' });
      assert.equal(res.status, 201);
      while (!/#1 POST \/orders/.test(stdout) && Date.now() < until) await sleep(20);
      assert.match(stdout, /\d\d:\d\d:\d\d\.\d{3} #1 POST \/orders {2}key short-key {2}upstream 201\n/);
      child.kill('SIGINT');
      assert.equal(await exited, 1, stdout);
      assert.match(stdout, /weak-key/);
      assert.match(stdout, /stopped by Ctrl-C/);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('Ctrl-C while a command runs: its group is stopped, the reports are written, exit 130', async () => {
    const dir = await tempDir();
    const json = path.join(dir, 'r.json');
    const client = await script(`console.log('client up'); setInterval(() => {}, 1000);`);
    const child = spawn(process.execPath, [BIN, 'proxy', '--upstream', 'demo', '--report-json', json, '--', 'node', client], { cwd: ROOT, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
    const killer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const until = Date.now() + 15_000;
      while (!stdout.includes('client up') && Date.now() < until) await sleep(20);
      child.kill('SIGINT');
      assert.equal(await exited, 130, stdout);
      assert.match(stdout, /was stopped by Ctrl-C after/);
      const doc = JSON.parse(await readFile(json, 'utf8'));
      assert.deepEqual([doc.proxy.command.interrupted, doc.proxy.command.signal, doc.proxy.stoppedBy], [true, 'SIGTERM', 'signal']);
    } finally {
      clearTimeout(killer);
      child.kill('SIGKILL');
    }
  });

  it('--help stays cheap and lists the flags', async () => {
    const r = await cli(['proxy', '--help']);
    assert.equal(r.code, 0);
    for (const flag of ['--upstream', '--listen', '--fault', '--match', '--key-header', '--duration', '--hold', '--max-attempts', '--volatile-header', '--report-html']) assert.ok(r.stdout.includes(flag), flag);
    assert.match(r.stdout, /idemchaos proxy --upstream demo -- node my-client\.js/);
    // The help names the faults from its own list (kept there so --help loads nothing): it must not drift.
    const flat = r.stdout.replace(/\s+/g, ' ');
    const faults = /fault for each new operation's first attempt, in turn \(repeatable\): (.*?) --match/.exec(flat)?.[1];
    assert.equal(faults, PROXY_FAULTS.map((f) => (f === 'drop-response' ? 'drop-response (default)' : f)).join(', '));
  });
});
