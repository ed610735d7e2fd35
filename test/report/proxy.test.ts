// Every reporter on a proxy session: the operations (with their attempts)
// where a run shows its verdict table, no scenario file where there is none,
// the JUnit file valid, and whatever came from the client escaped.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import type { ProxyAttempt, ProxySession } from '../../src/model/proxy.js';
import { bodyHash } from '../../src/proxy/body.js';
import { volatileMatcher, VOLATILE_HEADERS } from '../../src/proxy/headers.js';
import type { LiveOperation } from '../../src/proxy/ledger.js';
import { sessionResult } from '../../src/proxy/result.js';
import { judgeOperations } from '../../src/proxy/rules.js';
import { githubAnnotations } from '../../src/report/github.js';
import { htmlReport } from '../../src/report/html.js';
import { jsonReport } from '../../src/report/json.js';
import { junitXml } from '../../src/report/junit.js';
import { markdownSummary } from '../../src/report/markdown.js';
import { TerminalReporter } from '../../src/report/terminal.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { RunResult } from '../../src/model/results.js';
import { ROOT, tempDir } from '../helpers/harness.js';

const HOSTILE = '/orders/<script>alert(1)</script>';

function attempt(seq: number, at: number, over: Partial<ProxyAttempt>): ProxyAttempt {
  const body = Buffer.from('{"sku":"a"}');
  const path = over.path ?? '/orders';
  return {
    seq,
    at,
    endedAt: at + 20,
    method: 'POST',
    path,
    bodyHash: bodyHash(body),
    client: { kind: 'answer', status: 201 },
    upstream: { status: 201 },
    exchange: { label: '', request: { method: 'POST', url: `http://up.test${path}`, headers: { Authorization: 'Bearer tok-999999' }, body }, startedAt: at },
    ...over,
  };
}

function session(): RunResult {
  const t = 1_764_324_000_000;
  const live: LiveOperation[] = [
    { id: 1, attempts: [attempt(1, t, { fault: 'drop-response', client: { kind: 'reset' } }), attempt(2, t + 300, {})] },
    { id: 2, attempts: [attempt(3, t + 600, { path: HOSTILE, fault: 'drop-response', client: { kind: 'reset' }, bodyHash: bodyHash(Buffer.from('2')) })] },
  ];
  const operations = judgeOperations(live, { maxAttempts: 6, keyHeader: 'Idempotency-Key', isVolatile: volatileMatcher(VOLATILE_HEADERS) });
  const p: ProxySession = {
    upstream: 'http://up.test',
    url: 'http://127.0.0.1:1',
    faults: ['drop-response'],
    match: ['POST *', 'PATCH *'],
    keyHeader: 'Idempotency-Key',
    command: { argv: ['node', 'client.js'], exitCode: 0, signal: null, stoppedByDuration: false, interrupted: false, durationMs: 1200 },
    stoppedBy: 'command',
    passedThrough: 3,
    operations,
  };
  return new Redactor().run(sessionResult(p, t));
}

