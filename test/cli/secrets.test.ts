// Secrets never appear in any output of the real executable: declared by
// --secret, by IDEMCHAOS_SECRET_<NAME>, or a token from --env-file used in a
// credential header; sent in an Authorization header, in the JSON body (which
// the demo echoes back) and in the oracle's query string. The value holds
// characters that change under URL-encoding and JSON-escaping, and every
// output is searched for its raw, URL-encoded, form-encoded and JSON-escaped
// forms (HTML/XML reports after decoding entities, the JSON report also after
// parsing). URL user info and ?api_key= are masked; the Idempotency-Key stays.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import path from 'node:path';
import { readFile, writeFile } from 'node:fs/promises';
import { startDemo, type DemoOptions, type DemoServer } from '../../src/demo/server.js';
import { cli as rawCli, tempDir, writeScenario, type CliResult } from '../helpers/harness.js';
import { show, withDemo } from '../helpers/cli.js';
import { closedPort } from '../helpers/net.js';

const SLOW = 180_000;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}/;

function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<CliResult> {
  return rawCli(args, { ...opts, env: { GITHUB_ACTIONS: 'false', ...opts.env }, timeoutMs: 120_000 });
}

/** Every form of a secret that must never be shown, and a distinctive prefix of it in each form. */
function forms(secret: string): Record<string, string> {
  const json = JSON.stringify(secret).slice(1, -1);
  return {
    raw: secret,
    'URL-encoded': encodeURIComponent(secret),
    'form-encoded': new URLSearchParams({ v: secret }).toString().slice(2),
    'JSON-escaped': json,
    'JSON-escaped twice': JSON.stringify(json).slice(1, -1),
    'raw prefix': secret.slice(0, 6),
    'URL-encoded prefix': encodeURIComponent(secret.slice(0, 6)),
    ...base64Forms(secret),
  };
}

/**
 * The secret base64-encoded (and base64url) inside a longer encoded text, at
 * each of the three byte offsets it may start at: the characters made of its
 * bytes alone, which are the same whatever surrounds it.
 */
function base64Forms(secret: string): Record<string, string> {
  const bytes = Buffer.from(secret, 'utf8');
  const out: Record<string, string> = {};
  for (const offset of [0, 1, 2]) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(offset === 0 ? 0 : 4, Math.floor((offset + bytes.length) / 3) * 4);
    out[`base64 at offset ${offset}`] = core;
    out[`base64url at offset ${offset}`] = core.replace(/\+/g, '-').replace(/\//g, '_');
  }
  return out;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function strings(value: unknown, at = '$', out: [string, string][] = []): [string, string][] {
  if (typeof value === 'string') out.push([at, value]);
  else if (Array.isArray(value)) value.forEach((v, i) => strings(v, `${at}[${i}]`, out));
  else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) strings(v, `${at}.${k}`, out);
  return out;
}

/** Fails naming the output, the form and the surrounding text of the first leak. */
function assertNoSecret(where: string, text: string, secrets: string[]): void {
  const texts: [string, string][] = [[where, text]];
  if (/\.(html|xml)$/.test(where)) texts.push([`${where} (entities decoded)`, decodeEntities(text)]);
  if (where.endsWith('.json') && text.trim() !== '') {
    for (const [at, s] of strings(JSON.parse(text))) texts.push([`${where} ${at}`, s]);
  }
  for (const secret of secrets) {
    for (const [form, value] of Object.entries(forms(secret))) {
      for (const [label, t] of texts) {
        const i = t.indexOf(value);
        assert.ok(i < 0, `${form} secret in ${label}: …${t.slice(Math.max(0, i - 120), i + value.length + 40)}…`);
      }
    }
  }
}

/** All outputs of a run: stdout, stderr and every report file that was written. */
async function outputs(r: CliResult, files: string[] = []): Promise<[string, string][]> {
  const out: [string, string][] = [['stdout', r.stdout], ['stderr', r.stderr]];
  for (const f of files) out.push([f, await readFile(f, 'utf8')]);
  return out;
}

