// --max-response-size: parsed into TransportOptions.maxResponseBytes for run
// and probe; a target whose body never ends is "could not test" (exit 3)
// with one line saying why, whatever the bound.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { sizeFlag, transportOptions, type CommonFlags } from '../../src/cli/options.js';
import { IdemchaosError } from '../../src/model/errors.js';
import { cli, ordersScenario, tempDir, writeScenario } from '../helpers/harness.js';
import { show } from '../helpers/cli.js';
import { h1BodyServer, type BodyServer } from '../engine/body-servers.js';

describe('sizeFlag', () => {
  test('bytes, and B, KiB, MiB, GiB in any case, with or without a space', () => {
    assert.equal(sizeFlag('1048576', '--x'), 1_048_576);
    assert.equal(sizeFlag('16MiB', '--x'), 16 * 1024 * 1024);
    assert.equal(sizeFlag('512KiB', '--x'), 512 * 1024);
    assert.equal(sizeFlag('512 kib', '--x'), 512 * 1024);
    assert.equal(sizeFlag('1.5MiB', '--x'), 1_572_864);
    assert.equal(sizeFlag('1GiB', '--x'), 1024 ** 3);
    assert.equal(sizeFlag('100B', '--x'), 100);
  });

  test('refuses what is not a size, naming the flag and the value', () => {
    const refused = (value: string, message: RegExp) =>
      assert.throws(() => sizeFlag(value, '--max-response-size'), (err: unknown) => {
        assert.ok(err instanceof IdemchaosError && err.kind === 'usage', String(err));
        assert.match(err.message, message);
        return true;
      });
    refused('16MB', /^--max-response-size: unknown unit 'MB' in '16MB': use MiB \(sizes are binary, 1 KiB = 1024 bytes\)$/);
    refused('16k', /unknown unit 'k' in '16k': use KiB/);
    refused('16 parsecs', /unknown unit 'parsecs' .*\(units: B, KiB, MiB, GiB\)$/);
    refused('lots', /^--max-response-size expects a size such as 16MiB, 512KiB or 1048576 \(bytes\), got 'lots'$/);
    refused('-1', /expects a size/);
    refused('1.5B', /'1\.5B' is not a whole number of bytes/);
    refused('0', /must be at least 1 byte/);
    refused('9999GiB', /more than one response body can be held in memory/);
  });

  test('transportOptions() carries it as maxResponseBytes', async () => {
    const flags = { timeout: '2s', maxResponseSize: '64KiB' } as CommonFlags;
    assert.deepEqual(await transportOptions(flags), { timeoutMs: 2000, maxResponseBytes: 65_536 });
  });
});

describe('a target whose response body never ends', () => {
  let server: BodyServer;
  before(async () => (server = await h1BodyServer()));
  after(() => server.close());

  const probe = (extra: string[], report: string) =>
    cli(['probe', `${server.origin}/endless`, '--json', '{"ref":"{{ run.id }}"}', '--attack', 'replay', '--timeout', '20s', '--report-json', report, ...extra], {
      timeoutMs: 60_000,
    });

  for (const [flag, shown] of [[undefined, '16 MiB'], ['64KiB', '64 KiB'], ['1048576', '1 MiB']] as const) {
    test(`${flag ? `--max-response-size ${flag}` : 'the default bound'}: exit 3, one line "response body larger than ${shown}", no stack trace`, { timeout: 60_000 }, async () => {
      const report = path.join(await tempDir(), 'r.json');
      const r = await probe(flag ? ['--max-response-size', flag] : [], report);
      assert.equal(r.code, 3, show(r));
      const json = JSON.parse(await readFile(report, 'utf8'));
      const attack = json.scenarios[0].attacks[0];
      assert.equal(attack.verdict, 'error');
      assert.equal(attack.reason, `original: response body larger than ${shown} from ${server.origin}`);
      assert.match(r.stdout, new RegExp(`response body larger than ${shown} from`));
      assert.doesNotMatch(r.stdout + r.stderr, /\n\s+at /, 'no stack trace');
    });
  }

  test('run takes the flag too; a bad size is a usage error (exit 2) before anything is sent', { timeout: 60_000 }, async () => {
    const file = await writeScenario(ordersScenario({ effects: false, attacks: '  replay: {}' }).replace('path: /orders', 'path: /endless'));
    const before = server.served.length;
    const bad = await cli(['run', file, '--target', server.origin, '--max-response-size', '2MB']);
    assert.equal(bad.code, 2, show(bad));
    assert.equal(bad.stderr, "idemchaos: --max-response-size: unknown unit 'MB' in '2MB': use MiB (sizes are binary, 1 KiB = 1024 bytes)\n");
    assert.equal(server.served.length, before, 'nothing was sent');
    const report = path.join(await tempDir(), 'r.json');
    const r = await cli(['run', file, '--target', server.origin, '--max-response-size', '100KiB', '--report-json', report]);
    assert.equal(r.code, 3, show(r));
    const json = JSON.parse(await readFile(report, 'utf8'));
    assert.equal(json.scenarios[0].attacks[0].reason, `original: response body larger than 100 KiB from ${server.origin}`);
  });
});
