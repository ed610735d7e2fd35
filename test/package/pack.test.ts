// The packed tarball is what `npx idemchaos` users get: it must install in an
// empty folder and run --version, probe and demo with nothing else present.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDemo } from '../../src/demo/server.js';
import { ROOT } from '../helpers/harness.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';

test('npm pack → install in an empty folder → npx idemchaos --version, probe, demo', { timeout: 240_000 }, async () => {
  const work = await mkdtemp(path.join(tmpdir(), 'idemchaos-pack-'));
  // The build already ran (npm test builds first); skip prepack so this test does not rebuild.
  const { stdout } = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  const shipped = info!.files.map((f) => f.path);
  assert.ok(shipped.includes('bin/idemchaos.js'));
  assert.ok(shipped.includes('schema/scenario.schema.json'));
  assert.ok(shipped.includes('scenarios/orders.yaml'));
  assert.ok(shipped.includes('README.md'));
  assert.ok(shipped.some((f) => f.startsWith('dist/src/cli/')));
  assert.ok(!shipped.some((f) => f.startsWith('dist/test/') || f.startsWith('src/') || f.startsWith('test/')), 'ships only what is needed');

  const app = path.join(work, 'app');
  await run('mkdir', ['-p', app]);
  await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'empty', version: '1.0.0', private: true }));
  await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(work, info!.filename)], { cwd: app, timeout: 180_000 });
  assert.deepEqual((await readdir(app)).sort(), ['node_modules', 'package-lock.json', 'package.json']);

  const npx = (args: string[]) =>
    run('npx', ['--no-install', 'idemchaos', ...args], { cwd: app, env: { ...process.env, NO_COLOR: '1', CI: '1' }, timeout: 120_000 });
  const version = await npx(['--version']);
  assert.match(version.stdout, /^\d+\.\d+\.\d+/);

  const server = await startDemo({ bug: 'ignore-body', latencyMs: 10 });
  try {
    await assert.rejects(
      npx(['probe', `${server.url}/orders`, '--json', '{"sku":"a","qty":1,"ref":"{{ run.id }}"}', '--count', '/orders?ref={{ run.id }}', '--count-select', '$.count', '--attack', 'replay,reuse']),
      (err: { code?: number; stdout?: string }) => {
        assert.equal(err.code, 1, err.stdout);
        assert.match(err.stdout ?? '', /mismatch-accepted/);
        return true;
      },
    );
    // init --from needs its parser and sampler at run time: they must ship as dependencies.
    await writeFile(path.join(app, 'openapi.json'), await (await fetch(`${server.url}/openapi.json`)).text());
    const init = await npx(['init', '--from', 'openapi.json', '--out', 'scenarios']);
    assert.match(init.stdout, /wrote 1:\n  scenarios\/createOrder\.yaml/);
    const validate = await npx(['validate', 'scenarios']);
    assert.match(validate.stdout, /1 file, 1 scenario: valid/);
  } finally {
    await server.close();
  }

  const demo = await npx(['demo']);
  assert.match(demo.stdout, /no-idempotency[\s\S]*duplicate-effect/);
});
