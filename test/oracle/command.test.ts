// The command oracle: a process group of its own, bounded by effects.timeout
// and killed as a group past it (nothing it started survives), and failures
// that name the command, how it ended and the end of its stderr.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, test } from 'node:test';
import { HttpClient } from '../../src/engine/http/client.js';
import { Oracle, OracleError } from '../../src/engine/oracle.js';
import { newRun, type RenderContext } from '../../src/scenario/render.js';
import { Interrupted } from '../../src/model/errors.js';
import { orderScenario } from '../helpers/builders.js';
import { cli, tempDir, writeScenario } from '../helpers/harness.js';
import { show, withDemo } from '../helpers/cli.js';
import { waitFor } from '../helpers/net.js';
import { alive, groupMembers } from '../helpers/procs.js';

const SCOPE = { env: {}, vars: {}, secrets: {} };

function commandOracle(command: string, timeoutMs: number, signal?: AbortSignal): { read(): Promise<unknown>; close(): Promise<void> } {
  const scenario = orderScenario({ effects: { count: { kind: 'command', command }, settleMs: 0, timeoutMs } });
  const client = new HttpClient({ timeoutMs: 5000 });
  const oracle = new Oracle(scenario, client, signal ? { signal } : {});
  const ctx: RenderContext = { scope: SCOPE, run: newRun() };
  return { read: () => oracle.read(ctx), close: () => client.close() };
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the oracle read to fail');
}

/** A command that writes its own pid (its process group's id) to a file, then starts two sleeps in a nested shell. */
async function sleepers(): Promise<{ command: string; pgid: () => number | undefined }> {
  const pidFile = path.join(await tempDir(), 'pgid');
  return {
    command: `echo $$ > ${pidFile}; sh -c 'sleep 100 & sleep 100'`,
    pgid: () => (existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() ? Number(readFileSync(pidFile, 'utf8')) : undefined),
  };
}

describe('the command oracle under effects.timeout', () => {
  test('past the timeout the whole process group is killed: no child survives, and the message says so', { timeout: 30_000 }, async () => {
    const { command, pgid } = await sleepers();
    const oracle = commandOracle(command, 3000);
    const t0 = Date.now();
    const reading = rejection(oracle.read());
    // Both sleeps and the shells above them, seen while the command runs.
    let members: number[] = [];
    await waitFor(() => {
      const id = pgid();
      members = id === undefined ? [] : groupMembers(id);
      return members.length >= 3;
    }, 2800, () => `the command's processes (seen: ${members.join(', ') || 'none'})`);
    const err = await reading;
    const took = Date.now() - t0;
    assert.ok(err instanceof OracleError, String(err));
    assert.equal(err.message, `oracle command \`${command}\` did not finish within 3s (effects.timeout), so it was killed with every process it started`);
    assert.ok(took >= 2900 && took < 8000, `ended after ${took} ms`);
    // SIGKILL is delivered at once, but a process is gone only once the kernel has run its exit.
    await waitFor(() => members.every((pid) => !alive(pid)), 2000, () => `every process to be gone; alive: ${members.filter(alive).join(', ')}`);
    assert.deepEqual(groupMembers(pgid()!), []);
    await oracle.close();
  });

  test('what the shell leaves running when it exits is killed too', { timeout: 30_000 }, async () => {
    const pidFile = path.join(await tempDir(), 'bg');
    const oracle = commandOracle(`sleep 100 & echo $! > ${pidFile}; echo 7`, 10_000);
    const t0 = Date.now();
    const reading = (await oracle.read()) as { count: number };
    assert.equal(reading.count, 7);
    assert.ok(Date.now() - t0 < 5000, 'the background sleep did not hold the pipes open until the timeout');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await waitFor(() => !alive(pid), 2000, `the background sleep ${pid} to be gone`);
    await oracle.close();
  });

  test('an aborted signal kills the group at once, and the read ends with Interrupted', { timeout: 30_000 }, async () => {
    const { command, pgid } = await sleepers();
    const controller = new AbortController();
    const oracle = commandOracle(command, 60_000, controller.signal);
    const reading = rejection(oracle.read());
    let members: number[] = [];
    await waitFor(() => {
      const id = pgid();
      members = id === undefined ? [] : groupMembers(id);
      return members.length >= 3;
    }, 5000, 'the command to start');
    const t0 = Date.now();
    controller.abort();
    const err = await reading;
    assert.ok(err instanceof Interrupted, String(err));
    assert.ok(Date.now() - t0 < 1000, `ended ${Date.now() - t0} ms after the abort`);
    await waitFor(() => members.every((pid) => !alive(pid)), 2000, () => `every process to be gone; alive: ${members.filter(alive).join(', ')}`);
    // And nothing starts once the signal is aborted.
    const started = path.join(await tempDir(), 'started');
    const late = commandOracle(`touch ${started}; echo 1`, 60_000, controller.signal);
    assert.ok((await rejection(late.read())) instanceof Interrupted);
    await new Promise((r) => setTimeout(r, 200));
    assert.ok(!existsSync(started), 'a command started after the abort');
    await oracle.close();
    await late.close();
  });

  test('a command that prints without end is killed, not read into memory until the timeout', { timeout: 30_000 }, async () => {
    const oracle = commandOracle('yes 1', 20_000);
    const t0 = Date.now();
    const err = await rejection(oracle.read());
    assert.equal(err.message, 'oracle command `yes 1` printed more than 65536 characters, not a count, so it was killed');
    assert.ok(Date.now() - t0 < 5000);
    await oracle.close();
  });
});

