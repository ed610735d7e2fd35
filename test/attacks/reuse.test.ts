// The reuse attack against small servers on 127.0.0.1 that each get one thing
// right or wrong: a fingerprint that ignores one field, one that covers the
// whole body, and slow ones that (do not) guard a key while its original runs.
// What was sent is read off the server's side.
import assert from 'node:assert/strict';
import http from 'node:http';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { describeMetrics } from '../../src/attacks/index.js';
import type { AttackResult } from '../../src/model/results.js';
import { runScenarioFile, writeScenario } from '../helpers/harness.js';
import { close, listen } from '../helpers/net.js';

interface Options {
  /** Fields the fingerprint leaves out. */
  ignore?: string[];
  /** How long the work takes. */
  latencyMs?: number;
  /** How long the first POST's work takes instead (a cold server). */
  firstLatencyMs?: number;
  /**
   * What guards a key while its first request runs: 'reserve' (claimed at
   * once; another payload is 422, the same one 409), 'reserve-409' (claimed;
   * any request meanwhile 409), 'none' (check-then-act: claimed only once the
   * work is done, so anything sent meanwhile is processed too).
   */
  guard?: 'reserve' | 'reserve-409' | 'none';
}

/** One POST as the server saw it. */
interface Seen {
  key: string;
  body: Record<string, unknown>;
  arrivedAt: number;
  answeredAt?: number;
  status?: number;
}

interface Server {
  url: string;
  posts: Seen[];
  close(): Promise<void>;
}

async function ordersApi(o: Options = {}): Promise<Server> {
  const posts: Seen[] = [];
  const orders: { id: string; ref: string }[] = [];
  const keys = new Map<string, { fingerprint: string; response?: string }>();
  const fingerprint = (body: Record<string, unknown>) =>
    JSON.stringify(Object.entries(body).filter(([k]) => !(o.ignore ?? []).includes(k)).sort(([a], [b]) => a.localeCompare(b)));
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      void (async () => {
        const url = new URL(req.url ?? '/', 'http://x');
        const answer = (status: number, value: unknown, seen?: Seen) => {
          if (seen) Object.assign(seen, { status, answeredAt: performance.now() });
          res.writeHead(status, { 'content-type': 'application/json' }).end(typeof value === 'string' ? value : JSON.stringify(value));
        };
        if (req.method === 'GET' && url.pathname === '/orders') {
          const items = orders.filter((x) => x.ref === url.searchParams.get('ref'));
          return answer(200, { count: items.length, items });
        }
        const body = JSON.parse(text) as Record<string, unknown>;
        const seen: Seen = { key: String(req.headers['idempotency-key']), body, arrivedAt: performance.now() };
        posts.push(seen);
        const print = fingerprint(body);
        const known = keys.get(seen.key);
        if (known && !known.response && o.guard === 'reserve-409') return answer(409, { error: 'in flight' }, seen);
        if (known && known.fingerprint !== print) return answer(422, { error: 'another payload' }, seen);
        if (known) return known.response ? answer(201, known.response, seen) : answer(409, { error: 'in flight' }, seen);
        if (o.guard !== 'none') keys.set(seen.key, { fingerprint: print });
        await sleep(posts.length === 1 && o.firstLatencyMs !== undefined ? o.firstLatencyMs : (o.latencyMs ?? 0));
        const order = { id: `ord_${orders.length + 1}`, ref: String(body['ref']) };
        orders.push(order);
        const response = JSON.stringify(order);
        if (!keys.get(seen.key)?.response) keys.set(seen.key, { fingerprint: print, response });
        answer(201, response, seen);
      })();
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, posts, close: () => close(server) };
}

/** Three fields reuse can change (a string, a number, a boolean) and one it must not (a template). */
const SCENARIO = `name: reuse fields
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: /orders
  json: { sku: widget-1, qty: 2, gift: false, ref: "{{ run.id }}" }
idempotency:
  header: Idempotency-Key
effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}" }
    select: $.count
  id: $.id
  ids: $.items[*].id
expect:
  success: [201]
  inFlight: [409]
  mismatch: [422]
attacks:
  reuse: {}
`;

async function reuseAgainst(o: Options): Promise<{ result: AttackResult; posts: Seen[] }> {
  const server = await ordersApi(o);
  try {
    const run = await runScenarioFile(await writeScenario(SCENARIO), server.url, { only: ['reuse'] });
    return { result: run.scenarios[0]!.attacks[0]!, posts: server.posts };
  } finally {
    await server.close();
  }
}

const metrics = (r: AttackResult) => r.metrics as Record<string, unknown> & { inFlight?: Record<string, unknown> };
const summary = (r: AttackResult) => `${r.verdict}${r.reason ? ` (${r.reason})` : ''}: ${r.findings.map((f) => `${f.kind}: ${f.message}`).join('; ')}`;

