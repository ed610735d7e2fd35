// Interrupting a run: the real executable, signalled while a request, a wait
// or a command oracle is in flight. The first SIGINT or SIGTERM stops what is
// in flight within 2 s (its connection closed, the oracle's processes
// killed), runs teardown, writes every report asked for and exits 130 or
// 143; a second signal exits at once.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { test } from 'node:test';
import { tempDir, writeScenario } from '../helpers/harness.js';
import { waitFor } from '../helpers/net.js';
import { ordersServer, type OrdersServer, type SeenRequest } from '../helpers/orders-server.js';
import { startCli, type Ended, type Running } from '../helpers/spawn.js';
import { alive, groupMembers } from '../helpers/procs.js';

/** What the issue asks: in flight stopped and the process gone within 2 s of the signal. */
const WITHIN_MS = 2_000;

const SETUP_AND_TEARDOWN = `setup:
  - { method: POST, path: /login, json: {}, capture: { token: $.token } }
teardown:
  - { method: POST, path: /logout, headers: { Authorization: "Bearer {{ captures.token }}" } }
`;

function scenario(extra: string): string {
  return `name: orders
target: "{{ env.BASE_URL }}"
${SETUP_AND_TEARDOWN}request:
  path: /orders
  headers: { Authorization: "Bearer {{ captures.token }}" }
  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}" }
${extra}`;
}

interface Reports {
  json: string;
  junit: string;
  markdown: string;
  flags: string[];
}

async function reports(): Promise<Reports> {
  const dir = await tempDir();
  const r = { json: path.join(dir, 'r.json'), junit: path.join(dir, 'r.xml'), markdown: path.join(dir, 'r.md') };
  return { ...r, flags: ['--report-json', r.json, '--report-junit', r.junit, '--report-markdown', r.markdown] };
}

/** Waits for the request, failing with the output if the run ends first. */
async function until(run: Running, server: OrdersServer, what: string, match: (r: SeenRequest) => boolean): Promise<SeenRequest> {
  return Promise.race([
    server.request(match),
    run.ended.then((e) => assert.fail(`the run ended (exit ${e.code}) before ${what}:\n${e.stdout}\n${e.stderr}`)),
  ]);
}

function show(e: Ended): string {
  return `exit ${e.code} signal ${e.signal}\n--- stdout\n${e.stdout}\n--- stderr\n${e.stderr}`;
}

