// Issue 12, "the first hour with idemchaos": what a new user meets first,
// through the real executable against the demo API on loopback.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { cli as rawCli, ordersScenario, tempDir, writeScenario, type CliResult } from '../helpers/harness.js';
import { show, withDemo } from '../helpers/cli.js';
import { close, listen } from '../helpers/net.js';

const SLOW = 180_000;

function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return rawCli(args, { ...opts, env: { GITHUB_ACTIONS: 'false', ...opts.env }, timeoutMs: opts.timeoutMs ?? 120_000 });
}

const count = (text: string, re: RegExp) => (text.match(new RegExp(re.source, 'g')) ?? []).length;

test('run without an oracle says once that verdicts are response-only and what that misses; with one it says nothing', { timeout: SLOW }, async () => {
  await withDemo({ bug: 'correct' }, async (server) => {
    const blind = await writeScenario(ordersScenario({ effects: false, attacks: '  replay: {}' }));
    const r = await cli(['run', blind, '--target', server.url]);
    assert.equal(r.code, 0, show(r));
    assert.equal(count(r.stderr, /response-only/), 1, show(r));
    assert.match(r.stderr, /note: the scenario 'create order' \(.*scenario\.yaml:1\) declares no side-effect oracle \(effects\.count\), so its verdicts are response-only/);
    assert.match(r.stderr, /duplicates hidden behind identical responses/);

    // Two scenarios without an oracle and one with: one note naming the two.
    const doc = `scenarios:
  - name: blind one
    request: { path: /orders, json: { sku: a, ref: "{{ run.id }}" } }
    attacks: { replay: {} }
  - name: blind two
    request: { path: /orders, json: { sku: b, ref: "{{ run.id }}" } }
    attacks: { replay: {} }
  - name: counted
    request: { path: /orders, json: { sku: c, ref: "{{ run.id }}" } }
    effects: { count: { request: { method: GET, path: "/orders?ref={{ run.id }}" }, select: $.count } }
    attacks: { replay: {} }
`;
    const many = await writeScenario(doc);
    const m = await cli(['run', many, '--target', server.url]);
    assert.equal(m.code, 0, show(m));
    assert.equal(count(m.stderr, /response-only/), 1, show(m));
    assert.match(m.stderr, /scenarios 'blind one' \([^)]*\), 'blind two' \([^)]*\) declare no side-effect oracle/);
    assert.doesNotMatch(m.stderr, /counted/);

    const seen = await writeScenario(ordersScenario({ attacks: '  replay: {}' }));
    const s = await cli(['run', seen, '--target', server.url]);
    assert.equal(s.code, 0, show(s));
    assert.doesNotMatch(s.stderr, /response-only/, show(s));
  });
});