const SCENARIO = (ref: string) => `name: secret order
target: "{{ env.BASE_URL }}"
request:
  method: POST
  path: /orders
  headers: { Authorization: "Bearer ${ref}" }
  json: { sku: widget-1, qty: 2, note: "${ref}", ref: "{{ run.id }}" }
idempotency:
  ttl: 3s
effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}&filter=${ref}" }
    select: $.count
  id: $.id
attacks:
  replay: {}
  reuse: {}
`;

interface Source {
  name: string;
  secret: string;
  /** The template the scenario uses. */
  ref: string;
  /** Extra flags and environment that declare it. */
  setup(dir: string): Promise<{ args: string[]; env: Record<string, string> }>;
}

const SOURCES: Source[] = [
  {
    name: '--secret NAME=VALUE',
    secret: 'p@ss w/"q"&x-Flag1',
    ref: '{{ secrets.TOKEN }}',
    setup: async () => ({ args: ['--secret', 'TOKEN=p@ss w/"q"&x-Flag1'], env: {} }),
  },
  {
    name: 'IDEMCHAOS_SECRET_TOKEN',
    secret: 'p@ss w/"q"&x-Env2',
    ref: '{{ secrets.TOKEN }}',
    setup: async () => ({ args: [], env: { IDEMCHAOS_SECRET_TOKEN: 'p@ss w/"q"&x-Env2' } }),
  },
  {
    name: 'a token in --env-file (used in Authorization)',
    secret: 'p@ss w/"q"&x-File3',
    ref: '{{ env.IC_TEST_API_TOKEN }}',
    setup: async (dir) => {
      const file = path.join(dir, '.env');
      await writeFile(file, `# test\nIC_TEST_API_TOKEN='p@ss w/"q"&x-File3'\n`);
      return { args: ['--env-file', file], env: {} };
    },
  },
];

for (const source of SOURCES) {
  test(`secret from ${source.name}: absent from every output (run, --verbose, --dry-run, reports, unreachable target)`, { timeout: SLOW }, async () => {
    const dir = await tempDir();
    const file = await writeScenario(SCENARIO(source.ref));
    const { args, env } = await source.setup(dir);
    const reports = ['report.json', 'junit.xml', 'summary.md', 'report.html'].map((f) => path.join(dir, f));
    const reportFlags = ['--report-json', reports[0]!, '--report-junit', reports[1]!, '--report-markdown', reports[2]!, '--report-html', reports[3]!];
    const checked: [string, string][] = [];

    await withDemo({ bug: 'ignore-body' }, async (server) => {
      // A finding, so the evidence (requests and the echoed bodies) is printed and reported.
      const run = await cli(['run', file, '--target', server.url, ...args, ...reportFlags], { env });
      assert.equal(run.code, 1, show(run));
      assert.match(run.stdout, /reuse: mismatch-accepted/);
      assert.match(run.stdout, /Authorization: Bearer \*\*\*/);
      assert.match(run.stdout, /"note":"\*\*\*"/, 'the echoed body is masked, not dropped');
      for (const [where, text] of await outputs(run, reports)) {
        assert.ok(text.length > 0 || where === 'stderr', `${where} is empty`);
        checked.push([`run ${path.basename(where)}`, text]);
      }
      // The orders really carry the secret: the masking is not an artefact of sending nothing.
      assert.ok(server.orders().some((o) => o['note'] === source.secret), 'the secret was sent in the body');

      const verbose = await cli(['run', file, '--target', server.url, ...args, '--verbose'], { env });
      assert.equal(verbose.code, 1, show(verbose));
      assert.ok((verbose.stdout.match(/^ {4}→ POST /gm) ?? []).length >= 4, verbose.stdout);
      for (const [where, text] of await outputs(verbose)) checked.push([`--verbose ${where}`, text]);

      const quiet = await cli(['run', file, '--target', server.url, ...args, '--quiet'], { env });
      for (const [where, text] of await outputs(quiet)) checked.push([`--quiet ${where}`, text]);
    });

    const dry = await cli(['run', file, '--target', `http://127.0.0.1:${await closedPort()}`, ...args, '--dry-run'], { env });
    assert.equal(dry.code, 0, show(dry));
    assert.match(dry.stdout, /oracle: GET http:\/\/127\.0\.0\.1:\d+\/orders\?ref=ic-\w+&filter=\*\*\*/);
    assert.match(dry.stdout, /"note":"\*\*\*"/);
    for (const [where, text] of await outputs(dry)) checked.push([`--dry-run ${where}`, text]);

    // Unreachable: the oracle request (with the secret in its query) is the evidence.
    const down = path.join(dir, 'down.json');
    const unreachable = await cli(['run', file, '--target', `http://127.0.0.1:${await closedPort()}`, ...args, '--report-json', down], { env });
    assert.equal(unreachable.code, 3, show(unreachable));
    assert.match(unreachable.stdout, /cannot connect/);
    assert.match(unreachable.stdout, /→ GET http:\/\/127\.0\.0\.1:\d+\/orders\?ref=ic-\w+&filter=\*\*\*/);
    for (const [where, text] of await outputs(unreachable, [down])) checked.push([`unreachable ${path.basename(where)}`, text]);

    for (const [where, text] of checked) assertNoSecret(where, text, [source.secret]);
  });
}

