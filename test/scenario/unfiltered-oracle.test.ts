// Why an oracle that does not filter by {{ run.id }} is refused: against a
// small real API whose listing is paginated (as real listings are) and which
// already holds orders (as a staging database does), such an oracle turns the
// oracle's design into findings, and hides the race it was meant to catch.
import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import express, { type Request, type Response } from 'express';
import { runPlans, SILENT } from '../../src/run/pipeline.js';
import { planScenario } from '../../src/plan/plan.js';
import { loadScenarios } from '../../src/run/load.js';
import type { AttackId } from '../../src/attacks/index.js';
import type { Scenario, TemplateScope } from '../../src/scenario/types.js';
import type { RunResult } from '../../src/model/results.js';
import { brief, loadError, TempDir } from './helpers.js';
import { verdicts } from '../helpers/harness.js';

interface OrdersApi {
  url: string;
  created(): number;
  close(): Promise<void>;
}

const PAGE = 20;
const SEEDED = 25;

/**
 * POST /orders keyed by Idempotency-Key (replays, 409 in flight, 422 on
 * another payload, keys kept `ttlMs`); GET /orders lists the first page of 20,
 * oldest first, with the total, filtered by `?ref=` when given. `race`: the
 * key is looked up, then reserved only after a pause (check-then-act), so
 * concurrent duplicates each create an order, all answered with the first one.
 */