test('probe findings are located by the command line (redacted), in every report and the GitHub annotation title', { timeout: SLOW }, async () => {
  await withDemo({ bug: 'ignore-body' }, async (server) => {
    const dir = await tempDir();
    const files = { json: path.join(dir, 'r.json'), junit: path.join(dir, 'r.xml'), md: path.join(dir, 'r.md'), html: path.join(dir, 'r.html') };
    const summary = path.join(dir, 'summary.md');
    await writeFile(summary, '');
    const r = await cli(
      [
        'probe', `${server.url}/orders`, '-H', 'Authorization: Bearer literal-s3cr3t', '-H', 'X-Trace: hunter2222', '--secret', 'TRACE=hunter2222',
        '--json', '{"sku":"a","qty":1,"ref":"{{ run.id }}"}', '--count', '/orders?ref={{ run.id }}', '--count-select', '$.count', '--attack', 'reuse',
        '--report-json', files.json, '--report-junit', files.junit, '--report-markdown', files.md, '--report-html', files.html,
      ],
      { env: { GITHUB_ACTIONS: 'true', GITHUB_WORKSPACE: dir, GITHUB_STEP_SUMMARY: summary } },
    );
    assert.equal(r.code, 1, show(r));
    const command =
      `idemchaos probe ${server.url}/orders -H 'Authorization: ***' -H 'X-Trace: ***' --secret 'TRACE=***' ` +
      `--json '{"sku":"a","qty":1,"ref":"{{ run.id }}"}' --count '/orders?ref={{ run.id }}' --count-select '$.count' --attack reuse`;
    const texts = {
      stdout: r.stdout,
      stderr: r.stderr,
      json: await readFile(files.json, 'utf8'),
      junit: await readFile(files.junit, 'utf8'),
      md: await readFile(files.md, 'utf8'),
      html: await readFile(files.html, 'utf8'),
    };
    for (const [name, text] of Object.entries(texts)) {
      assert.doesNotMatch(text, /\(probe flags\)/, `${name} still says (probe flags)`);
      assert.ok(!text.includes('literal-s3cr3t') && !text.includes('hunter2222'), `${name} shows a secret`);
    }
    const report = JSON.parse(texts.json) as { scenarios: { file: string; line: number }[] };
    assert.equal(report.scenarios[0]!.line, 0);
    assert.ok(report.scenarios[0]!.file.startsWith(command), report.scenarios[0]!.file);
    assert.ok(texts.md.includes(`- where: \`${command}`), texts.md);
    assert.ok(texts.junit.includes(`at idemchaos probe ${server.url}/orders -H &apos;Authorization: ***&apos;`) || texts.junit.includes(`at idemchaos probe ${server.url}/orders -H 'Authorization: ***'`), texts.junit);
    const head = texts.stdout.split('\n').find((l) => l.startsWith('probe POST'));
    assert.ok(head?.includes(command) && head.endsWith(` → ${server.url}`), `the terminal names the command where a file would be: ${head}`);
    const errors = r.stdout.split('\n').filter((l) => l.startsWith('::error '));
    assert.equal(errors.length, 1, r.stdout);
    assert.ok(errors[0]!.startsWith(`::error title=idemchaos probe http%3A//127.0.0.1%3A${server.port}/orders -H 'Authorization%3A ***'`), errors[0]);
    assert.match(errors[0]!, / \/ reuse%3A mismatch-accepted \(major\)::mismatch-accepted: /);
    assert.doesNotMatch(errors[0]!, /file=/);
  });
});

