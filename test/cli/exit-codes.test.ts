// The CLI contract: every exit code, and errors that point at file:line:col.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { startDemo } from '../../src/demo/server.js';
import { cli, ordersScenario, tempDir, writeScenario } from '../helpers/harness.js';
import { closedPort } from '../helpers/net.js';

test('--version and --help exit 0; --help lists the exit codes', async () => {
  const version = await cli(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^\d+\.\d+\.\d+\s*$/);
  const help = await cli(['run', '--help']);
  assert.equal(help.code, 0);
  for (const flag of ['--target', '--var', '--attack', '--report-json', '--timeout']) assert.ok(help.stdout.includes(flag), flag);
  assert.match(help.stdout, /Exit codes:[\s\S]*0 {2}no finding[\s\S]*3 {2}could not test/);
});

test('exit 0 when the API is correct, 1 when there is a finding', async () => {
  const file = await writeScenario(ordersScenario({ attacks: '  replay: {}\n  reuse: {}' }));
  for (const [bug, code] of [['correct', 0], ['ignore-body', 1]] as const) {
    const server = await startDemo({ bug, latencyMs: 20 });
    try {
      const r = await cli(['run', file, '--target', server.url]);
      assert.equal(r.code, code, `${bug}: ${r.stdout}${r.stderr}`);
      if (code === 1) assert.match(r.stdout, /mismatch-accepted/);
    } finally {
      await server.close();
    }
  }
});

test('exit 3 when the target is unreachable, never 0', async () => {
  const port = await closedPort();
  const file = await writeScenario(ordersScenario());
  const r = await cli(['run', file, '--target', `http://127.0.0.1:${port}`]);
  assert.equal(r.code, 3, r.stdout + r.stderr);
  assert.match(r.stdout, /cannot connect to http:\/\/127\.0\.0\.1:\d+/);
});

test('exit 3 when the first request is not a success', async () => {
  const server = await startDemo({ latencyMs: 5 });
  try {
    // No json body: the demo answers 400. (The body carries the run.id the oracle filters on, or the scenario would not load.)
    const file = await writeScenario(
      ordersScenario({ attacks: '  replay: {}' }).replace('  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" }\n', '  body: "not json {{ run.id }}"\n  headers: { Content-Type: text/plain }\n'),
    );
    const r = await cli(['run', file, '--target', server.url]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /answered 400, not a success/);
  } finally {
    await server.close();
  }
});

test('exit 3 when the oracle fails', async () => {
  const server = await startDemo({ latencyMs: 5 });
  try {
    const file = await writeScenario(
      ordersScenario({
        attacks: '  replay: {}',
        effects: 'effects:\n  count:\n    request: { path: "/nowhere?ref={{ run.id }}" }\n    select: $.count\n',
      }),
    );
    const r = await cli(['run', file, '--target', server.url]);
    assert.equal(r.code, 3, r.stdout + r.stderr);
    assert.match(r.stdout, /oracle answered 404/);
  } finally {
    await server.close();
  }
});

test('exit 1 wins over 3', async () => {
  const server = await startDemo({ bug: 'ignore-body', latencyMs: 5 });
  try {
    // reuse finds a bug; expiry cannot test (the retry target path does not exist for the oracle... use a 1 ms timeout instead)
    const dir = await tempDir();
    const good = path.join(dir, 'a.yaml');
    const bad = path.join(dir, 'b.yaml');
    const { writeFile } = await import('node:fs/promises');
    await writeFile(good, ordersScenario({ attacks: '  reuse: {}' }));
    await writeFile(bad, ordersScenario({ attacks: '  replay: {}' }).replace('target: "{{ env.BASE_URL }}"', `target: "http://127.0.0.1:${await closedPort()}"`));
    const r = await cli(['run', good, bad], { env: { BASE_URL: server.url } });
    assert.equal(r.code, 1, r.stdout + r.stderr);
  } finally {
    await server.close();
  }
});