test('probe: a secret in -H, --json and --count never shows (run, --verbose, --dry-run, reports, unreachable)', { timeout: SLOW }, async () => {
  const secret = 'p@ss w/"q"&x-Probe4';
  const dir = await tempDir();
  const reports = ['p.json', 'p.xml', 'p.md', 'p.html'].map((f) => path.join(dir, f));
  const flags = (url: string) => [
    'probe', `${url}/orders`, '-H', 'Authorization: Bearer {{ secrets.TOKEN }}',
    '--json', '{"sku":"widget-1","note":"{{ secrets.TOKEN }}","ref":"{{ run.id }}"}',
    '--count', '/orders?ref={{ run.id }}&filter={{ secrets.TOKEN }}', '--count-select', '$.count', '--id', '$.id',
    '--attack', 'replay,reuse', '--secret', `TOKEN=${secret}`,
  ];
  const checked: [string, string][] = [];
  await withDemo({ bug: 'ignore-body' }, async (server) => {
    const r = await cli([...flags(server.url), '--report-json', reports[0]!, '--report-junit', reports[1]!, '--report-markdown', reports[2]!, '--report-html', reports[3]!]);
    assert.equal(r.code, 1, show(r));
    for (const [where, text] of await outputs(r, reports)) checked.push([`probe ${path.basename(where)}`, text]);
    const v = await cli([...flags(server.url), '--verbose']);
    assert.equal(v.code, 1, show(v));
    for (const [where, text] of await outputs(v)) checked.push([`probe --verbose ${where}`, text]);
    assert.ok(server.orders().some((o) => o['note'] === secret));
  });
  const down = `http://127.0.0.1:${await closedPort()}`;
  const dry = await cli([...flags(down), '--dry-run']);
  assert.equal(dry.code, 0, show(dry));
  for (const [where, text] of await outputs(dry)) checked.push([`probe --dry-run ${where}`, text]);
  const unreachable = await cli([...flags(down)]);
  assert.equal(unreachable.code, 3, show(unreachable));
  for (const [where, text] of await outputs(unreachable)) checked.push([`probe unreachable ${where}`, text]);
  for (const [where, text] of checked) assertNoSecret(where, text, [secret]);
});

test('the concurrent attack\'s JSON metrics do not leak a secret echoed in response bodies', { timeout: SLOW }, async () => {
  const secret = 'p@ss w/"q"&x-Conc5';
  const dir = await tempDir();
  const file = await writeScenario(SCENARIO('{{ secrets.TOKEN }}').replace('  replay: {}\n  reuse: {}\n', '  concurrent: {}\n'));
  const reports = ['c.json', 'c.xml', 'c.md', 'c.html'].map((f) => path.join(dir, f));
  await withDemo({ bug: 'correct' }, async (server) => {
    const r = await cli([
      'run', file, '--target', server.url, '--secret', `TOKEN=${secret}`, '--requests', '5',
      '--report-json', reports[0]!, '--report-junit', reports[1]!, '--report-markdown', reports[2]!, '--report-html', reports[3]!,
    ]);
    assert.equal(r.code, 0, show(r));
    // The passing attack's exchanges are kept as evidence, so the search below covers them too.
    const report = JSON.parse(await readFile(reports[0]!, 'utf8')) as {
      scenarios: { attacks: { attack: string; verdict: string; evidence?: { exchanges: { request: { headers: Record<string, string> }; response?: { body: { text: string } } }[] } }[] }[];
    };
    const concurrent = report.scenarios[0]!.attacks.find((a) => a.attack === 'concurrent')!;
    assert.equal(concurrent.verdict, 'pass');
    assert.ok(concurrent.evidence!.exchanges.length >= 5, `${concurrent.evidence?.exchanges.length} exchanges`);
    for (const e of concurrent.evidence!.exchanges) assert.equal(e.request.headers['Authorization'], 'Bearer ***');
    assert.ok(concurrent.evidence!.exchanges.some((e) => e.response?.body.text.includes('"note":"***"')), 'the echoed secret is masked, not dropped');
    for (const [where, text] of await outputs(r, reports)) assertNoSecret(where, text, [secret]);
  });
});