test('--dry-run lists each attack run\'s oracle reads with that run\'s own run id; a command oracle is rendered, and the budget leaves it out', { timeout: SLOW }, async () => {
  await withDemo({ bug: 'correct' }, async (server) => {
    const file = await writeScenario(ordersScenario({ attacks: '  replay: {}\n  concurrent: { requests: 3, bursts: 2, warm: 1 }\n  drop: { at: [mid-body] }' }));
    const r = await cli(['run', file, '--target', server.url, '--dry-run']);
    assert.equal(r.code, 0, show(r));
    // Per attack: the run ids in its bodies are exactly those its oracle lines read.
    const blocks = r.stdout.split(/\n(?=  (?:replay|concurrent|drop): )/).slice(1);
    assert.equal(blocks.length, 3, r.stdout);
    for (const block of blocks) {
      const bodies = new Set([...block.matchAll(/"ref":"(ic-[\w-]+)"/g)].map((m) => m[1]));
      const reads = new Set([...block.matchAll(/^ {4}oracle: GET \S+\/orders\?ref=(ic-[\w-]+)/gm)].map((m) => m[1]));
      assert.ok(bodies.size > 0, block);
      assert.deepEqual([...reads].sort(), [...bodies].sort(), `oracle GETs per run:\n${block}`);
    }
    const everyId = new Set([...r.stdout.matchAll(/ic-[\w-]+/g)].map((m) => m[0]));
    const bodyIds = new Set([...r.stdout.matchAll(/"ref":"(ic-[\w-]+)"/g)].map((m) => m[1]));
    assert.deepEqual([...everyId].sort(), [...bodyIds].sort(), 'no run id that no attack uses');
    assert.match(r.stdout, /^ {4}oracle: GET \S+  1 request \(burst 1\/2: warm-up before the burst\)$/m);
    assert.match(r.stdout, /^ {4}oracle: GET \S+  \d+ requests at the least \(cut mid-body-first: before, after the cut and after the retry\)$/m);

    // A command oracle: rendered per run, never '{{ run.id }}', and no HTTP request in the budget.
    const count = `fetch(process.argv[1]).then((r) => r.json()).then((j) => console.log(j.count))`;
    const command = `${process.execPath} -e '${count}' '${server.url}/orders?ref='{{ run.id }}`;
    const cmd = await writeScenario(ordersScenario({ effects: `effects:\n  command: ${JSON.stringify(command)}\n  settle: 50ms\n`, attacks: '  replay: {}' }));
    const d = await cli(['run', cmd, '--target', server.url, '--dry-run']);
    assert.equal(d.code, 0, show(d));
    assert.doesNotMatch(d.stdout, /\{\{/, d.stdout);
    const ref = /"ref":"(ic-[\w-]+)"/.exec(d.stdout)?.[1];
    assert.ok(ref, d.stdout);
    assert.match(d.stdout, new RegExp(`^ {4}oracle: sh -c .*ref='${ref}  3 runs at the least \\(before and after the run\\)$`, 'm'));
    assert.match(d.stdout, /at least 2 requests in all \(and 3 oracle command runs, which send nothing over HTTP\)/);
    // The budget is what goes over HTTP: the original and the retry.
    const ok = await cli(['run', cmd, '--target', server.url, '--max-requests', '2']);
    assert.equal(ok.code, 0, show(ok));
    assert.match(ok.stdout, /1 attack in 1 scenario: 1 passed/);
  });
});

test('piped and in CI: a line when each attack starts, and during the expiry wait a line every interval saying what for and until when', { timeout: SLOW }, async () => {
  await withDemo({ bug: 'correct', ttlMs: 1500 }, async (server) => {
    const file = await writeScenario(ordersScenario({ ttl: '1500ms', attacks: '  replay: {}\n  expiry: { margin: 300ms }' }));
    const r = await cli(['run', file, '--target', server.url], { env: { IDEMCHAOS_PROGRESS_INTERVAL: '300ms' } });
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.split('\n');
    const started = (id: string) => lines.indexOf(`  … ${id} started`);
    const ended = (id: string) => lines.findIndex((l) => new RegExp(`^  ✔ pass  ${id}`).test(l));
    for (const id of ['replay', 'expiry']) assert.ok(started(id) >= 0 && started(id) < ended(id), `${id} starts before it ends:\n${r.stdout}`);
    const waits = lines.slice(started('expiry'), ended('expiry')).filter((l) => l.includes('waiting for'));
    assert.ok(waits.length >= 3, `the wait is said at once and then every 300 ms:\n${r.stdout}`);
    for (const line of waits) {
      assert.match(line, /^ {2}… expiry: waiting for the retry of key [AB], (just before the ttl|after ttl \+ margin) until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ UTC \(\d+s from now\)$/);
    }
    assert.ok(waits.some((l) => l.includes('key B')), r.stdout);

    const bad = await cli(['run', file, '--target', server.url], { env: { IDEMCHAOS_PROGRESS_INTERVAL: 'soon' } });
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /IDEMCHAOS_PROGRESS_INTERVAL/);
  });
});

/**
 * An orders API where every second fresh key is check-then-act: claimed only
 * once its 300 ms of work is done, so concurrent duplicates all run. The other
 * keys are claimed at once (409 while in flight, then the same response).
 * Which runs race is decided by the server, not by timing (a racing run needs
 * only two of its 20 duplicates within 300 ms).
 */
async function everySecondKeyRaces(): Promise<{ url: string; close(): Promise<void> }> {
  const WORK_MS = 300;
  const orders: { id: string; ref: string }[] = [];
  const keys = new Map<string, { racy: boolean; response?: string }>();
  let fresh = 0;
  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const answer = (status: number, body: string) => res.writeHead(status, { 'content-type': 'application/json' }).end(body);
      if (req.method === 'GET' && url.pathname === '/orders') {
        const items = orders.filter((o) => o.ref === url.searchParams.get('ref'));
        return answer(200, JSON.stringify({ count: items.length, items }));
      }
      const key = String(req.headers['idempotency-key']);
      let ref: string;
      try {
        ref = String((JSON.parse(text) as { ref?: unknown }).ref);
      } catch {
        return answer(400, '{"error":"not JSON"}');
      }
      const known = keys.get(key);
      if (known?.response) return answer(201, known.response);
      if (known && !known.racy) return answer(409, '{"error":"in flight"}');
      const entry = known ?? { racy: fresh++ % 2 === 1 };
      keys.set(key, entry);
      setTimeout(() => {
        const order = { id: `ord_${orders.length + 1}`, ref };
        orders.push(order);
        entry.response ??= JSON.stringify(order);
        answer(201, JSON.stringify(order));
      }, WORK_MS);
    });
  });
  const port = await listen(server);
  return { url: `http://127.0.0.1:${port}`, close: () => close(server) };
}

