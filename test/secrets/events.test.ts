// Redaction happens once, where events leave the run: the multiplexer hands
// every reporter a redacted copy of every event. These tests feed each event
// type with a secret in every field a reporter could show, and search what
// reporters receive and write (texts, and bodies both as UTF-8 and as bytes).
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ReporterMultiplexer, type Reporter } from '../../src/report/events.js';
import type { RunEvent } from '../../src/model/events.js';
import { JSON_BODY_LIMIT, jsonText } from '../../src/report/json.js';
import { FileReporter } from '../../src/report/file.js';
import { TerminalReporter } from '../../src/report/terminal.js';
import { TERMINAL_BODY_LIMIT } from '../../src/report/evidence.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { summarize, type AttackMetrics, type AttackResult, type RunResult, type ScenarioResult } from '../../src/model/results.js';
import type { Exchange } from '../../src/model/http.js';
import type { ProxyAttempt, ProxySession } from '../../src/model/proxy.js';
import { ROOT, tempDir } from '../helpers/harness.js';

const SECRET = 'sk_live_Zq9-"w/ü&x';
const TOOL = { name: 'idemchaos', version: 'test' };
const KEY = '3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10';

/** Every form a reporter could print the secret in, and its first 6 characters (a cut would leave those). */
function forms(secret: string): string[] {
  const json = JSON.stringify(secret).slice(1, -1);
  return [secret, encodeURIComponent(secret), json, secret.slice(0, 6), encodeURIComponent(secret.slice(0, 6))];
}