test('the terminal: an operations table, the command, and each finding with its attempts', () => {
  let out = '';
  const terminal = new TerminalReporter({ out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, color: false, live: false });
  terminal.onEvent({ type: 'run-end', result: session() });
  assert.match(out, /│ 1 │ POST \/orders +│ no key +│ drop-response→reset, 201 │ FAIL +│/);
  assert.match(out, /│ 2 │ POST \/orders\/<script>.*│ no key +│ drop-response→reset +│ pass +│/);
  assert.match(out, /✖ proxy http:\/\/up\.test › #1 POST \/orders: unsafe-retry \(critical\)\n {2}attempt 2 retried the operation after a lost response \(drop-response\) with no idempotency key/);
  assert.match(out, /── #1 attempt 1\/2 \(drop-response, the client got nothing\)/);
  assert.match(out, /the command `node client\.js` exited 0 after 1\.2 s; 3 other requests passed through unaudited/);
  assert.match(out, /2 operations through the proxy: 1 passed, 1 failed/);
  assert.doesNotMatch(out, /tok-999999/);
});

test('Markdown: the operations table, findings placed at the session, not a file', () => {
  const md = markdownSummary(session());
  assert.match(md, /^## ❌ idemchaos: 1 finding in 1 operation$/m);
  assert.match(md, /^\| 1 \| `POST \/orders` \| no key \| drop-response→reset, 201 \| ❌ unsafe-retry \|$/m);
  assert.match(md, /^\| 2 \| `POST \/orders\/<script>alert\(1\)<\/script>` \| no key \| drop-response→reset \| ✅ pass: never retried after a lost response: the caller cannot know whether it happened \|$/m);
  assert.match(md, /^- where: `proxy http:\/\/up\.test`$/m);
  assert.doesNotMatch(md, /:0\b/);
});

test('HTML: an operations section with a timeline per operation, everything escaped', () => {
  const html = htmlReport(session());
  assert.match(html, /<section id="operations">/);
  assert.doesNotMatch(html, /<section id="verdicts">/);
  assert.equal((html.match(/<svg class="timeline attempts-timeline"/g) ?? []).length, 2);
  assert.equal((html.match(/<g class="tl-row /g) ?? []).length, 3, 'one row per attempt');
  assert.match(html, /<td class="v-fail" data-verdict="fail"><a href="#finding-1"><svg class="icon" data-verdict="fail"[^>]*>.*?<\/svg> unsafe-retry<\/a><\/td>/);
  assert.ok(!html.includes('<script>'), 'the path is escaped');
  assert.match(html, /\/orders\/&lt;script&gt;/);
});

test('JSON: the session and every operation with its attempts, additions only', () => {
  const doc = jsonReport(session(), { name: 'idemchaos', version: 't' }) as Record<string, any>;
  for (const field of ['schemaVersion', 'tool', 'ok', 'startedAt', 'durationMs', 'summary', 'scenarios']) assert.ok(field in doc, field);
  assert.equal(doc.schemaVersion, 1);
  assert.deepEqual(doc.proxy.command.argv, ['node', 'client.js']);
  assert.equal(doc.operations.length, 2);
  const [op] = doc.operations;
  assert.deepEqual([op.method, op.path, op.verdict, op.findings.map((f: { kind: string }) => f.kind)], ['POST', '/orders', 'fail', ['unsafe-retry']]);
  assert.deepEqual(op.attempts.map((a: { fault: string | null; client: unknown; upstream: unknown }) => [a.fault, a.client, a.upstream]), [
    ['drop-response', { kind: 'reset' }, { status: 201 }],
    [null, { kind: 'answer', status: 201 }, { status: 201 }],
  ]);
  assert.equal(op.attempts[0].at, '2025-11-28T10:00:00.000000Z');
  assert.equal(op.attempts[0].exchange.request.headers.Authorization, 'Bearer ***');
});

test('GitHub annotations: a title and no file for a session without a scenario file', () => {
  const lines = githubAnnotations(session().scenarios[0]!, ROOT);
  assert.deepEqual(lines.map((l) => l.slice(0, l.indexOf('::', 2))), ['::error title=proxy http%3A//up.test / #1 POST /orders%3A unsafe-retry (critical)']);
});

function needXmllint(t: TestContext): boolean {
  if (!spawnSync('xmllint', ['--version']).error) return true;
  if (process.env.IDEMCHAOS_REQUIRE_XMLLINT === '1') assert.fail('xmllint is required (IDEMCHAOS_REQUIRE_XMLLINT=1)');
  t.skip('xmllint not installed');
  return false;
}

test('JUnit: a testcase per operation, valid against the junit-10 schema, located at the session', async (t) => {
  const xml = junitXml(session());
  assert.match(xml, /<testcase name="#1 POST \/orders" classname="proxy http:\/\/up\.test"/);
  assert.match(xml, /at proxy http:\/\/up\.test<\/failure>/);
  if (!needXmllint(t)) return;
  const file = path.join(await tempDir(), 'junit.xml');
  await writeFile(file, xml);
  const r = spawnSync('xmllint', ['--noout', '--schema', path.join(ROOT, 'test', 'fixtures', 'junit.xsd'), file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