test('exit 2 for usage errors: bad flag, unknown attack, missing file, no scenario found', async () => {
  const file = await writeScenario(ordersScenario());
  const cases: [string[], RegExp][] = [
    [['run', file, '--no-such-flag'], /unknown option/],
    [['run', file, '--attack', 'replay,bogus', '--target', 'http://127.0.0.1:1'], /unknown attack 'bogus'/],
    [['run', '/definitely/not/here.yaml'], /not\s?here\.yaml|no such|does not exist/i],
    [['run', await tempDir()], /no scenario files found/],
    [['run', file, '--timeout', 'soon', '--target', 'http://127.0.0.1:1'], /--timeout/],
  ];
  for (const [args, pattern] of cases) {
    const r = await cli(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, pattern, args.join(' '));
    assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, 'no stack trace');
  }
});

test('exit 2 for scenario errors, each named file:line:col with a caret, before any request', async () => {
  const yaml = `name: create order
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: /orders
  json: { ref: "{{ run.id }}" }
idempotency:
  ttl: 2 seconds
attacks:
  concurrent: { reqests: 20 }
`;
  const file = await writeScenario(yaml, 'broken.yaml');
  const r = await cli(['run', file]);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /broken\.yaml:10:17/, 'unknown key position');
  assert.match(r.stderr, /did you mean 'requests'/);
  assert.match(r.stderr, /broken\.yaml:8:8/, 'bad duration position');
  assert.match(r.stderr, /undefined variable 'env\.BASE_URL'/);
  assert.match(r.stderr, /\n\s*10 \|   concurrent: \{ reqests: 20 \}\n\s*\| {17}\^{7}/);
  assert.equal(r.stdout, '');
});

test('exit 2 for invalid YAML and for a scenario that gives no attack what it needs', async () => {
  const bad = await writeScenario('name: [unclosed\n', 'bad.yaml');
  const r1 = await cli(['run', bad]);
  assert.equal(r1.code, 2);
  assert.match(r1.stderr, /bad\.yaml:\d+:\d+/);

  const onlyExpiry = await writeScenario(ordersScenario({ attacks: '  expiry: {}' }).replace(/idempotency:\n  ttl: 3s\n/, ''), 'no-ttl.yaml');
  const r2 = await cli(['run', onlyExpiry, '--target', 'http://127.0.0.1:1']);
  assert.equal(r2.code, 2, r2.stdout + r2.stderr);
  assert.match(r2.stderr, /gives no attack what it needs.*idempotency\.ttl/);
});

test('--report-json writes the documented report; secrets stay masked', async () => {
  const server = await startDemo({ bug: 'no-idempotency', latencyMs: 5 });
  try {
    const file = await writeScenario(
      ordersScenario({ attacks: '  replay: {}' }).replace('  path: /orders\n', '  path: /orders\n  headers: { Authorization: "Bearer {{ vars.token }}" }\n'),
    );
    const out = path.join(await tempDir(), 'report.json');
    const r = await cli(['run', file, '--target', server.url, '--var', 'token=s3cr3t-token-value', '--report-json', out]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    const text = await readFile(out, 'utf8');
    assert.ok(!text.includes('s3cr3t-token-value'), 'token in the JSON report');
    assert.ok(!r.stdout.includes('s3cr3t-token-value'), 'token in the terminal');
    const report = JSON.parse(text);
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.tool.name, 'idemchaos');
    assert.equal(report.ok, false);
    assert.deepEqual(report.summary, { scenarios: 1, attacks: 1, passed: 0, failed: 1, errored: 0, skipped: 0 });
    const attack = report.scenarios[0].attacks[0];
    assert.equal(attack.attack, 'replay');
    assert.equal(attack.verdict, 'fail');
    assert.equal(attack.responseOnly, false);
    assert.equal(typeof attack.durationMs, 'number');
    const kinds = attack.findings.map((f: { kind: string }) => f.kind).sort();
    assert.deepEqual(kinds, ['duplicate-effect', 'wrong-replay']);
    const dup = attack.findings.find((f: { kind: string }) => f.kind === 'duplicate-effect');
    assert.deepEqual({ before: dup.evidence.oracle.before, after: dup.evidence.oracle.after }, { before: 0, after: 2 });
    assert.equal(dup.evidence.exchanges[0].request.headers.Authorization, 'Bearer ***');
    assert.match(dup.evidence.exchanges[0].startedAt, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
  } finally {
    await server.close();
  }
});