describe('a failing command oracle, through the CLI', () => {
  const scenario = (command: string, extra = '') => `name: orders
target: "{{ env.BASE_URL }}"
request:
  path: /orders
  json: { sku: widget-1, ref: "{{ run.id }}" }
effects:
  command: ${JSON.stringify(command)}
${extra}attacks:
  replay: {}
`;

  test('a non-zero exit: the command (secrets masked), its exit status and the end of its stderr; exit 3', { timeout: 60_000 }, async () => {
    const secret = 'hunter two 2';
    const command = 'test -n {{ run.id }}; for i in $(seq 1 1000); do echo "line $i"; done >&2; echo "psql: password {{ secrets.PW }} rejected" >&2; exit 3';
    const file = await writeScenario(scenario(command));
    const report = path.join(await tempDir(), 'r.json');
    await withDemo({ bug: 'correct' }, async (server) => {
      const r = await cli(['run', file, '--target', server.url, '--secret', `PW=${secret}`, '--report-json', report]);
      assert.equal(r.code, 3, show(r));
      const text = await readFile(report, 'utf8');
      for (const out of [r.stdout, r.stderr, text]) assert.ok(!out.includes(secret) && !out.includes('hunter'), `the secret shows:\n${out}`);
      const reason: string = JSON.parse(text).scenarios[0].attacks[0].reason;
      const [head, ...tail] = reason.split('\n');
      assert.match(head!, /^oracle command `test -n ic-[0-9a-f]{16}; for i in \$\(seq 1 1000\); do echo "line \$i"; done >&2; echo "psql: password '\*\*\*' rejected" >&2; exit 3` exited 3; its stderr ends with:$/);
      // The end of stderr, from a line start, about 4 KiB of it.
      assert.equal(tail.at(-1), "psql: password '***' rejected");
      assert.equal(tail.at(-2), 'line 1000');
      assert.match(tail[0]!, /^… line \d+$/);
      assert.ok(tail.join('\n').length <= 4096 + 2, `${tail.join('\n').length} characters of stderr`);
      assert.match(r.stdout, /exited 3; its stderr ends with:/);
    });
  });

  test('output that is not a number, and a timeout: an error verdict each, naming the command', { timeout: 60_000 }, async () => {
    await withDemo({ bug: 'correct' }, async (server) => {
      const words = await writeScenario(scenario('echo "{{ run.id }} rows"; echo warn >&2'));
      const report = path.join(await tempDir(), 'words.json');
      const r = await cli(['run', words, '--target', server.url, '--report-json', report]);
      assert.equal(r.code, 3, show(r));
      assert.match(JSON.parse(await readFile(report, 'utf8')).scenarios[0].attacks[0].reason, /^oracle command `echo "ic-[0-9a-f]{16} rows"; echo warn >&2` printed "ic-[0-9a-f]{16} rows", not a count; its stderr ends with:\nwarn$/);

      const slow = await writeScenario(scenario('test -n {{ run.id }}; sleep 30; echo 0', '  timeout: 500ms\n'));
      const slowReport = path.join(await tempDir(), 'slow.json');
      const t0 = Date.now();
      const s = await cli(['run', slow, '--target', server.url, '--report-json', slowReport]);
      assert.equal(s.code, 3, show(s));
      assert.ok(Date.now() - t0 < 20_000, 'the 30 s sleep was not waited for');
      assert.match(JSON.parse(await readFile(slowReport, 'utf8')).scenarios[0].attacks[0].reason, /^oracle command `test -n ic-[0-9a-f]{16}; sleep 30; echo 0` did not finish within 500ms \(effects\.timeout\), so it was killed with every process it started$/);
    });
  });
});
