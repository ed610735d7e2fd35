// Report files CI depends on: a report path that cannot be written is a usage
// error before anything is sent (exit 2), and a reporter that fails during
// the run makes the command exit 4 (unless there are findings: 1).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { checkReportPaths, exitAfterReporters } from '../../src/cli/reporters.js';
import { FlagError } from '../../src/cli/errors.js';
import { EXIT } from '../../src/cli/exit-codes.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import type { RunEvent } from '../../src/model/events.js';
import { cli as rawCli, ordersScenario, tempDir, writeScenario, type CliResult } from '../helpers/harness.js';
import { show, withDemo } from '../helpers/cli.js';

const cli = (args: string[]): Promise<CliResult> => rawCli(args, { env: { GITHUB_ACTIONS: 'false' }, timeoutMs: 120_000 });
const asRoot = process.getuid?.() === 0;

async function refused(flags: Parameters<typeof checkReportPaths>[0], message: string): Promise<void> {
  await assert.rejects(checkReportPaths(flags), (err: unknown) => {
    assert.ok(err instanceof FlagError, `a FlagError, got ${String(err)}`);
    assert.equal(err.message, message);
    return true;
  });
}

test('checkReportPaths: a missing folder, a folder, a file as folder and a path given twice are refused, naming flag and path', async () => {
  const dir = await tempDir();
  const file = path.join(dir, 'plain.txt');
  await writeFile(file, 'x');
  await refused({ reportJson: '/nonexistent/dir/r.json' }, '--report-json /nonexistent/dir/r.json: the folder /nonexistent/dir does not exist');
  await refused({ reportHtml: dir }, `--report-html ${dir}: is a folder, not a file`);
  await refused({ reportJunit: path.join(file, 'j.xml') }, `--report-junit ${path.join(file, 'j.xml')}: ${file} is not a folder`);
  const twice = path.join(dir, 'r.md');
  await refused({ reportJson: path.join(dir, 'a.json'), reportMarkdown: twice, reportHtml: twice }, `--report-html ${twice}: the same file as --report-markdown`);
  // What is fine: a new file in an existing folder, an existing file (overwritten), a relative path.
  await checkReportPaths({ reportJson: path.join(dir, 'new.json'), reportJunit: file, reportMarkdown: 'relative-report.md' });
  await checkReportPaths({});
});

test('checkReportPaths: a folder or a file that cannot be written is refused', async (t) => {
  if (asRoot) return t.skip('running as root, which may write anywhere: permissions cannot refuse');
  const dir = await tempDir();
  const locked = path.join(dir, 'locked');
  await mkdir(locked);
  await chmod(locked, 0o500);
  const readOnly = path.join(dir, 'ro.json');
  await writeFile(readOnly, '{}');
  await chmod(readOnly, 0o400);
  await refused({ reportJson: path.join(locked, 'r.json') }, `--report-json ${path.join(locked, 'r.json')}: the folder ${locked} is not writable`);
  await refused({ reportJson: readOnly }, `--report-json ${readOnly}: the file is not writable`);
});

test('the multiplexer remembers which reporters failed; the others go on', async () => {
  const seen: string[] = [];
  const errors: string[] = [];
  const events = new ReporterMultiplexer(
    [
      { name: 'boom', onEvent: () => Promise.reject(new Error('disk full')) },
      { name: 'ok', onEvent: (e: RunEvent) => void seen.push(e.type) },
    ],
    (name, err) => errors.push(`${name}: ${(err as Error).message}`),
  );
  assert.deepEqual(events.failures, []);
  await events.emit({ type: 'warning', message: 'one' });
  await events.emit({ type: 'warning', message: 'two' });
  assert.deepEqual(events.failures, ['boom']);
  assert.deepEqual(errors, ['boom: disk full'], 'reported once, then dropped');
  assert.deepEqual(seen, ['warning', 'warning']);
});

test('exit codes with a failed reporter: findings (1) win, then the failed reporter (4) over could-not-test (3) and ok (0)', () => {
  const failed = { failures: ['json'] };
  const fine = { failures: [] };
  assert.equal(exitAfterReporters(EXIT.findings, failed), EXIT.findings);
  assert.equal(exitAfterReporters(EXIT.couldNotTest, failed), EXIT.reporterFailed);
  assert.equal(exitAfterReporters(EXIT.ok, failed), EXIT.reporterFailed);
  assert.equal(EXIT.reporterFailed, 4);
  for (const code of [EXIT.ok, EXIT.findings, EXIT.couldNotTest]) assert.equal(exitAfterReporters(code, fine), code);
});

/** A server that answers every request 201 and counts them. */
async function counting(): Promise<{ url: string; requests: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server = http.createServer((req, res) => {
    n++;
    req.resume();
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":"ord_1","count":1}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

test('run and probe: an unwritable report path is exit 2 before any request is sent', async () => {
  const server = await counting();
  try {
    const file = await writeScenario(ordersScenario({ attacks: '  replay: {}' }));
    const run = await cli(['run', file, '--target', server.url, '--report-json', '/nonexistent/dir/r.json']);
    assert.equal(run.code, 2, show(run));
    assert.equal(run.stderr, 'idemchaos: --report-json /nonexistent/dir/r.json: the folder /nonexistent/dir does not exist\n');
    const dir = await tempDir();
    const probe = await cli(['probe', `${server.url}/orders`, '--json', '{"ref":"{{ run.id }}"}', '--attack', 'replay', '--report-html', dir]);
    assert.equal(probe.code, 2, show(probe));
    assert.match(probe.stderr, new RegExp(`--report-html ${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: is a folder, not a file`));
    assert.equal(server.requests(), 0, 'nothing was sent');
  } finally {
    await server.close();
  }
});

const DEV_FULL = '/dev/full';

test('run and merge-reports: a reporter that fails while writing exits 4, unless there are findings (1)', async (t) => {
  if (!existsSync(DEV_FULL)) return t.skip(`${DEV_FULL} (writes fail with ENOSPC) is not available here`);
  const dir = await tempDir();
  const file = await writeScenario(ordersScenario({ attacks: '  replay: {}' }));
  const good = path.join(dir, 'good.json');
  await withDemo({ bug: 'correct' }, async (server) => {
    const r = await cli(['run', file, '--target', server.url, '--report-json', good, '--report-junit', DEV_FULL]);
    assert.equal(r.code, 4, show(r));
    assert.match(r.stderr, /^idemchaos: the junit reporter failed and was stopped: ENOSPC/m);
    assert.ok(existsSync(good), 'the other reporters still wrote theirs');
  });
  await withDemo({ bug: 'replay-differs' }, async (server) => {
    const r = await cli(['run', file, '--target', server.url, '--report-json', DEV_FULL]);
    assert.equal(r.code, 1, `findings win: ${show(r)}`);
    assert.match(r.stderr, /the json reporter failed/);
  });
  const merged = await cli(['merge-reports', good, '--report-markdown', DEV_FULL, '--quiet']);
  assert.equal(merged.code, 4, show(merged));
  const missing = await cli(['merge-reports', good, '--report-json', '/nonexistent/dir/m.json']);
  assert.equal(missing.code, 2, show(missing));
  assert.equal(missing.stderr, 'idemchaos: --report-json /nonexistent/dir/m.json: the folder /nonexistent/dir does not exist\n');
});