test('URL user info and ?api_key= are masked everywhere; the Idempotency-Key stays visible', { timeout: SLOW }, async () => {
  const dir = await tempDir();
  const apiKey = 'AK-live-7f3c9e2d1b';
  const user = 'qa-user-Ux81';
  const password = 'pw-Zq9x7-basic';
  const file = await writeScenario(
    SCENARIO('{{ vars.plain }}')
      .replace('  path: /orders\n  headers', `  path: "/orders?api_key=${apiKey}&mode=test"\n  headers`)
      .replace('  headers: { Authorization: "Bearer {{ vars.plain }}" }\n', ''),
  );
  const reports = ['u.json', 'u.xml', 'u.md', 'u.html'].map((f) => path.join(dir, f));
  const checked: [string, string][] = [];
  await withDemo({ bug: 'ignore-body' }, async (server) => {
    const target = server.url.replace('http://', `http://${user}:${password}@`);
    const r = await cli([
      'run', file, '--target', target, '--var', 'plain=visible-note', '--verbose',
      '--report-json', reports[0]!, '--report-junit', reports[1]!, '--report-markdown', reports[2]!, '--report-html', reports[3]!,
    ]);
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /→ POST http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/orders\?api_key=\*\*\*&mode=test/);
    // The key is what a bug report needs: shown, and the same on the retry.
    const keys = [...r.stdout.matchAll(new RegExp(`^ {6}Idempotency-Key: (${UUID.source})$`, 'gm'))].map((m) => m[1]);
    assert.ok(keys.length >= 4, r.stdout);
    const report = JSON.parse(await readFile(reports[0]!, 'utf8')) as {
      scenarios: { target: string; attacks: { attack: string; findings: { evidence: { exchanges: { request: { url: string; headers: Record<string, string> } }[] } }[] }[] }[];
    };
    assert.match(report.scenarios[0]!.target, /^http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+$/);
    const reuse = report.scenarios[0]!.attacks.find((a) => a.attack === 'reuse')!;
    const exchanges = reuse.findings[0]!.evidence.exchanges;
    assert.match(exchanges[0]!.request.headers['Idempotency-Key']!, UUID);
    assert.equal(exchanges[0]!.request.headers['Idempotency-Key'], exchanges[1]!.request.headers['Idempotency-Key']);
    assert.match(exchanges[0]!.request.url, /\?api_key=\*\*\*&mode=test$/);
    assert.ok(r.stdout.includes('visible-note'), 'a plain var is not masked');
    for (const [where, text] of await outputs(r, reports)) checked.push([`run ${path.basename(where)}`, text]);
  });

  const down = await closedPort();
  const unreachable = await cli(['run', file, '--target', `http://${user}:${password}@127.0.0.1:${down}`, '--var', 'plain=x1', '--attack', 'replay']);
  assert.equal(unreachable.code, 3, show(unreachable));
  for (const [where, text] of await outputs(unreachable)) checked.push([`unreachable ${where}`, text]);
  const dry = await cli(['run', file, '--target', `http://${user}:${password}@127.0.0.1:${down}`, '--var', 'plain=x1', '--dry-run']);
  assert.equal(dry.code, 0, show(dry));
  assert.match(dry.stdout, /POST http:\/\/\*\*\*:\*\*\*@127\.0\.0\.1:\d+\/orders\?api_key=\*\*\*&mode=test .* key [0-9a-f-]{36}/);
  for (const [where, text] of await outputs(dry)) checked.push([`--dry-run ${where}`, text]);

  const probe = await cli(['probe', `http://127.0.0.1:${down}/orders?api_key=${apiKey}`, '--json', '{"ref":"{{ run.id }}"}', '--attack', 'replay']);
  assert.equal(probe.code, 3, show(probe));
  assert.match(probe.stdout, /→ POST http:\/\/127\.0\.0\.1:\d+\/orders\?api_key=\*\*\*/);
  assert.match(probe.stdout, new RegExp(`Idempotency-Key: ${UUID.source}`));
  for (const [where, text] of await outputs(probe)) checked.push([`probe ${where}`, text]);

  for (const [where, text] of checked) {
    for (const value of [apiKey, user, password]) {
      const i = text.indexOf(value);
      assert.ok(i < 0, `${value} in ${where}: …${text.slice(Math.max(0, i - 120), i + 60)}…`);
    }
  }
});