test('--repeat N runs each attack N times and reports the rate of a race a single run catches only sometimes', { timeout: SLOW }, async () => {
  const server = await everySecondKeyRaces();
  try {
    const dir = await tempDir();
    const files = { json: path.join(dir, 'r.json'), junit: path.join(dir, 'r.xml'), md: path.join(dir, 'r.md'), html: path.join(dir, 'r.html') };
    const effects = 'effects:\n  count:\n    request: { method: GET, path: "/orders?ref={{ run.id }}" }\n    select: $.count\n  settle: 50ms\n';
    const file = await writeScenario(ordersScenario({ effects, attacks: '  concurrent: { requests: 20, bursts: 1, engine: naive }' }));
    const runs = 20;

    const one = await cli(['run', file, '--target', server.url, '--dry-run']);
    const many = await cli(['run', file, '--target', server.url, '--dry-run', '--repeat', String(runs)]);
    const budget = (r: CliResult) => Number(/at least (\d+) requests/.exec(r.stdout)?.[1]);
    assert.equal(budget(many), runs * budget(one), show(many));
    assert.match(many.stdout, /concurrent: 20 runs \(--repeat\), each with fresh keys and run ids, as the one below: 20 side effects if correct, up to 400/);

    const r = await cli(['run', file, '--target', server.url, '--repeat', String(runs), '--report-json', files.json, '--report-junit', files.junit, '--report-markdown', files.md, '--report-html', files.html]);
    const report = JSON.parse(await readFile(files.json, 'utf8')) as {
      scenarios: { attacks: { verdict: string; findings: { kind: string; message: string }[]; repeats?: { verdict: string; findings: string[]; durationMs: number }[]; metrics: { requestsSent?: number } }[] }[];
    };
    const attack = report.scenarios[0]!.attacks[0]!;
    assert.equal(attack.repeats?.length, runs, JSON.stringify(attack));
    for (const run of attack.repeats!) {
      assert.ok(run.verdict === 'pass' || run.verdict === 'fail', JSON.stringify(run));
      assert.equal(run.verdict === 'fail', run.findings.includes('duplicate-effect'), JSON.stringify(run));
      assert.ok(run.durationMs > 0);
    }
    const caught = attack.repeats!.filter((x) => x.verdict === 'fail').length;
    assert.deepEqual(attack.repeats!.map((x) => x.verdict), Array.from({ length: runs }, (_, i) => (i % 2 === 1 ? 'fail' : 'pass')), 'each run its own fresh key: every second one races');
    assert.equal(caught, runs / 2);
    assert.equal(attack.verdict, 'fail', 'fail when any run failed');
    assert.equal(r.code, 1, show(r));
    assert.ok((attack.metrics.requestsSent ?? 0) >= runs * 20, 'requestsSent counts every run');
    const duplicate = attack.findings.find((f) => f.kind === 'duplicate-effect');
    assert.match(duplicate?.message ?? '', new RegExp(`^in ${caught} of ${runs} runs \\(run \\d+ shown\\): 20 concurrent duplicates made \\d+ side effects`));

    const rate = `caught in ${caught} of ${runs} runs`;
    assert.match(r.stdout, new RegExp(`✖ FAIL\\s+concurrent .*\\(${rate}\\)`), 'terminal');
    assert.match(await readFile(files.md, 'utf8'), new RegExp(`\\| create order \\| ❌ duplicate-effect.*<br>${rate} \\|`), 'markdown');
    const junit = await readFile(files.junit, 'utf8');
    assert.match(junit, new RegExp(`<failure message="duplicate-effect[^"]*\\(${rate}\\)"`), 'junit');
    assert.ok(junit.includes(`--repeat: ${rate}`), 'junit');
    assert.ok((await readFile(files.html, 'utf8')).includes(`<div class="rate">${rate}</div>`), 'html');

    // merge-reports reads the runs back.
    const merged = path.join(dir, 'm.json');
    const m = await cli(['merge-reports', files.json, '--report-json', merged]);
    assert.equal(m.code, 1, show(m));
    const back = JSON.parse(await readFile(merged, 'utf8')) as typeof report;
    assert.deepEqual(back.scenarios[0]!.attacks[0]!.repeats, attack.repeats);
    assert.match(m.stdout, new RegExp(rate));
  } finally {
    await server.close();
  }
});