/** No stack trace, and the process ended on its own, not by the backstop that ends one still held after its reports. */
function assertClean(e: Ended): void {
  assert.doesNotMatch(`${e.stdout}\n${e.stderr}`, /\n\s+at .*[(:]\d+/, 'a stack trace was printed');
  assert.doesNotMatch(e.stderr, /still busy/, 'something held the process after its reports');
}

test('SIGINT with a request in flight: its connection closed, teardown run, every report written, exit 130 within 2 s', { timeout: 60_000 }, async () => {
  const server = await ordersServer({ hangOnChange: true });
  try {
    const out = await reports();
    const file = await writeScenario(scenario('attacks:\n  replay: {}\n  reuse: {}\n  drop: {}\n'));
    // One attack after the other: drop has not started when reuse hangs.
    const run = startCli(['run', file, '--target', server.url, '--workers', '1', ...out.flags]);
    // reuse sends the same key with a changed payload: this server never answers it.
    const hanging = await until(run, server, "reuse's changed payload", (r) => r.hung === true);
    const signalled = run.signal('SIGINT');
    const ended = await run.ended;
    assert.equal(ended.code, 130, show(ended));
    assert.ok(ended.endedAt - signalled < WITHIN_MS, `exited ${ended.endedAt - signalled} ms after the signal`);

    // The tool closed the in-flight request's connection itself, before teardown (not the kernel at its exit).
    const logout = server.requests.find((r) => r.path === '/logout');
    assert.ok(logout && logout.at >= signalled, 'teardown ran after the signal');
    const closedAt = hanging.connection.closedAt;
    assert.ok(closedAt !== undefined && closedAt <= logout.at, 'the connection of the request in flight was closed before teardown');
    assert.ok(closedAt - signalled < WITHIN_MS);
    await waitFor(() => server.open() === 0, 2000, () => `every connection closed (${server.open()} open)`);

    const report = JSON.parse(await readFile(out.json, 'utf8'));
    assert.equal(report.interrupted, true);
    assert.equal(report.ok, false);
    const attacks = report.scenarios[0].attacks;
    assert.deepEqual(attacks.map((a: { attack: string; verdict: string; reason: string | null }) => [a.attack, a.verdict, a.reason]), [
      ['replay', 'pass', null],
      ['reuse', 'error', 'interrupted'],
      ['drop', 'error', 'interrupted before it started'],
    ]);
    assert.deepEqual(report.summary, { scenarios: 1, attacks: 3, passed: 1, failed: 0, errored: 2, skipped: 0 });
    // What the interrupted attack had sent, the request in flight last.
    const sent = attacks[1].errorEvidence.exchanges;
    assert.equal(sent.at(-1).error, 'interrupted');
    assert.equal(sent.at(-1).response, undefined);
    assert.equal(sent[0].response.status, 201);
    assert.match(readFileSync(out.junit, 'utf8'), /<error message="interrupted"/);
    assert.match(readFileSync(out.markdown, 'utf8'), /interrupted before it started/);

    assert.match(ended.stdout, /^interrupted \(SIGINT\): finishing reports…/m);
    assert.match(ended.stdout, /interrupted: the attacks that had not finished could not be tested/);
    assertClean(ended);
  } finally {
    await server.close();
  }
});

test('--workers 2, SIGINT while reuse hangs and drop runs beside it: both "interrupted", in file order, exit 130 within 2 s', { timeout: 60_000 }, async () => {
  const server = await ordersServer({ hangOnChange: true });
  try {
    const out = await reports();
    const file = await writeScenario(scenario('attacks:\n  reuse: {}\n  drop: {}\n'));
    const run = startCli(['run', file, '--target', server.url, '--workers', '2', ...out.flags]);
    await until(run, server, "reuse's changed payload", (r) => r.hung === true);
    const signalled = run.signal('SIGINT');
    const ended = await run.ended;
    assert.equal(ended.code, 130, show(ended));
    assert.ok(ended.endedAt - signalled < WITHIN_MS, `exited ${ended.endedAt - signalled} ms after the signal`);
    assert.ok(server.requests.some((r) => r.path === '/logout' && r.at >= signalled), 'teardown ran after the signal');
    await waitFor(() => server.open() === 0, 2000, () => `every connection closed (${server.open()} open)`);
    const report = JSON.parse(await readFile(out.json, 'utf8'));
    assert.equal(report.interrupted, true);
    const attacks = report.scenarios[0].attacks.map((a: { attack: string; verdict: string; reason: string | null }) => [a.attack, a.verdict, a.reason]);
    // drop waits seconds for its grace and retries: it was running beside reuse, so it ended interrupted, not before it started.
    assert.deepEqual(attacks, [
      ['reuse', 'error', 'interrupted'],
      ['drop', 'error', 'interrupted'],
    ]);
    assertClean(ended);
  } finally {
    await server.close();
  }
});

test('SIGTERM while the expiry attack waits for the ttl: exit 143 within 2 s, the attack "interrupted", teardown run', { timeout: 60_000 }, async () => {
  const server = await ordersServer();
  try {
    const out = await reports();
    const file = await writeScenario(
      scenario(`idempotency: { ttl: 1h }
effects:
  count:
    request: { path: "/orders?ref={{ run.id }}" }
    select: $.count
attacks:
  expiry: {}
`),
    );
    const run = startCli(['run', file, '--target', server.url, ...out.flags]);
    // Keys A and B each sent their original; the attack now waits about an hour.
    await until(run, server, 'the first original', (r) => r.method === 'POST' && r.path === '/orders');
    await until(run, server, 'the second original', (r) => r.method === 'POST' && r.path === '/orders' && server.requests.filter((x) => x.path === '/orders').length >= 2);
    await new Promise((r) => setTimeout(r, 300));
    const signalled = run.signal('SIGTERM');
    const ended = await run.ended;
    assert.equal(ended.code, 143, show(ended));
    assert.ok(ended.endedAt - signalled < WITHIN_MS, `exited ${ended.endedAt - signalled} ms after the signal`);
    assert.ok(server.requests.some((r) => r.path === '/logout' && r.at >= signalled), 'teardown ran');
    await waitFor(() => server.open() === 0, 2000, () => `every connection closed (${server.open()} open)`);
    const report = JSON.parse(await readFile(out.json, 'utf8'));
    assert.equal(report.interrupted, true);
    const [expiry] = report.scenarios[0].attacks;
    assert.equal(expiry.verdict, 'error');
    assert.equal(expiry.reason, 'interrupted');
    assert.match(ended.stdout, /^interrupted \(SIGTERM\): finishing reports…/m);
    assertClean(ended);
  } finally {
    await server.close();
  }
});

test('SIGINT while a command oracle runs: its whole process group is killed, exit 130 within 2 s', { timeout: 60_000 }, async () => {
  const server = await ordersServer();
  try {
    const out = await reports();
    const pidFile = path.join(await tempDir(), 'pgid');
    const file = await writeScenario(
      scenario(`effects:
  command: "echo $$ > ${pidFile}; test -n {{ run.id }}; sh -c 'sleep 100 & sleep 100'; echo 0"
  timeout: 1m
attacks:
  replay: {}
`),
    );
    const run = startCli(['run', file, '--target', server.url, ...out.flags]);
    let members: number[] = [];
    await waitFor(() => {
      const id = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
      members = id > 0 ? groupMembers(id) : [];
      return members.length >= 3;
    }, 20_000, () => `the oracle command's processes (${members.join(', ') || 'none'}); output so far:\n${run.output().stdout}`);
    const signalled = run.signal('SIGINT');
    const ended = await run.ended;
    assert.equal(ended.code, 130, show(ended));
    assert.ok(ended.endedAt - signalled < WITHIN_MS, `exited ${ended.endedAt - signalled} ms after the signal`);
    await waitFor(() => members.every((pid) => !alive(pid)), 2000, () => `the oracle's processes to be gone; alive: ${members.filter(alive).join(', ')}`);
    const report = JSON.parse(await readFile(out.json, 'utf8'));
    assert.equal(report.interrupted, true);
    assert.equal(report.scenarios[0].attacks[0].reason, 'interrupted');
    assert.ok(server.requests.some((r) => r.path === '/logout'), 'teardown ran');
    assertClean(ended);
  } finally {
    await server.close();
  }
});

test('a second signal exits at once, without waiting for a teardown that hangs', { timeout: 60_000 }, async () => {
  const server = await ordersServer({ hangOnChange: true, hangTeardown: true });
  try {
    const out = await reports();
    const file = await writeScenario(scenario('attacks:\n  reuse: {}\n'));
    const run = startCli(['run', file, '--target', server.url, ...out.flags]);
    await until(run, server, "reuse's changed payload", (r) => r.hung === true && r.path === '/orders');
    run.signal('SIGINT');
    await until(run, server, 'the teardown step', (r) => r.hung === true && r.path === '/logout');
    const again = run.signal('SIGINT');
    const ended = await run.ended;
    assert.equal(ended.code, 130, show(ended));
    assert.ok(ended.endedAt - again < 1500, `exited ${ended.endedAt - again} ms after the second signal`);
    assert.match(ended.stderr, /^idemchaos: SIGINT again: exiting at once, reports not finished$/m);
    assert.ok(!existsSync(out.json), 'no report: the run did not get that far');
    assertClean(ended);
  } finally {
    await server.close();
  }
});

test('after a signal, a teardown that hangs gets 5 s, then the reports are written and the run exits 143', { timeout: 60_000 }, async () => {
  const server = await ordersServer({ hangOnChange: true, hangTeardown: true });
  try {
    const out = await reports();
    const file = await writeScenario(scenario('attacks:\n  reuse: {}\n'));
    const run = startCli(['run', file, '--target', server.url, ...out.flags]);
    await until(run, server, "reuse's changed payload", (r) => r.hung === true && r.path === '/orders');
    const signalled = run.signal('SIGTERM');
    const ended = await run.ended;
    assert.equal(ended.code, 143, show(ended));
    const took = ended.endedAt - signalled;
    assert.ok(took >= 4500 && took < 9000, `exited ${took} ms after the signal, not after the 5 s teardown bound`);
    assert.match(`${ended.stdout}${ended.stderr}`, /warning: orders: teardown step 1 \(POST \/logout\): no response: interrupted/);
    const report = JSON.parse(await readFile(out.json, 'utf8'));
    assert.equal(report.interrupted, true);
    assert.equal(report.scenarios[0].attacks[0].reason, 'interrupted');
    await waitFor(() => server.open() === 0, 2000, () => `every connection closed (${server.open()} open)`);
    assertClean(ended);
  } finally {
    await server.close();
  }
});