test('malformed --secret and --env-file lines are refused without echoing the value', { timeout: SLOW }, async () => {
  const secret = 'p@ss w/"q"&x-Bad6';
  const file = await writeScenario(SCENARIO('{{ secrets.TOKEN }}'));
  const r = await cli(['run', file, '--target', 'http://127.0.0.1:1', '--secret', secret]);
  assert.equal(r.code, 2, show(r));
  assert.match(r.stderr, /--secret expects NAME=VALUE/);
  assertNoSecret('stderr', r.stderr, [secret]);

  const env = path.join(await tempDir(), 'bad.env');
  await writeFile(env, `OK=1\n${secret}\n`);
  const e = await cli(['run', file, '--target', 'http://127.0.0.1:1', '--env-file', env]);
  assert.equal(e.code, 2, show(e));
  assert.match(e.stderr, /--env-file .*bad\.env:2/);
  assertNoSecret('stderr', e.stderr, [secret]);
});

// ---------------------------------------------------------------------------
// One secret, every command, every reporter

/**
 * An orders API that puts what it is sent back into its answers, every way an
 * API might: the body's note as it came, base64-encoded in the body and in a
 * header, the headers it was sent, the query string; /blobs answers the same
 * in bytes that are not UTF-8. POST /login checks the password and issues a
 * session token; everything else needs that token (or the secret itself, for
 * probe) as bearer. A known key is replayed whatever the body (the reuse
 * attack's mismatch-accepted), so findings show the evidence.
 */
interface EchoApi {
  url: string;
  /** What arrived: the password, notes, X-Note headers, tag and filter queries, bearers. */
  seen: Record<'password' | 'note' | 'xNote' | 'tag' | 'filter' | 'bearer', string[]>;
  tokens: string[];
  close(): Promise<void>;
}