/** Every string in a value, Buffers read as UTF-8 and as latin1 bytes. */
function texts(value: unknown, at = '$', out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([at, value]);
  else if (Buffer.isBuffer(value)) out.push([`${at} (utf8)`, value.toString('utf8')], [`${at} (bytes)`, value.toString('latin1')]);
  else if (Array.isArray(value)) value.forEach((v, i) => texts(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) texts(v, `${at}.${k}`, out);
  return out;
}

function assertNoSecret(where: string, value: unknown, secret = SECRET): void {
  const utf8Bytes = Buffer.from(secret, 'utf8').toString('latin1');
  for (const [at, t] of texts(value)) {
    for (const form of [...forms(secret), utf8Bytes]) {
      const i = t.indexOf(form);
      assert.ok(i < 0, `${where} ${at}: …${t.slice(Math.max(0, i - 60), i + form.length + 20)}…`);
    }
  }
}

function exchange(label: string, secret = SECRET): Exchange {
  return {
    label,
    request: {
      method: 'POST',
      url: `https://svc:${encodeURIComponent(secret)}@api.test/orders?api_key=k1&note=${encodeURIComponent(secret)}`,
      headers: { Authorization: `Bearer ${secret}`, 'X-Trace': `t ${secret}`, 'Idempotency-Key': KEY },
      body: Buffer.from(JSON.stringify({ note: secret })),
    },
    response: {
      status: 201,
      headers: { 'set-cookie': `sid=${secret}`, location: `/orders/1?token=${encodeURIComponent(secret)}` },
      // Not UTF-8 (a lone 0xff), with the secret's bytes inside.
      body: Buffer.concat([Buffer.from([0xff, 0x00]), Buffer.from(` ${secret} `, 'utf8'), Buffer.from([0xfe])]),
    },
    error: `reset after ${secret}`,
    startedAt: 1_764_324_000_000,
    endedAt: 1_764_324_000_010,
  };
}

function attack(secret = SECRET): AttackResult {
  return {
    attack: 'concurrent',
    verdict: 'fail',
    reason: `a reason quoting ${secret}`,
    responseOnly: false,
    durationMs: 5,
    // The concurrent attack's body histogram quotes response bodies.
    metrics: { engine: 'h1', bodies: [{ count: 3, text: `{"owner":"${secret}"}` }], nested: { deep: [[`x ${secret}`]] }, requests: 3 } as AttackMetrics,
    findings: [
      {
        kind: 'duplicate-effect',
        message: `3 orders for ${secret}`,
        evidence: { exchanges: [exchange('burst 1/3', secret)], oracle: { before: 0, after: 3, ids: [`ord_${secret}`], note: `burst 1: 0 → 3 (${secret})` }, diff: [`$.note: "${secret}" → "x"`] },
      },
    ],
    errorEvidence: { exchanges: [exchange('error', secret)] },
  };
}

function scenario(secret = SECRET): ScenarioResult {
  return { name: 'orders', file: 'o.yaml', line: 1, target: `https://u:${encodeURIComponent(secret)}@api.test/?key=${secret}`, attacks: [attack(secret)], error: `setup failed: ${secret}` };
}

/** An attempt through the proxy, with the secret in its path, exchange and upstream error. */
function proxyAttempt(secret = SECRET): ProxyAttempt {
  return {
    seq: 1,
    at: 1_764_324_000_000,
    endedAt: 1_764_324_000_010,
    method: 'POST',
    path: `/orders?access_token=${encodeURIComponent(secret)}`,
    key: KEY,
    bodyHash: 'ab'.repeat(32),
    fault: 'drop-response',
    upstream: { error: `cannot connect to ${secret}` },
    client: { kind: 'reset' },
    exchange: exchange('#1 attempt 1/1 (drop-response)', secret),
  };
}

function proxySession(secret = SECRET): ProxySession {
  const finding = attack(secret).findings[0]!;
  return {
    upstream: `https://u:${encodeURIComponent(secret)}@api.test/base`,
    url: 'http://127.0.0.1:1',
    faults: ['drop-response'],
    match: ['POST *'],
    keyHeader: 'Idempotency-Key',
    command: { argv: ['node', 'client.js', `--token=${secret}`], exitCode: 0, signal: null, stoppedByDuration: false, interrupted: false, durationMs: 5 },
    stoppedBy: 'command',
    passedThrough: 0,
    operations: [{ id: 1, method: 'POST', path: `/orders?token=${secret}`, key: KEY, attempts: [proxyAttempt(secret)], verdict: 'fail', note: `a note on ${secret}`, findings: [{ ...finding, kind: 'unsafe-retry' }] }],
  };
}

function run(secret = SECRET): RunResult {
  const scenarios = [scenario(secret)];
  return { startedAt: '2026-11-28T10:00:00.000Z', durationMs: 10, scenarios, summary: summarize(scenarios), ok: false, proxy: proxySession(secret) };
}

/** One event of every type: the compiler insists a new type be added here. */
function everyEvent(secret = SECRET): Record<RunEvent['type'], RunEvent> {
  const ref = { name: 'orders', file: 'o.yaml', line: 1 };
  return {
    'run-begin': { type: 'run-begin', scenarios: [{ ref, attacks: ['concurrent'] }] },
    'scenario-begin': { type: 'scenario-begin', scenario: ref, target: `https://u:p@api.test/?access_token=${secret}` },
    'attack-begin': { type: 'attack-begin', scenario: ref, attack: 'concurrent' },
    'attack-progress': { type: 'attack-progress', scenario: ref, attack: 'concurrent', requestsSent: 3 },
    'attack-wait': { type: 'attack-wait', scenario: ref, attack: 'expiry', what: `the retry of key ${secret}`, until: 1_764_324_060_000 },
    exchange: { type: 'exchange', scenario: ref, attack: 'concurrent', exchange: exchange('burst 1/3', secret) },
    'attack-end': { type: 'attack-end', scenario: ref, result: attack(secret) },
    running: { type: 'running', attacks: [{ scenario: ref, attack: 'expiry', since: 1_764_324_000_000 }] },
    'scenario-end': { type: 'scenario-end', scenario: ref, result: scenario(secret) },
    attempt: { type: 'attempt', operation: 1, retry: false, attempt: proxyAttempt(secret) },
    warning: { type: 'warning', message: `teardown failed for ${secret}` },
    interrupted: { type: 'interrupted', signal: 'SIGINT' },
    'run-end': { type: 'run-end', result: run(secret) },
  };
}

function collector(): Reporter & { seen: RunEvent[] } {
  const seen: RunEvent[] = [];
  return { name: 'collect', seen, onEvent: (e) => void seen.push(e) };
}

const fail = (name: string, err: unknown) => assert.fail(`${name} failed: ${String(err)}`);

describe('the multiplexer redacts every event once, before any reporter', () => {
  it('no event type reaches a reporter with the secret in any form, also in bytes that are not UTF-8', async () => {
    const a = collector();
    const b = collector();
    const events = new ReporterMultiplexer([a, b], fail, { redact: new Redactor([SECRET]) });
    const all = everyEvent();
    for (const event of Object.values(all)) await events.emit(event);
    assert.equal(a.seen.length, Object.keys(all).length);
    assert.deepEqual(b.seen, a.seen, 'every reporter gets the same redacted copy');
    for (const event of a.seen) assertNoSecret(event.type, event);
    // What is kept: the key, the auth scheme, counts, timings, labels.
    const ex = (a.seen.find((e) => e.type === 'exchange') as Extract<RunEvent, { type: 'exchange' }>).exchange;
    assert.equal(ex.request.headers['Idempotency-Key'], KEY);
    assert.equal(ex.request.headers['Authorization'], 'Bearer ***');
    assert.equal(ex.request.url, 'https://***:***@api.test/orders?api_key=***&note=***');
    assert.deepEqual([...ex.response!.body], [0xff, 0x00, ...Buffer.from(' *** '), 0xfe], 'bytes around the secret are kept');
    assert.equal(ex.startedAt, 1_764_324_000_000);
    assert.equal(ex.label, 'burst 1/3');
    const end = (a.seen.find((e) => e.type === 'run-end') as Extract<RunEvent, { type: 'run-end' }>).result;
    assert.deepEqual(end.scenarios[0]!.attacks[0]!.metrics, { engine: 'h1', bodies: [{ count: 3, text: '{"owner":"***"}' }], nested: { deep: [['x ***']] }, requests: 3 });
    assert.deepEqual(end.scenarios[0]!.attacks[0]!.findings[0]!.evidence.oracle, { before: 0, after: 3, ids: ['ord_***'], note: 'burst 1: 0 → 3 (***)' });
    // The proxy's attempts keep their key (the audit is about it) and lose their credentials.
    const attempt = (a.seen.find((e) => e.type === 'attempt') as Extract<RunEvent, { type: 'attempt' }>).attempt;
    assert.equal(attempt.key, KEY);
    assert.equal(attempt.exchange.request.headers['Idempotency-Key'], KEY);
    assert.equal(attempt.exchange.request.headers['Authorization'], 'Bearer ***');
    assert.equal(attempt.path, '/orders?access_token=***');
    assert.equal(end.proxy!.operations[0]!.attempts[0]!.key, KEY);
    assert.equal(end.proxy!.upstream, 'https://***:***@api.test/base');
  });

  it('redacts copies: the run keeps its own results untouched', async () => {
    const events = new ReporterMultiplexer([collector()], fail, { redact: new Redactor([SECRET]) });
    const original = everyEvent();
    const before = texts(original);
    assert.ok(before.some(([, t]) => t.includes(SECRET)));
    for (const event of Object.values(original)) await events.emit(event);
    assert.deepEqual(texts(original), before);
  });

  it('without a redactor given, still masks credential headers, URL user info and credential parameters', async () => {
    const c = collector();
    await new ReporterMultiplexer([c], fail).emit(everyEvent('plain-value-1')['exchange']);
    const ex = (c.seen[0] as Extract<RunEvent, { type: 'exchange' }>).exchange;
    assert.equal(ex.request.headers['Authorization'], 'Bearer ***');
    assert.equal(ex.response!.headers['set-cookie'], '***');
    assert.equal(ex.request.url, 'https://***:***@api.test/orders?api_key=***&note=plain-value-1');
  });

  it('masks a value the redactor learns during the run (a setup capture) in every later event', async () => {
    const redact = new Redactor();
    const c = collector();
    const events = new ReporterMultiplexer([c], fail, { redact });
    const late = 'tok_captured_987654';
    redact.add(late);
    for (const event of Object.values(everyEvent(late))) await events.emit(event);
    for (const event of c.seen) assertNoSecret(event.type, event, late);
  });
});

describe('bodies are cut after redaction, never a secret half-masked', () => {
  /** A body with the secret 10 bytes ahead of a cut at `limit`: cut first, its first 10 characters would show. */
  const straddling = (limit: number) => Buffer.from(`${'a'.repeat(limit - 10)}${SECRET}${'b'.repeat(100)}`);

  it('in the JSON report, at its 64 KiB cut', async () => {
    const result = run();
    result.scenarios[0]!.attacks[0]!.findings[0]!.evidence.exchanges[0]!.response!.body = straddling(JSON_BODY_LIMIT);
    const file = path.join(await tempDir(), 'r.json');
    await new ReporterMultiplexer([new FileReporter('json', file, (r) => jsonText(r, TOOL))], fail, { redact: new Redactor([SECRET]) }).emit({ type: 'run-end', result });
    const text = await readFile(file, 'utf8');
    const doc = JSON.parse(text) as { scenarios: { attacks: { findings: { evidence: { exchanges: { response: { body: { text: string; truncated?: unknown } } }[] } }[] }[] }[] };
    const body = doc.scenarios[0]!.attacks[0]!.findings[0]!.evidence.exchanges[0]!.response.body;
    // Masked whole, then cut: the *** and the next 7 bytes fill the limit.
    assert.equal(body.text, `${'a'.repeat(JSON_BODY_LIMIT - 10)}***${'b'.repeat(7)}`);
    assert.deepEqual(body.truncated, { shownBytes: JSON_BODY_LIMIT, totalBytes: JSON_BODY_LIMIT - 10 + 3 + 100 });
    assertNoSecret('report', [text, doc]);
  });

  it('in the terminal, at its 4 KiB cut (--verbose)', async () => {
    let out = '';
    const terminal = new TerminalReporter({ out: { write: (s: string) => ((out += s), true) } as unknown as NodeJS.WritableStream, color: false, live: false, verbosity: 'verbose' });
    const e = exchange('original');
    e.response!.body = straddling(TERMINAL_BODY_LIMIT);
    const ref = { name: 'orders', file: 'o.yaml', line: 1 };
    await new ReporterMultiplexer([terminal], fail, { redact: new Redactor([SECRET]) }).emit({ type: 'exchange', scenario: ref, attack: 'replay', exchange: e });
    assert.ok(out.includes(`a***${'b'.repeat(7)}\n`), 'the masked secret is shown whole, then cut');
    assert.ok(out.includes(`… (${TERMINAL_BODY_LIMIT} of ${TERMINAL_BODY_LIMIT - 10 + 3 + 100} bytes shown)`), out.slice(-200));
    assertNoSecret('terminal', out);
  });
});

describe('reporters never redact', () => {
  it('no reporter file but the event stream imports the redactor', async () => {
    const dir = path.join(ROOT, 'src', 'report');
    const files = (await readdir(dir, { recursive: true })).filter((f) => f.endsWith('.ts'));
    assert.ok(files.length >= 8, files.join(', '));
    for (const f of files) {
      const source = await readFile(path.join(dir, f), 'utf8');
      const imports = source.includes('secrets/');
      assert.equal(imports, f === 'events.ts', `${f} ${imports ? 'imports' : 'does not import'} from src/secrets`);
    }
  });
});
