// The JUnit report: valid against the junit-10 schema (checked by xmllint),
// counts that match the run, and every character escaped.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { junitXml } from '../../src/report/junit.js';
import { FileReporter } from '../../src/report/file.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { RunResult } from '../../src/model/results.js';
import { ROOT, tempDir } from '../helpers/harness.js';
import { handcraftedResult, realRun, SECRET, WEIRD, type RealRun } from './results.js';

const XSD = path.join(ROOT, 'test', 'fixtures', 'junit.xsd');
const redact = new Redactor([SECRET]);

let real: Promise<RealRun> | undefined;
const realOnce = () => (real ??= realRun());

function hasXmllint(): boolean {
  const r = spawnSync('xmllint', ['--version'], { encoding: 'utf8' });
  return !r.error;
}

/** Skips the test without xmllint, unless IDEMCHAOS_REQUIRE_XMLLINT=1 (then it fails). */
function needXmllint(t: TestContext): boolean {
  if (hasXmllint()) return true;
  if (process.env.IDEMCHAOS_REQUIRE_XMLLINT === '1') assert.fail('xmllint is required (IDEMCHAOS_REQUIRE_XMLLINT=1): apt-get install -y libxml2-utils');
  t.skip('xmllint not installed (apt-get install -y libxml2-utils); set IDEMCHAOS_REQUIRE_XMLLINT=1 to make this a failure');
  return false;
}

function validate(file: string): { ok: boolean; stderr: string } {
  const r = spawnSync('xmllint', ['--noout', '--schema', XSD, file], { encoding: 'utf8' });
  return { ok: r.status === 0, stderr: r.stderr };
}

function xpath(file: string, expr: string): string {
  const r = spawnSync('xmllint', ['--xpath', expr, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, `xmllint --xpath ${expr}: ${r.stderr}`);
  return r.stdout.replace(/\n$/, '');
}

async function writeJunit(result: RunResult): Promise<{ file: string; xml: string }> {
  const file = path.join(await tempDir(), 'junit.xml');
  // Through the reporter and the event stream, as the CLI wires it.
  const events = new ReporterMultiplexer([new FileReporter('junit', file, junitXml)], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact });
  await events.emit({ type: 'run-end', result });
  return { file, xml: await readFile(file, 'utf8') };
}

test('junit: a real run validates against the junit-10 schema and its counts match the run', async (t) => {
  const { result } = await realOnce();
  const { file, xml } = await writeJunit(result);
  // Without xmllint: the structure, counted by hand.
  assert.equal(xml.match(/<testsuite /g)?.length, result.scenarios.length);
  assert.equal(xml.match(/<testcase /g)?.length, result.summary.attacks);
  assert.ok(!xml.includes(SECRET), 'the secret is masked');
  if (!needXmllint(t)) return;

  const v = validate(file);
  assert.ok(v.ok, `junit.xml does not validate:\n${v.stderr}\n${xml}`);
  assert.equal(xpath(file, 'count(/testsuites/testsuite)'), String(result.scenarios.length));
  assert.equal(xpath(file, 'string(/testsuites/@tests)'), String(result.summary.attacks));
  assert.equal(xpath(file, 'string(/testsuites/@failures)'), String(result.summary.failed));
  assert.equal(xpath(file, 'string(/testsuites/@errors)'), String(result.summary.errored));
  result.scenarios.forEach((s, i) => {
    const suite = `/testsuites/testsuite[${i + 1}]`;
    const n = (v: string) => String(s.attacks.filter((a) => a.verdict === v).length);
    assert.equal(xpath(file, `string(${suite}/@name)`), s.name);
    assert.equal(xpath(file, `string(${suite}/@file)`), s.file);
    assert.equal(xpath(file, `string(${suite}/@tests)`), String(s.attacks.length));
    assert.equal(xpath(file, `string(${suite}/@failures)`), n('fail'));
    assert.equal(xpath(file, `string(${suite}/@errors)`), n('error'));
    assert.equal(xpath(file, `string(${suite}/@skipped)`), n('skip'));
    assert.equal(xpath(file, `count(${suite}/testcase/failure)`), n('fail'));
    assert.equal(xpath(file, `count(${suite}/testcase/error)`), n('error'));
    for (const a of s.attacks) {
      const tc = `${suite}/testcase[@name="${a.attack}"]`;
      assert.equal(xpath(file, `string(${tc}/@classname)`), s.name);
      assert.equal(xpath(file, `string(${tc}/@time)`), (a.durationMs / 1000).toFixed(3));
      if (a.verdict === 'fail') {
        assert.equal(xpath(file, `string(${tc}/failure/@message)`), a.findings.map((f) => f.kind).join(', '));
        assert.equal(xpath(file, `string(${tc}/failure/@type)`), 'idempotency');
        const text = xpath(file, `string(${tc}/failure)`);
        for (const f of a.findings) assert.ok(text.includes(f.message), `failure text has "${f.message}"`);
      }
    }
  });
  // The race shows as a duplicate effect on concurrent, the replay bug as a wrong replay, the dead port as an error.
  assert.equal(xpath(file, 'string(/testsuites/testsuite[@name="race orders"]/testcase[@name="concurrent"]/failure/@message)'), 'duplicate-effect');
  assert.equal(xpath(file, 'string(/testsuites/testsuite[@name="replay orders"]/testcase[@name="replay"]/failure/@message)'), 'wrong-replay');
  assert.match(xpath(file, 'string(/testsuites/testsuite[@name="replay orders"]/testcase[@name="replay"]/failure)'), /status: 201 → 200/);
  assert.equal(xpath(file, 'count(/testsuites/testsuite[@name="gone orders"]/testcase[@name="replay"]/error)'), '1');
});