async function startEchoApi(secret: string): Promise<EchoApi> {
  const seen: EchoApi['seen'] = { password: [], note: [], xNote: [], tag: [], filter: [], bearer: [] };
  const tokens: string[] = [];
  const made = { orders: [] as { id: string; ref: string }[], blobs: [] as { id: string; ref: string }[] };
  const byKey = new Map<string, { type: string; body: Buffer }>();
  const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  const server = (await import('node:http')).createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://echo.invalid');
      const send = (status: number, type: string, body: Buffer, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': type, 'content-length': String(body.length), ...headers });
        res.end(body);
      };
      const json = (status: number, value: unknown, headers: Record<string, string> = {}) =>
        send(status, 'application/json', Buffer.from(JSON.stringify(value)), headers);
      let body: Record<string, unknown> = {};
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        return json(400, { error: 'expected JSON', got: text });
      }
      if (req.method === 'POST' && url.pathname === '/login') {
        seen.password.push(String(body['password']));
        if (body['password'] !== secret) return json(401, { error: 'bad password', got: body['password'] });
        const token = `tk-${Math.random().toString(16).slice(2, 10)}+/=x y`;
        tokens.push(token);
        return json(200, { token });
      }
      const auth = req.headers.authorization ?? '';
      const bearer = /^Bearer (.+)$/.exec(auth)?.[1] ?? '';
      seen.bearer.push(bearer);
      if (bearer !== secret && !tokens.includes(bearer)) return json(401, { error: 'unauthorized', got: auth });
      if (req.method === 'POST' && url.pathname === '/logout') return json(200, { ok: true, bye: bearer });
      const kind = url.pathname === '/orders' ? 'orders' : url.pathname === '/blobs' ? 'blobs' : undefined;
      if (!kind) return json(404, { error: 'not found' });
      if (req.method === 'GET') {
        seen.filter.push(url.searchParams.get('filter') ?? '');
        const items = made[kind].filter((o) => o.ref === url.searchParams.get('ref'));
        return json(200, { count: items.length, items, filter: url.searchParams.get('filter') });
      }
      const note = String(body['note']);
      seen.note.push(note);
      seen.xNote.push(String(req.headers['x-note'] ?? ''));
      seen.tag.push(url.searchParams.get('tag') ?? '');
      const key = String(req.headers['idempotency-key'] ?? '');
      const stored = byKey.get(key);
      const echo = { 'x-echo-note': note, 'x-echo-b64': b64(note), 'set-cookie': `session=${bearer}` };
      if (stored) return send(201, stored.type, stored.body, echo);
      const item = { id: `${kind[0]}${made[kind].length + 1}`, ref: String(body['ref']) };
      made[kind].push(item);
      const answer =
        kind === 'orders'
          ? { type: 'application/json', body: Buffer.from(JSON.stringify({ ...item, note, noteB64: b64(note), tag: url.searchParams.get('tag'), seen: { authorization: auth, xNote: req.headers['x-note'], xSession: req.headers['x-session'] } })) }
          : { type: 'application/octet-stream', body: Buffer.concat([Buffer.from([0xff, 0x00, 0xfe]), Buffer.from(`id=${item.id};note=${note};b64=${b64(note)};auth=${auth}`)]) };
      byKey.set(key, answer);
      return send(201, answer.type, answer.body, echo);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    seen,
    tokens,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Two scenarios (JSON answers, binary answers) that put {{ secrets.TOKEN }} in a header, a body and URLs, and capture a session token. */
const EVERYWHERE = ['orders', 'blobs']
  .map(
    (kind, i) => `  - name: secret everywhere, ${kind}
    target: "{{ env.BASE_URL }}"
    setup: ${i === 0 ? `&login
      - method: POST
        path: /login
        json: { user: qa, password: "{{ secrets.TOKEN }}" }
        capture: { session_token: $.token }` : '*login'}
    request:
      method: POST
      path: "/${kind}?tag={{ secrets.TOKEN }}"
      headers:
        Authorization: "Bearer {{ captures.session_token }}"
        X-Note: "{{ secrets.TOKEN }}"
        X-Session: "{{ captures.session_token }}"
      json: { sku: widget-1, qty: 2, note: "{{ secrets.TOKEN }}", ref: "{{ run.id }}" }
    idempotency: { ttl: 3s }
    effects:
      count:
        request: { method: GET, path: "/${kind}?ref={{ run.id }}&filter={{ secrets.TOKEN }}" }
        select: $.count
      id: $.id
    attacks: { replay: {}, reuse: {} }
    teardown:
      - method: POST
        path: /logout
        headers: { Authorization: "Bearer {{ captures.session_token }}" }
`,
  )
  .join('');