async function ordersApi(opts: { race?: boolean; ttlMs?: number } = {}): Promise<OrdersApi> {
  const ttlMs = opts.ttlMs ?? 60_000;
  const orders: { id: string; ref: unknown; sku: unknown }[] = [];
  for (let i = 1; i <= SEEDED; i++) orders.push({ id: `old-${i}`, ref: `earlier-${i}`, sku: 'w' });
  let next = 1;
  type KeyRecord = { payload: string; at: number; reply?: { status: number; body: string } };
  const keys = new Map<string, KeyRecord>();
  const firstReply = new Map<string, string>();
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  const app = express();
  app.use(express.json());
  app.post('/orders', async (req: Request, res: Response) => {
    const key = req.get('idempotency-key') ?? '';
    const payload = JSON.stringify(req.body);
    const live = (r: KeyRecord | undefined) => (r && (!r.reply || Date.now() - r.at <= ttlMs) ? r : undefined);
    let record = live(keys.get(key));
    if (opts.race && !record) {
      await sleep(15); // the gap between lookup and reservation
      record = undefined;
    }
    if (record) {
      if (record.payload !== payload) return res.status(422).json({ error: 'key reused with another payload' });
      if (!record.reply) return res.status(409).json({ error: 'in flight' });
      return res.status(record.reply.status).type('application/json').send(record.reply.body);
    }
    const mine: KeyRecord = { payload, at: Date.now() };
    keys.set(key, mine);
    await sleep(20);
    const order = { id: `ord-${next++}`, ref: (req.body as { ref?: unknown }).ref, sku: (req.body as { sku?: unknown }).sku };
    orders.push(order);
    // Every duplicate of a race is answered like the first: responses alike, the database not.
    const body = (opts.race ? firstReply.get(key) : undefined) ?? JSON.stringify(order);
    firstReply.set(key, body);
    mine.reply = { status: 201, body };
    mine.at = Date.now();
    res.status(201).type('application/json').send(mine.reply.body);
  });
  app.get('/orders', (req: Request, res: Response) => {
    const ref = typeof req.query['ref'] === 'string' ? req.query['ref'] : undefined;
    const items = ref === undefined ? orders : orders.filter((o) => o.ref === ref);
    res.json({ total: items.length, items: items.slice(0, PAGE) });
  });
  const server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    created: () => orders.length - SEEDED,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

const SCOPE: TemplateScope = { env: {}, vars: {}, secrets: {} };

const FILTERED = `name: paginated orders
target: http://placeholder.invalid
request:
  path: /orders
  json: { sku: w, ref: "{{ run.id }}" }
idempotency: { ttl: 1s }
effects:
  count:
    request: { path: "/orders?ref={{ run.id }}" }
    select: $.items
  id: $.id
  ids: $.items[*].id
  settle: 100ms
attacks:
  replay: {}
  concurrent: { requests: 8, engine: h1, bursts: 1 }
  expiry: { margin: 200ms }
`;

let tmp: TempDir;
let filtered: string;
before(async () => {
  tmp = await TempDir.create();
  filtered = await tmp.file('filtered.yaml', FILTERED);
});
after(async () => {
  await tmp.remove();
});

async function run(scenario: Scenario, target: string, only: AttackId[]): Promise<RunResult> {
  const plans = [planScenario({ ...scenario, target }, { only })];
  return runPlans(plans, { scope: SCOPE, transport: { timeoutMs: 10_000 } }, SILENT);
}

/** The filtered scenario as loaded, with its oracle's request and select replaced: what the loader no longer accepts. */
async function unfiltered(select: string, ids: string | undefined): Promise<Scenario> {
  const [s] = (await loadScenarios([filtered], { scope: SCOPE })).scenarios;
  const count = s!.effects!.count!;
  assert.ok(count.kind === 'request');
  const effects = { ...s!.effects!, count: { ...count, request: { ...count.request, path: '/orders' }, select } };
  if (ids === undefined) delete effects.ids;
  else effects.ids = ids;
  return { ...s!, effects };
}

describe('an oracle that does not filter by run.id, judged by after − before (why it is refused)', () => {
  it('a listing counted by its length stops at the page size: lost-effect on a correct API, and the race unseen', async () => {
    const scenario = await unfiltered('$.items', '$.items[*].id');
    const correct = await ordersApi();
    const racy = await ordersApi({ race: true });
    try {
      assert.deepEqual(verdicts(await run(scenario, correct.url, ['replay'])), { replay: ['lost-effect'] });
      assert.equal(correct.created(), 1, 'the correct API did create exactly one order');
      assert.deepEqual(verdicts(await run(scenario, racy.url, ['concurrent'])), { concurrent: ['lost-effect'] });
      assert.ok(racy.created() > 1, `the racy API created ${racy.created()} orders for one key, and no duplicate-effect was reported`);
    } finally {
      await Promise.all([correct.close(), racy.close()]);
    }
  });

  it('a total counts right, and a first page that misses the new id is read as a page, not as a lost effect', async () => {
    // The judge checks a success's id only against a listing as long as the count:
    // a page of a longer list is no evidence (this used to report lost-effect).
    const correct = await ordersApi();
    try {
      const result = await run(await unfiltered('$.total', '$.items[*].id'), correct.url, ['replay']);
      assert.deepEqual(verdicts(result), { replay: 'pass' });
    } finally {
      await correct.close();
    }
  });

  it('even a total without ids: the expiry attack\'s two keys count each other\'s orders', async () => {
    const correct = await ordersApi({ ttlMs: 1000 });
    try {
      const result = await run(await unfiltered('$.total', undefined), correct.url, ['expiry']);
      const kinds = verdicts(result)['expiry'];
      assert.ok(Array.isArray(kinds) && kinds.includes('early-expiry'), `expiry: ${JSON.stringify(result.scenarios[0]!.attacks[0])}`);
    } finally {
      await correct.close();
    }
  });
});

describe('the loader refuses such an oracle, and the filtered one judges both APIs right', () => {
  const reason =
    'the oracle does not filter by {{ run.id }}, so it counts more than this attack run: a paginated or capped listing stops growing ' +
    "(lost-effect on every attack, duplicates unseen) and other traffic, the expiry attack's parallel second key included, adds effects; " +
    'filter it by {{ run.id }} (or {{ key }})';

  it('an unfiltered count request is an error at effects.count, with the reason', async () => {
    const file = await tmp.file('unfiltered.yaml', FILTERED.replace('"/orders?ref={{ run.id }}"', '/orders'));
    const error = await loadError([file]);
    assert.deepEqual(brief(error.messages), [
      `unfiltered.yaml:8:3-8 ${reason}, e.g. path: "/orders?ref={{ run.id }}" with ref: "{{ run.id }}" in request.json`,
    ]);
  });

  it('an unfiltered command too; one filtering by {{ key }} loads', async () => {
    const command = await tmp.file(
      'command.yaml',
      'name: c\ntarget: http://x\nrequest: { path: /p, json: { ref: "{{ run.id }}" } }\neffects: { command: "psql -tAc \'select count(*) from orders\'" }\n',
    );
    assert.deepEqual(brief((await loadError([command])).messages), [
      `command.yaml:4:12-19 ${reason}, e.g. where ref='{{ run.id }}' with ref: "{{ run.id }}" in request.json`,
    ]);
    const byKey = await tmp.file(
      'key.yaml',
      'name: k\ntarget: http://x\nrequest: { path: /p, json: { sku: w } }\neffects:\n  count: { request: { path: "/orders?idempotency_key={{ key }}" }, select: $.total }\n',
    );
    const { scenarios, warnings } = await loadScenarios([byKey], { scope: SCOPE });
    assert.equal(scenarios.length, 1);
    assert.deepEqual(warnings, []);
  });

  it('filtered by run.id: the correct API passes, the racy one shows its duplicates', async () => {
    const [scenario] = (await loadScenarios([filtered], { scope: SCOPE })).scenarios;
    const correct = await ordersApi({ ttlMs: 1000 });
    const racy = await ordersApi({ race: true });
    try {
      assert.deepEqual(verdicts(await run(scenario!, correct.url, ['replay', 'concurrent', 'expiry'])), {
        replay: 'pass',
        concurrent: 'pass',
        expiry: 'pass',
      });
      assert.deepEqual(verdicts(await run(scenario!, racy.url, ['concurrent'])), { concurrent: ['duplicate-effect'] });
    } finally {
      await Promise.all([correct.close(), racy.close()]);
    }
  });
});