test('junit: special and control characters are escaped and read back exactly', async (t) => {
  const result = handcraftedResult();
  const { file, xml } = await writeJunit(result);
  assert.ok(!xml.includes(SECRET), 'the secret is masked');
  assert.ok(!/[\u0000-\u0008\u000B\u000C\u000E-\u001F]/.test(xml), 'no character XML 1.0 forbids');
  assert.ok(xml.includes('<failure message="wrong-replay, duplicate-effect" type="idempotency">'));
  assert.ok(xml.includes('<skipped message="no idempotency.ttl: the expiry attack needs it"/>'));
  assert.ok(xml.includes('ctl:\\u0001\\u0008\\u000B\\u001F\\uFFFE\\uD800 end'), 'control characters and a lone surrogate shown as \\uXXXX');
  if (!needXmllint(t)) return;

  const v = validate(file);
  assert.ok(v.ok, `junit.xml does not validate:\n${v.stderr}\n${xml}`);
  // Attribute values keep CR, LF, quotes and all, after an XML parser read them.
  assert.equal(xpath(file, 'string(/testsuites/testsuite[1]/@name)'), WEIRD);
  assert.equal(xpath(file, 'string(/testsuites/testsuite[1]/testcase[@name="replay"]/@classname)'), WEIRD);
  assert.equal(xpath(file, 'string(/testsuites/testsuite[1]/@file)'), '/work/space/scenarios/we,ird:%.yaml');
  const failure = xpath(file, 'string(/testsuites/testsuite[1]/testcase[@name="replay"]/failure)');
  assert.ok(failure.includes(`wrong-replay (major): replay differs: 100% "wrong" <b>bold</b> & 'quoted' a:b, c\r\nsecond line with ***`), failure);
  assert.ok(failure.includes('duplicate-effect (critical): the replay made a second order ctl:\\u0001\\u0008\\u000B\\u001F\\uFFFE\\uD800 end'));
  assert.ok(failure.includes('oracle: 0 before, 2 after; ids: ord_1, ord_2 (read twice)'));
  assert.ok(failure.includes('$.note: "```" → "<b>|</b>"'));
  assert.ok(failure.includes('original: POST http://api.example.test/orders?token=*** → 201 in 12.3 ms'));
  assert.ok(failure.endsWith('at /work/space/scenarios/we,ird:%.yaml:21'), 'located at the attack line');
  const error = '/testsuites/testsuite[1]/testcase[@name="reuse"]/error';
  assert.equal(xpath(file, `string(${error}/@message)`), 'the first request was answered 503, not a success: "busy" <retry> & 50% later, …');
  assert.match(xpath(file, `string(${error})`), /first: POST http:\/\/api\.example\.test\/orders\?token=\*\*\* → no response \(connect ECONNREFUSED 127\.0\.0\.1:1\)/);
  assert.equal(xpath(file, 'string(/testsuites/testsuite[1]/properties/property[@name="target"]/@value)'), 'http://api.example.test/?key=***');
  assert.equal(xpath(file, 'string(/testsuites/@tests)'), '6');
  assert.equal(xpath(file, 'string(/testsuites/testsuite[1]/@skipped)'), '1');
  assert.equal(xpath(file, 'count(//testcase[@name="drop"]/failure | //testcase[@name="drop"]/error | //testcase[@name="drop"]/skipped)'), '0');
});

test('junit: an empty run is a valid empty <testsuites>', async (t) => {
  const empty: RunResult = {
    startedAt: '2026-11-28T10:00:00.000Z',
    durationMs: 0,
    scenarios: [],
    summary: { scenarios: 0, attacks: 0, passed: 0, failed: 0, errored: 0, skipped: 0 },
    ok: true,
  };
  const xml = junitXml(empty);
  assert.equal(xml, '<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="idemchaos" tests="0" failures="0" errors="0" time="0.000"/>\n');
  if (!needXmllint(t)) return;
  const file = path.join(await tempDir(), 'empty.xml');
  await writeFile(file, xml);
  assert.ok(validate(file).ok);
});

test('junit: the schema rejects what the format does not allow (the validation can fail)', async (t) => {
  if (!needXmllint(t)) return;
  const dir = await tempDir();
  const bad = {
    'a file attribute on testcase': '<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase name="c" file="x.yaml"/></testsuite></testsuites>',
    'a testsuite without failures': '<testsuites><testsuite name="s" tests="1" errors="0"><testcase name="c"/></testsuite></testsuites>',
    'a testcase without a name': '<testsuites><testsuite name="s" tests="1" failures="0" errors="0"><testcase classname="c"/></testsuite></testsuites>',
    'a time in another format': '<testsuites time="1.5s"/>',
    'an unknown element': '<testsuites><testrun/></testsuites>',
  };
  for (const [what, xml] of Object.entries(bad)) {
    const file = path.join(dir, 'bad.xml');
    await writeFile(file, `<?xml version="1.0" encoding="UTF-8"?>\n${xml}\n`);
    assert.equal(validate(file).ok, false, `${what} must not validate`);
  }
});
