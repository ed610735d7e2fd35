// --workers: scenarios (and the attacks of each) at the same time, bursts
// never overlapping on one target, and reporters reading file order whatever
// the finishing order. Against the demo API behind a recording front on
// loopback, and the sequencer on its own.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startDemo } from '../../src/demo/server.js';
import { loadScenarios } from '../../src/run/load.js';
import { planScenario } from '../../src/plan/plan.js';
import { runPlans } from '../../src/run/pipeline.js';
import { Sequencer } from '../../src/run/sequencer.js';
import { burstLock } from '../../src/run/burst-lock.js';
import type { EventSink, RunEvent } from '../../src/model/events.js';
import type { Scenario } from '../../src/scenario/types.js';
import { cli } from '../helpers/harness.js';
import { close, listen, sleep } from '../helpers/net.js';
import { show } from '../helpers/cli.js';

const ORDERS = fileURLToPath(new URL('../../../scenarios/orders.yaml', import.meta.url));
const scope = { env: {}, vars: {}, secrets: {} };

interface Seen {
  copy: string;
  key: string;
  method: string;
  /** When the whole request was in (its body's end), and when its answer was written. */
  inAt: number;
  outAt: number;
}

/** A front that forwards to the demo and notes, per request, its copy header, key, arrival and answer. */
async function recordingFront(upstream: string): Promise<{ url: string; seen: Seen[]; close: () => Promise<void> }> {
  const seen: Seen[] = [];
  // Its pooled sockets to the demo are dropped after 2 s idle, well inside the
  // demo's 5 s keep-alive, so the front never reuses one as the demo closes it.
  const agent = new http.Agent({ keepAlive: true, timeout: 2_000 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const inAt = performance.now();
      const headers = { ...req.headers };
      delete headers.connection;
      const out = http.request(`${upstream}${req.url}`, { method: req.method, headers, agent }, (answer) => {
        // Hop-by-hop fields stay on their hop: forwarding the demo's
        // "Keep-Alive: timeout=5" would tell the client to keep connections
        // this front closes sooner, and a reuse as it closes one is a reset.
        const answered = { ...answer.headers };
        delete answered.connection;
        delete answered['keep-alive'];
        res.writeHead(answer.statusCode ?? 502, answered);
        answer.pipe(res);
        answer.on('end', () =>
          seen.push({ copy: String(req.headers['x-copy'] ?? ''), key: String(req.headers['idempotency-key'] ?? ''), method: req.method ?? '', inAt, outAt: performance.now() }),
        );
      });
      out.on('error', () => res.destroy());
      out.end(Buffer.concat(chunks));
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    close: async () => {
      agent.destroy();
      server.closeAllConnections();
      await close(server);
    },
  };
}

async function copies(target: string, n: number): Promise<Scenario[]> {
  const { scenarios } = await loadScenarios([ORDERS], { scope, targetOverride: target });
  const base = scenarios[0]!;
  return Array.from({ length: n }, (_, i) => ({
    ...base,
    name: `copy ${i + 1}`,
    pos: { ...base.pos, line: base.pos.line + i },
    request: { ...base.request, headers: { ...base.request.headers, 'X-Copy': String(i + 1) } },
  }));
}

function collect(): EventSink & { events: RunEvent[] } {
  const events: RunEvent[] = [];
  return { events, emit: async (e) => void events.push(e) };
}

/** The events reporters build their lists from, as (type, scenario, attack). */
function outline(events: RunEvent[]): string[] {
  return events.flatMap((e) => {
    if (e.type === 'scenario-begin' || e.type === 'scenario-end') return [`${e.type} ${e.scenario.name}`];
    if (e.type === 'attack-begin') return [`${e.type} ${e.scenario.name} ${e.attack}`];
    if (e.type === 'attack-end') return [`${e.type} ${e.scenario.name} ${e.result.attack}`];
    return [];
  });
}

describe('--workers against the demo', () => {
  test('four copies at once: they overlap, no two bursts do, verdicts all pass, events and results in file order', { timeout: 120_000 }, async () => {
    const demo = await startDemo({ latencyMs: 30, ttlMs: 2000 });
    const front = await recordingFront(demo.url);
    try {
      const scenarios = await copies(front.url, 4);
      const plans = scenarios.map((s) => planScenario(s, { only: ['replay', 'concurrent', 'expiry-burst'] }));
      const sink = collect();
      const result = await runPlans(plans, { scope, transport: { timeoutMs: 10_000 }, workers: 4 }, sink);

      assert.deepEqual(
        result.scenarios.map((s) => s.attacks.map((a) => `${s.name} ${a.attack} ${a.verdict}${a.reason ? `: ${a.reason}` : ''}${a.findings.map((f) => ` ${f.kind}: ${f.message}`).join('')}`)),
        [1, 2, 3, 4].map((i) => ['replay', 'concurrent', 'expiry-burst'].map((a) => `copy ${i} ${a} pass`)),
      );
      const expected = [1, 2, 3, 4].flatMap((i) => [
        `scenario-begin copy ${i}`,
        ...['replay', 'concurrent', 'expiry-burst'].flatMap((a) => [`attack-begin copy ${i} ${a}`, `attack-end copy ${i} ${a}`]),
        `scenario-end copy ${i}`,
      ]);
      assert.deepEqual(outline(sink.events), expected);
      assert.equal(sink.events[0]!.type, 'run-begin');
      assert.equal(sink.events.at(-1)!.type, 'run-end');
      assert.ok(sink.events.some((e) => e.type === 'running' && e.attacks.length > 1), 'running events tell what runs at once');

      // The copies ran at the same time: each one's first request came before every copy's last.
      const span = (copy: string) => {
        const mine = front.seen.filter((s) => s.copy === copy);
        return { from: Math.min(...mine.map((s) => s.inAt)), to: Math.max(...mine.map((s) => s.outAt)) };
      };
      const spans = ['1', '2', '3', '4'].map(span);
      assert.ok(Math.max(...spans.map((s) => s.from)) < Math.min(...spans.map((s) => s.to)), `copies did not overlap: ${JSON.stringify(spans)}`);

      // Bursts: keys sent ten times or more (3 concurrent bursts of 20 and one expiry burst of 10 per copy).
      const byKey = new Map<string, Seen[]>();
      for (const s of front.seen.filter((x) => x.method === 'POST' && x.key)) byKey.set(s.key, [...(byKey.get(s.key) ?? []), s]);
      // A key's requests fall into clusters (the expiry burst reuses a key seconds after its first use).
      const clusters = [...byKey.values()].flatMap((list) => {
        const out: Seen[][] = [];
        for (const s of [...list].sort((a, b) => a.inAt - b.inAt)) {
          const last = out.at(-1);
          if (last && s.inAt - last.at(-1)!.inAt < 300) last.push(s);
          else out.push([s]);
        }
        return out;
      });
      const bursts = clusters
        .filter((list) => list.length >= 10)
        .map((list) => ({ copy: list[0]!.copy, from: Math.min(...list.map((s) => s.inAt)), to: Math.max(...list.map((s) => s.outAt)) }))
        .sort((a, b) => a.from - b.from);
      assert.equal(bursts.length, 16, `bursts seen: ${bursts.length}`);
      for (let i = 1; i < bursts.length; i++) {
        const [a, b] = [bursts[i - 1]!, bursts[i]!];
        assert.ok(b.from >= a.to, `burst of copy ${b.copy} began ${(a.to - b.from).toFixed(2)} ms before the one of copy ${a.copy} ended`);
      }
      assert.ok(new Set(bursts.slice(0, 4).map((b) => b.copy)).size > 1, 'bursts of different copies took turns');
    } finally {
      await front.close();
      await demo.close();
    }
  });

  test('--workers 1 keeps the old order: one copy after the other, one attack after the other', { timeout: 120_000 }, async () => {
    const demo = await startDemo({ latencyMs: 10, ttlMs: 2000 });
    const front = await recordingFront(demo.url);
    try {
      const plans = (await copies(front.url, 2)).map((s) => planScenario(s, { only: ['replay', 'reuse'] }));
      const result = await runPlans(plans, { scope, transport: { timeoutMs: 10_000 }, workers: 1 }, collect());
      assert.deepEqual(result.scenarios.flatMap((s) => s.attacks.map((a) => a.verdict)), ['pass', 'pass', 'pass', 'pass']);
      const copiesInOrder = front.seen.map((s) => s.copy).filter((c) => c);
      const firstOf2 = copiesInOrder.indexOf('2');
      assert.ok(firstOf2 > 0 && copiesInOrder.slice(firstOf2).every((c) => c === '2'), `copies interleaved: ${copiesInOrder.join('')}`);
    } finally {
      await front.close();
      await demo.close();
    }
  });
});

describe('sequencer', () => {
  test('lanes emitting and closing out of order reach the sink in lane order; a throwing sink does not stop the rest', async () => {
    const got: string[] = [];
    let calls = 0;
    const sink: EventSink = {
      emit: async (e) => {
        calls += 1;
        if (calls === 2) throw new Error('reporter bug');
        if (e.type === 'warning') got.push(e.message);
      },
    };
    const seq = new Sequencer(sink);
    const [a, b, c] = [seq.lane(), seq.lane(), seq.lane()];
    const w = (m: string): RunEvent => ({ type: 'warning', message: m });
    await c.emit(w('c1'));
    await b.emit(w('b1'));
    await a.emit(w('a1'));
    c.close();
    await b.emit(w('b2'));
    await a.emit(w('a2'));
    a.close();
    await b.emit(w('b3'));
    b.close();
    await seq.direct.emit(w('after'));
    await seq.drained();
    // a2 went to the sink that threw once: the events after it still arrived, in order.
    assert.deepEqual(got, ['a1', 'b1', 'b2', 'b3', 'c1', 'after']);
  });

  test('running events come at once, before the lane they describe is shown', async () => {
    const got: RunEvent[] = [];
    const seq = new Sequencer({ emit: async (e) => void got.push(e) }, true);
    const [first, second] = [seq.lane(), seq.lane()];
    const ref = { name: 's', file: 'f.yaml', line: 1 };
    await second.emit({ type: 'attack-begin', scenario: ref, attack: 'expiry' });
    await seq.drained();
    assert.deepEqual(got.map((e) => e.type), ['running']);
    assert.deepEqual(got[0]!.type === 'running' && got[0]!.attacks.map((x) => x.attack), ['expiry']);
    first.close();
    await seq.drained();
    assert.deepEqual(got.map((e) => e.type), ['running', 'attack-begin']);
  });
});

describe('burst lock', () => {
  test('two bursts on one origin take turns, in the order they asked; on another origin they run at once', async () => {
    const lock = burstLock();
    const log: string[] = [];
    const burst = (name: string, urls: string[], ms: number) =>
      lock(urls, async () => {
        log.push(`${name}+`);
        await sleep(ms);
        log.push(`${name}-`);
      });
    await Promise.all([
      burst('a', ['http://127.0.0.1:1/x'], 60),
      burst('b', ['http://127.0.0.1:1/y', 'http://127.0.0.1:2/y'], 10),
      burst('c', ['http://127.0.0.1:3/z'], 10),
      burst('d', ['http://127.0.0.1:2/w'], 10),
    ]);
    // a holds :1; b waits for a (and holds :2 after it); c is alone on :3; d waits for b on :2.
    assert.ok(log.indexOf('b+') > log.indexOf('a-'), log.join(' '));
    assert.ok(log.indexOf('c+') < log.indexOf('a-'), log.join(' '));
    assert.ok(log.indexOf('d+') > log.indexOf('b-'), log.join(' '));
  });
});

describe('the --workers flag', () => {
  test('0, 65 and a word are usage errors naming the flag; nothing is sent', { timeout: 60_000 }, async () => {
    for (const value of ['0', '65', 'many']) {
      const r = await cli(['run', ORDERS, '--target', 'http://127.0.0.1:9', '--workers', value], { timeoutMs: 30_000 });
      assert.equal(r.code, 2, show(r));
      assert.match(r.stderr, /--workers expects/, show(r));
      assert.doesNotMatch(r.stderr, /\n\s+at /, show(r));
    }
    const help = await cli(['run', '--help'], { timeoutMs: 30_000 });
    assert.match(help.stdout, /--workers <n>/);
  });
});
