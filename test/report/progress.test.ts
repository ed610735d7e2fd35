// Progress people can follow: a line when each attack starts, and during a
// long wait what it waits for and until when, piped or on a terminal.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { remaining, TerminalReporter } from '../../src/report/terminal.js';
import { ReporterMultiplexer } from '../../src/report/events.js';
import { Redactor } from '../../src/secrets/redactor.js';
import type { RunEvent } from '../../src/model/events.js';
import type { AttackResult } from '../../src/model/results.js';
import { waitFor } from '../helpers/net.js';

const REF = { name: 'orders', file: 'o.yaml', line: 1 };

/** `writes`: each write with when it came (performance.now()). */
function reporter(live: boolean, waitLineEveryMs?: number): { out: () => string; writes: { at: number; text: string }[]; emit: (e: RunEvent) => Promise<void> } {
  let text = '';
  const writes: { at: number; text: string }[] = [];
  const terminal = new TerminalReporter({
    out: { write: (s: string) => (writes.push({ at: performance.now(), text: s }), (text += s), true) } as unknown as NodeJS.WritableStream,
    color: false,
    live,
    ...(waitLineEveryMs !== undefined ? { waitLineEveryMs } : {}),
  });
  const mux = new ReporterMultiplexer([terminal], (name, err) => assert.fail(`${name} failed: ${String(err)}`), { redact: new Redactor(['hunter2222']) });
  return { out: () => text, writes, emit: (e) => mux.emit(e) };
}

const passed: AttackResult = { attack: 'expiry', verdict: 'pass', responseOnly: false, durationMs: 900, metrics: {}, findings: [] };

test('piped: a line when the attack starts; a long wait is reported at once and every interval, in UTC with the time left, until the attack ends', async () => {
  const t = reporter(false, 200);
  await t.emit({ type: 'attack-begin', scenario: REF, attack: 'expiry' });
  assert.equal(t.out(), '  … expiry started\n');
  // The wait outlasts the test by far, so a slow machine only makes the ticks come later.
  const until = Date.now() + 9000;
  const waitLines = () => t.out().split('\n').filter((l) => l.startsWith('  … expiry: waiting for'));
  await t.emit({ type: 'attack-wait', scenario: REF, attack: 'expiry', what: 'the retry of key B (hunter2222)', until });
  await t.emit({ type: 'attack-wait', scenario: REF, attack: 'expiry', what: 'a short one', until: Date.now() + 50 });
  const waitedAt = performance.now();
  await waitFor(() => waitLines().length >= 3, 6000, () => `a line at once and at 200 ms ticks:\n${t.out()}`);
  await t.emit({ type: 'attack-end', scenario: REF, result: passed });
  // The interval itself: ticks never closer than 200 ms, and the second one well inside the old 30 s default.
  const stamps = t.writes.filter((w) => w.text.startsWith('  … expiry: waiting for')).map((w) => w.at);
  for (let i = 2; i < stamps.length; i++) assert.ok(stamps[i]! - stamps[i - 1]! >= 190, `ticks ${Math.round(stamps[i]! - stamps[i - 1]!)} ms apart`);
  assert.ok(stamps[2]! - waitedAt < 3000, `the second tick came ${Math.round(stamps[2]! - waitedAt)} ms after the wait began`);
  const lines = t.out().split('\n');
  const utc = new Date(until).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const waits = waitLines();
  for (const line of waits) assert.match(line, new RegExp(`^  … expiry: waiting for the retry of key B \\(\\*\\*\\*\\) until ${utc} UTC \\([3-9]s from now\\)$`));
  assert.ok(!t.out().includes('a short one'), 'a wait shorter than the interval is not worth a line');
  assert.ok(!t.out().includes('hunter2222'), 'redacted');
  const count = waits.length;
  await sleep(450);
  assert.equal(t.out().split('\n').filter((l) => l.startsWith('  … expiry: waiting for')).length, count, 'no wait lines after the attack ended');
  assert.match(lines[lines.length - 2]!, /^ {2}✔ pass {2}expiry/);
});