/** The POSTs grouped by key, in the order the keys first came. */
function byKey(posts: Seen[]): Seen[][] {
  const groups = new Map<string, Seen[]>();
  for (const p of posts) groups.set(p.key, [...(groups.get(p.key) ?? []), p]);
  return [...groups.values()];
}

/** The fields whose values differ between two bodies. */
function differing(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
}

test('a fingerprint that ignores one field of three: mismatch-accepted names that field, and only it', async () => {
  const { result } = await reuseAgainst({ ignore: ['qty'] });
  assert.equal(result.verdict, 'fail', summary(result));
  assert.deepEqual(result.findings.map((f) => f.kind), ['mismatch-accepted'], summary(result));
  const message = result.findings[0]!.message;
  assert.match(message, /the key's fingerprint ignores qty$/);
  assert.doesNotMatch(message, /sku|gift/);
  assert.deepEqual(metrics(result)['fields'], ['sku', 'qty', 'gift']);
  assert.deepEqual(metrics(result)['ignored'], ['qty']);
  assert.equal(metrics(result)['effects'], 1, 'replayed, not processed: one effect per key');
  assert.deepEqual(result.findings[0]!.evidence.exchanges.map((e) => e.label), ['qty: original', 'qty: same key, changed payload']);
});

test('a fingerprint of the whole body: pass, each field changed under its own key and run id', async () => {
  const { result, posts } = await reuseAgainst({});
  assert.equal(result.verdict, 'pass', summary(result));
  const keys = byKey(posts);
  // Quick work (no latency): the in-flight step runs only if every original was slow all the same.
  const inFlight = metrics(result).inFlight !== undefined;
  assert.equal(keys.length, inFlight ? 4 : 3, `keys: ${JSON.stringify(keys.map((k) => k.map((p) => p.body)))}`);
  const variants = keys.slice(0, 3);
  for (const pair of variants) {
    assert.equal(pair.length, 2, 'an original and the changed payload per key');
    assert.equal(pair[0]!.body['ref'], pair[1]!.body['ref'], 'one run id within a key (the template field is never changed)');
    assert.deepEqual([pair[0]!.status, pair[1]!.status], [201, 422]);
  }
  assert.deepEqual(variants.map((pair) => differing(pair[0]!.body, pair[1]!.body)), [['sku'], ['qty'], ['gift']], 'one field changed per key, each field once');
  assert.deepEqual(variants.map((pair) => pair[1]!.body), [
    { sku: 'widget-1-changed', qty: 2, gift: false, ref: variants[0]![0]!.body['ref'] },
    { sku: 'widget-1', qty: 3, gift: false, ref: variants[1]![0]!.body['ref'] },
    { sku: 'widget-1', qty: 2, gift: true, ref: variants[2]![0]!.body['ref'] },
  ]);
  assert.equal(new Set(keys.map((k) => k[0]!.body['ref'])).size, keys.length, 'a fresh run id per key');
  assert.deepEqual(metrics(result)['ignored'], []);
  assert.deepEqual((metrics(result)['variants'] as { status: number }[]).map((v) => v.status), [422, 422, 422]);
});

const SLOW_MS = 800;

test('a slow check-then-act server: the changed payload sent while its key\'s original runs is processed (mismatch-accepted, duplicate-effect)', async () => {
  const { result, posts } = await reuseAgainst({ latencyMs: SLOW_MS, guard: 'none' });
  assert.deepEqual(result.findings.map((f) => f.kind).sort(), ['duplicate-effect', 'mismatch-accepted'], summary(result));
  const accepted = result.findings.find((f) => f.kind === 'mismatch-accepted')!;
  assert.match(accepted.message, /^in flight: same key, changed payload, sent while the original runs was answered 201 and processed while the original with its key was still in flight/);
  assert.match(result.findings.find((f) => f.kind === 'duplicate-effect')!.message, /^the in-flight key made 2 side effects/);
  assert.deepEqual(metrics(result)['ignored'], [], 'after the original was answered, every changed field was refused');
  const inFlight = metrics(result).inFlight!;
  assert.equal(inFlight['status'], 201);
  assert.equal(inFlight['effects'], 2);
  assert.equal(inFlight['overlapped'], true);

  // On the server's side: a fourth key, its changed payload (every field changed) arriving before its original was answered.
  const keys = byKey(posts);
  assert.equal(keys.length, 4);
  const [original, changed] = keys[3]!;
  assert.deepEqual(differing(original!.body, changed!.body), ['sku', 'qty', 'gift']);
  assert.ok(changed!.arrivedAt < original!.answeredAt!, 'the changed payload arrived while the original was still running');
  assert.ok(changed!.arrivedAt - original!.arrivedAt >= SLOW_MS / 4, `sent about halfway (${Math.round(changed!.arrivedAt - original!.arrivedAt)} ms after the original)`);
});

test('a slow server that claims the key at once and answers 409 while it runs: pass', async () => {
  const { result, posts } = await reuseAgainst({ latencyMs: SLOW_MS, guard: 'reserve-409' });
  assert.equal(result.verdict, 'pass', summary(result));
  const inFlight = metrics(result).inFlight;
  assert.ok(inFlight, 'every original took ≥ 50 ms: the in-flight step ran');
  assert.equal(inFlight['status'], 409);
  assert.equal(inFlight['originalStatus'], 201);
  assert.equal(inFlight['effects'], 1);
  const [original, changed] = byKey(posts)[3]!;
  assert.equal(changed!.status, 409);
  assert.ok(changed!.arrivedAt < original!.answeredAt!, 'it was in flight when the changed payload came');
});

test('only the first request slow (a cold server): no in-flight step, which would aim past the end of the quick ones', async () => {
  // A fingerprint blind to the body replays the original to any payload once answered: aimed at half the
  // cold request's time, the changed payload would find a quick original long answered, and be replayed.
  const { result, posts } = await reuseAgainst({ firstLatencyMs: SLOW_MS, ignore: ['sku', 'qty', 'gift'] });
  assert.deepEqual(result.findings.map((f) => f.kind), ['mismatch-accepted'], summary(result));
  assert.match(result.findings[0]!.message, /^the same key with a changed payload was answered 201 with the first request's response: the key's fingerprint ignores sku, qty and gift$/);
  assert.ok((metrics(result)['firstMs'] as number) >= SLOW_MS, `the first original took ${String(metrics(result)['firstMs'])} ms`);
  assert.ok((metrics(result)['fastestMs'] as number) < 50, `the fastest took ${String(metrics(result)['fastestMs'])} ms`);
  assert.equal(metrics(result).inFlight, undefined);
  assert.equal(byKey(posts).length, 3, 'one key per field, no in-flight key');
  assert.match(describeMetrics(result) ?? '', /no in-flight step: the fastest original took \d+ ms \(under 50\)/);
});

test('a slow server that claims the key at once and answers 422 to another payload while it runs: pass', async () => {
  const { result } = await reuseAgainst({ latencyMs: SLOW_MS, guard: 'reserve' });
  assert.equal(result.verdict, 'pass', summary(result));
  assert.equal(metrics(result).inFlight?.['status'], 422);
});

test('reuse.change given: one run with the merged change, and the in-flight step sends that change too', async () => {
  const server = await ordersApi({ latencyMs: SLOW_MS, ignore: ['qty'] });
  try {
    const file = await writeScenario(SCENARIO.replace('  reuse: {}', '  reuse: { change: { qty: 7 } }'));
    const run = await runScenarioFile(file, server.url, { only: ['reuse'] });
    const result = run.scenarios[0]!.attacks[0]!;
    assert.deepEqual(result.findings.map((f) => f.kind), ['mismatch-accepted'], summary(result));
    assert.equal(result.findings[0]!.message, "the same key with a changed payload was answered 201 with the first request's response: the key's fingerprint ignores the change");
    assert.deepEqual(metrics(result)['fields'], ['qty']);
    const keys = byKey(server.posts);
    assert.equal(keys.length, 2, 'one run, then the in-flight one');
    for (const [original, changed] of keys) assert.deepEqual(differing(original!.body, changed!.body), ['qty']);
    assert.equal(keys[1]![1]!.body['qty'], 7);
    // The fingerprint ignores qty: in flight the change looks like the original, 409.
    assert.equal(metrics(result).inFlight?.['status'], 409);
  } finally {
    await server.close();
  }
});

test('the summary line: a missed in-flight window, and a report from before fastestMs', () => {
  const line = (metrics: Record<string, unknown>) => describeMetrics({ attack: 'reuse', verdict: 'pass', metrics });
  const base = { fields: ['sku'], variants: [{ fields: ['sku'], status: 422 }], firstMs: 30 };
  assert.equal(line({ ...base, fastestMs: 12 }), 'changed sku: 422; no in-flight step: the fastest original took 12 ms (under 50)');
  assert.equal(line(base), 'changed sku: 422; no in-flight step: the first original took 30 ms (under 50)');
  const missed = { sentAfterMs: 40, originalStatus: 201, status: 201, overlapped: false };
  assert.equal(line({ ...base, fastestMs: 80, inFlight: missed }), 'changed sku: 422; in flight: 201, sent 40 ms after its original, whose answer had already begun (status not judged)');
  assert.equal(line({ ...base, fastestMs: 80, inFlight: { ...missed, status: 409, overlapped: true } }), 'changed sku: 422; in flight: 409, sent 40 ms after its original');
});