test('one secret in a header, a body, URLs, a setup capture and the server\'s answers: absent from every command, reporter and GitHub output, in every encoding', { timeout: SLOW }, async () => {
  const secret = 'p@ss w/"q"&x-Every7';
  const dir = await tempDir();
  const file = await writeScenario(`scenarios:\n${EVERYWHERE}`, 'everywhere.yaml');
  const reportsOf = (tag: string) => ['json', 'xml', 'md', 'html'].map((ext) => path.join(dir, `${tag}.${ext}`));
  const reportFlags = (files: string[]) => ['--report-json', files[0]!, '--report-junit', files[1]!, '--report-markdown', files[2]!, '--report-html', files[3]!];
  const github = (tag: string) => ({ GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: path.join(dir, `${tag}-step-summary.md`), GITHUB_WORKSPACE: dir });
  const checked: [string, string][] = [];
  const check = async (label: string, r: CliResult, files: string[] = []) => {
    for (const [where, text] of await outputs(r, files)) checked.push([`${label} ${path.basename(where)}`, text]);
  };
  const withSecret = ['--secret', `TOKEN=${secret}`];

  const server = await startEchoApi(secret);
  try {
    // run: every reporter, and GitHub's annotations and step summary.
    const run = reportsOf('run');
    const r = await cli(['run', file, '--target', server.url, ...withSecret, ...reportFlags(run)], { env: github('run') });
    assert.equal(r.code, 1, show(r));
    assert.match(r.stdout, /^::error /m, 'GitHub annotations');
    assert.match(r.stdout, /reuse: mismatch-accepted/);
    assert.match(r.stdout, /"note":"\*\*\*"/, 'the echoed body is masked, not dropped');
    assert.match(r.stdout, /\(binary, base64\) /, 'the binary answer is shown');
    await check('run', r, [...run, github('run').GITHUB_STEP_SUMMARY]);

    // --verbose: every exchange as it happens, and its own JSON report for merge-reports.
    const verboseJson = path.join(dir, 'verbose.json');
    const v = await cli(['run', file, '--target', server.url, ...withSecret, '--verbose', '--report-json', verboseJson]);
    assert.equal(v.code, 1, show(v));
    assert.ok((v.stdout.match(/^ {4}→ POST /gm) ?? []).length >= 8, v.stdout);
    await check('--verbose', v, [verboseJson]);

    // probe: the secret in -H, --json and the URLs, no setup. (Written without spaces in the
    // probed URL: probe reads it through new URL(), which encodes them and breaks the template.)
    const probe = reportsOf('probe');
    const p = await cli(
      [
        'probe', `${server.url}/orders?tag={{secrets.TOKEN}}`, '-H', 'Authorization: Bearer {{ secrets.TOKEN }}', '-H', 'X-Note: {{ secrets.TOKEN }}',
        '--json', '{"sku":"widget-1","note":"{{ secrets.TOKEN }}","ref":"{{ run.id }}"}',
        '--count', '/orders?ref={{ run.id }}&filter={{ secrets.TOKEN }}', '--count-select', '$.count', '--id', '$.id',
        '--attack', 'replay,reuse', ...withSecret, ...reportFlags(probe),
      ],
      { env: github('probe') },
    );
    assert.equal(p.code, 1, show(p));
    await check('probe', p, [...probe, github('probe').GITHUB_STEP_SUMMARY]);
  } finally {
    await server.close();
  }

  // The secret reached the server in every place, and the session token is one it issued.
  for (const [place, values] of Object.entries(server.seen)) {
    if (place === 'bearer') continue;
    assert.ok(values.includes(secret), `the secret was not sent as ${place}: ${JSON.stringify(values)}`);
  }
  assert.ok(server.tokens.length >= 4, `${server.tokens.length} logins`);
  assert.ok(server.tokens.every((t) => server.seen.bearer.includes(t)), 'each session token was sent back');

  // merge-reports: the two runs' JSON reports, into every reporter and GitHub's.
  const merged = reportsOf('merged');
  const m = await cli(['merge-reports', run0(dir), path.join(dir, 'verbose.json'), ...reportFlags(merged)], { env: github('merged') });
  assert.equal(m.code, 1, show(m));
  await check('merge-reports', m, [...merged, github('merged').GITHUB_STEP_SUMMARY]);

  // Nothing sent: --dry-run, --list, validate.
  const down = `http://127.0.0.1:${await closedPort()}`;
  const dry = await cli(['run', file, '--target', down, ...withSecret, '--dry-run']);
  assert.equal(dry.code, 0, show(dry));
  assert.match(dry.stdout, /"note":"\*\*\*"/);
  await check('--dry-run', dry);
  const list = await cli(['run', file, '--target', down, ...withSecret, '--list']);
  assert.equal(list.code, 0, show(list));
  await check('--list', list);
  const validate = await cli(['validate', file, ...withSecret]);
  assert.equal(validate.code, 0, show(validate));
  await check('validate', validate);

  assert.ok(checked.length >= 25, `${checked.length} outputs checked`);
  for (const [where, text] of checked) assertNoSecret(where, text, [secret, ...server.tokens]);
});

function run0(dir: string): string {
  return path.join(dir, 'run.json');
}