test('piped: every interval names the wait that ends first, and stops when none is left', async () => {
  const t = reporter(false, 150);
  await t.emit({ type: 'attack-begin', scenario: REF, attack: 'expiry' });
  // Ticks every 150 ms against waits of 1.2 and 2.4 s: room for late ticks on a busy machine.
  const bEnds = Date.now() + 2400;
  await t.emit({ type: 'attack-wait', scenario: REF, attack: 'expiry', what: 'key A', until: Date.now() + 1200 });
  await t.emit({ type: 'attack-wait', scenario: REF, attack: 'expiry', what: 'key B', until: bEnds });
  await waitFor(() => Date.now() > bEnds + 300, 8000, 'key B to end');
  const waits = t.out().split('\n').filter((l) => l.includes('waiting for'));
  assert.deepEqual(waits.slice(0, 2).map((l) => /waiting for (key \w)/.exec(l)?.[1]), ['key A', 'key B'], 'each said once when it began');
  const ticks = waits.slice(2).map((l) => /waiting for (key \w)/.exec(l)?.[1]);
  assert.ok(ticks.length >= 3, t.out());
  assert.equal(ticks[0], 'key A');
  assert.equal(ticks[ticks.length - 1], 'key B');
  assert.deepEqual([...ticks].sort(), ticks, 'A while it lasts, then B');
  const after = t.out();
  await sleep(400);
  assert.equal(t.out(), after, 'nothing once every wait is over');
  await t.emit({ type: 'attack-end', scenario: REF, result: passed });
});

test('on a terminal the live line shows what the attack waits for and the time left', async () => {
  const t = reporter(true);
  const began = performance.now();
  await t.emit({ type: 'attack-begin', scenario: REF, attack: 'expiry' });
  await t.emit({ type: 'attack-wait', scenario: REF, attack: 'expiry', what: 'the retry of key B, after ttl + margin', until: Date.now() + 26 * 3600_000 + 5000 });
  await sleep(250);
  const frames = t.out().split('\r\x1b[2K');
  const last = frames[frames.length - 1]!;
  assert.match(last, /^ {2}… expiry {2}\d+\.\ds, 0 requests sent; waiting for the retry of key B, after ttl \+ margin: 26h 0[01]m left$/);
  // The time shown is the attack's own: never more than has passed since it began.
  const shown = Number(/^ {2}… expiry {2}(\d+\.\d)s/.exec(last)![1]);
  assert.ok(shown <= (performance.now() - began) / 1000 + 0.1, `${shown}s shown after ${Math.round(performance.now() - began)} ms`);
  assert.ok(!t.out().includes('started\n'), 'the live line says it; no extra line');
  await t.emit({ type: 'attack-end', scenario: REF, result: passed });
});

test('remaining: hours and minutes, minutes and seconds, seconds', () => {
  assert.equal(remaining(24 * 3600_000), '24h 00m');
  assert.equal(remaining(3 * 60_000 + 5_000), '3m 05s');
  assert.equal(remaining(12_300), '13s');
  assert.equal(remaining(-5), '0s');
});

test('--workers on a terminal: the live line names what else is running, cut to the width; piped output ignores it', async () => {
  let text = '';
  const terminal = new TerminalReporter({
    out: { write: (s: string) => ((text += s), true), columns: 80 } as unknown as NodeJS.WritableStream,
    color: false,
    live: true,
  });
  const other = { name: 'refunds', file: 'r.yaml', line: 1 };
  await terminal.onEvent({ type: 'scenario-begin', scenario: REF, target: 'http://api.test' });
  await terminal.onEvent({ type: 'attack-begin', scenario: REF, attack: 'replay' });
  await terminal.onEvent({
    type: 'running',
    attacks: [
      { scenario: REF, attack: 'replay', since: 0 },
      { scenario: other, attack: 'expiry', since: 0 },
      { scenario: other, attack: 'drop', since: 0 },
      { scenario: other, attack: 'tenant', since: 0 },
    ],
  });
  const lastDraw = text.split('\r\x1b[2K').at(-1)!;
  assert.match(lastDraw, /^ {2}… replay {2}\d\.\ds, 0 requests sent; also running: refunds › expiry, refunds › d/);
  assert.ok(!lastDraw.includes('orders › replay'), 'the attack shown is not "also" running');
  assert.ok(lastDraw.length <= 80, `one row of 80: ${lastDraw.length} characters`);
  assert.ok(lastDraw.endsWith('…'), 'cut, and says so');
  await terminal.onEvent({ type: 'attack-end', scenario: REF, result: { ...passed, attack: 'replay' } });

  const piped = reporter(false);
  await piped.emit({ type: 'running', attacks: [{ scenario: other, attack: 'expiry', since: 0 }] });
  assert.equal(piped.out(), '');
});
