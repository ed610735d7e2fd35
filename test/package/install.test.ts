// Getting it running outside the clone (issue 12): the package is not on the
// registry, so people install it from a clone, globally (`npm install -g`,
// `npm link`) or into a project. `init`'s hints and the starter's $schema
// line must work from wherever it was installed, and the printed command must run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { startDemo } from '../../src/demo/server.js';
import { ROOT, tempDir } from '../helpers/harness.js';

const run = promisify(execFile);
const NPM = process.platform === 'win32' ? 'npm.cmd' : 'npm';
/** PATH without any idemchaos of the machine's, but with node and npm. */
const BASE_PATH = [path.dirname(process.execPath), '/usr/local/bin', '/usr/bin', '/bin'].join(path.delimiter);

function env(extra: Record<string, string>): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { HOME: process.env['HOME'], NO_COLOR: '1', CI: '1', GITHUB_ACTIONS: 'false', ...extra };
  if (process.env['npm_config_cache']) out['npm_config_cache'] = process.env['npm_config_cache'];
  return out;
}

/** The line `init` prints, and the command in it. */
function hint(stdout: string): string {
  const m = /then run {2}(.+)$/m.exec(stdout);
  assert.ok(m, stdout);
  return m[1]!;
}

test('installed from a packed clone (npm install -g --prefix, and into a project): init prints a command that runs and a $schema that exists', { timeout: 300_000 }, async () => {
  const work = await tempDir();
  const { stdout } = await run(NPM, ['pack', '--ignore-scripts', '--json', '--pack-destination', work], { cwd: ROOT });
  const tarball = path.join(work, (JSON.parse(stdout) as { filename: string }[])[0]!.filename);
  const prefix = path.join(work, 'prefix');
  await run(NPM, ['install', '-g', '--prefix', prefix, '--no-audit', '--no-fund', '--prefer-offline', tarball], { timeout: 180_000, env: env({ PATH: BASE_PATH }) });
  const bin = path.join(prefix, 'bin');
  const installedSchema = path.join(prefix, 'lib', 'node_modules', 'idemchaos', 'schema', 'scenario.schema.json');

  const demo = await startDemo({ bug: 'correct', latencyMs: 5 });
  try {
    // On PATH: `idemchaos`, and the installed package's schema by absolute path.
    const onPath = path.join(work, 'on-path');
    await mkdir(onPath);
    const withPath = env({ PATH: `${bin}${path.delimiter}${BASE_PATH}` });
    const init = await run('idemchaos', ['init'], { cwd: onPath, env: withPath });
    assert.equal(hint(init.stdout), 'idemchaos run idemchaos.yaml');
    const starter = await readFile(path.join(onPath, 'idemchaos.yaml'), 'utf8');
    assert.equal(starter.split('\n')[0], `# yaml-language-server: $schema=${installedSchema}`);
    await access(installedSchema);
    const printed = await run('idemchaos', ['schema'], { cwd: onPath, env: withPath });
    assert.equal(await readFile(installedSchema, 'utf8'), printed.stdout, 'the schema it points at is the one the runtime validates with');
    assert.match(init.stdout, /idemchaos schema > idemchaos\.schema\.json/, 'the advice for a file that is shared');
    assert.match(starter, /Run it with: {2}idemchaos run <this file>/);
    const ran = await run('sh', ['-c', `${hint(init.stdout)} --attack replay,reuse`], { cwd: onPath, env: { ...withPath, BASE_URL: demo.url, TOKEN: 't0ken-value' } });
    assert.match(ran.stdout, /2 attacks in 1 scenario: 2 passed/);

    // Not on PATH: the path it was run by.
    const offPath = path.join(work, 'off-path');
    await mkdir(offPath);
    const without = env({ PATH: BASE_PATH });
    const byPath = await run(path.join(bin, 'idemchaos'), ['init', 'orders.yaml'], { cwd: offPath, env: without });
    assert.equal(hint(byPath.stdout), `${path.join(bin, 'idemchaos')} run orders.yaml`);
    const ranByPath = await run('sh', ['-c', `${hint(byPath.stdout)} --attack replay`], { cwd: offPath, env: { ...without, BASE_URL: demo.url, TOKEN: 't0ken-value' } });
    assert.match(ranByPath.stdout, /1 attack in 1 scenario: 1 passed/);

    // A project dependency run through npx: `npx idemchaos`, and the schema relative to the file.
    const app = path.join(work, 'app');
    await mkdir(app);
    await writeFile(path.join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true }));
    await run(NPM, ['install', '--no-audit', '--no-fund', '--prefer-offline', tarball], { cwd: app, timeout: 180_000, env: without });
    const npx = await run('npx', ['--no-install', 'idemchaos', 'init'], { cwd: app, env: without });
    assert.equal(hint(npx.stdout), 'npx idemchaos run idemchaos.yaml');
    const local = await readFile(path.join(app, 'idemchaos.yaml'), 'utf8');
    assert.equal(local.split('\n')[0], '# yaml-language-server: $schema=./node_modules/idemchaos/schema/scenario.schema.json');
    await access(path.join(app, 'node_modules', 'idemchaos', 'schema', 'scenario.schema.json'));
    assert.doesNotMatch(npx.stdout, /idemchaos schema >/, 'a project-relative $schema is already shareable');
    const ranNpx = await run('sh', ['-c', `${hint(npx.stdout)} --attack replay`], { cwd: app, env: { ...without, BASE_URL: demo.url, TOKEN: 't0ken-value' } });
    assert.match(ranNpx.stdout, /1 attack in 1 scenario: 1 passed/);
  } finally {
    await demo.close();
  }
});

test('a linked clone that was never built says how to build it, instead of a module-not-found stack', async () => {
  const clone = await tempDir();
  await mkdir(path.join(clone, 'bin'));
  await writeFile(path.join(clone, 'bin', 'idemchaos.js'), await readFile(path.join(ROOT, 'bin', 'idemchaos.js')));
  await writeFile(path.join(clone, 'package.json'), await readFile(path.join(ROOT, 'package.json')));
  await assert.rejects(run(process.execPath, [path.join(clone, 'bin', 'idemchaos.js'), 'init']), (err: { code?: number; stderr?: string }) => {
    assert.equal(err.code, 2, err.stderr);
    assert.equal(err.stderr, `idemchaos: not built: run  npm ci && npm run build  in ${clone}${path.sep}\n`);
    return true;
  });
});
