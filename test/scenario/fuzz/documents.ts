// Scenario files for the loader's property test: the bundled scenarios and
// test fixtures, mutated (wrong types, unknown keys, bad durations and status
// lists, broken templates, deep nesting, aliases, huge strings, binary and
// invalid UTF-8), and documents made from nothing.
import fc from 'fast-check';
import { Document, isCollection, isMap, stringify, parse } from 'yaml';
import type { Node } from 'yaml';

export interface Seed {
  name: string;
  text: string;
}

/** One generated case: the bytes of the file under test, and how it was made (for a failing case's report). */
export interface Case {
  bytes: Uint8Array;
  how: string[];
}

/** fast-check prints a counterexample by this: the recipe and the size, not every byte. */
function made(bytes: Uint8Array, how: string[]): Case {
  return {
    bytes,
    how,
    [fc.toStringMethod]: () => `${bytes.length} bytes: ${how.join('; ').slice(0, 3000)}`,
  } as Case;
}

/**
 * Valid scenarios that reach the parts the bundled files leave out (setup,
 * teardown, captures, tenants, operations, presets, replay headers, a
 * `scenarios:` list, every attack's options). Each must load as it is.
 */
export const EXTRA_SEEDS: Seed[] = [
  {
    name: 'everything.yaml',
    text: `name: everything
target: "{{ env.BASE_URL }}/v1"
preset: stripe
setup:
  - path: /login
    json: { user: "{{ vars.tenant }}", password: "{{ secrets.apiKey }}" }
    capture: { token: $.token, account: $.account.id }
request:
  method: post
  path: "/accounts/{{ captures.account }}/orders"
  headers:
    Authorization: "Bearer {{ captures.token }}"
    X-Trace: "{{ uuid() }} at {{ now() }}"
  json:
    ref: "{{ run.id }}"
    items: [{ sku: a, qty: 1 }, { sku: b, qty: 2, tags: [x, y] }]
    note: null
idempotency:
  header: Idempotency-Key
  ttl: 1.5s
  maxLength: 255
tenants:
  alice: { headers: { X-Tenant: alice } }
  bob: { headers: { X-Tenant: bob } }
operations:
  refund:
    request: { method: POST, path: /refunds, json: { ref: "{{ run.id }}" } }
effects:
  count:
    request: { method: GET, path: "/orders?ref={{ run.id }}", headers: { Accept: application/json } }
    select: $.items
  id: $.id
  ids: $.items[*].id
  settle: 250ms
expect:
  success: [2xx]
  inFlight: 409
  mismatch: [400, 422]
  afterExpiry: any
  missingKey: allow
  invalidKey: 4xx
  otherOperation: either
  afterError: either
  replayHeader: "Idempotent-Replayed: true"
  ignore: [$.createdAt, $.requestId]
attacks:
  replay: {}
  concurrent: { requests: 8, engine: h1 }
  reuse: {}
  expiry: { margin: 20% }
  drop: { at: [after-send, mid-response] }
teardown:
  - method: DELETE
    path: "/accounts/{{ captures.account }}"
    headers: { Authorization: "Bearer {{ captures.token }}" }
`,
  },
  {
    name: 'list.yaml',
    text: `scenarios:
  - name: by command
    target: http://127.0.0.1:1/api
    request:
      path: /payments
      body: '{"ref":"{{ run.id }}"}'
      headers: { Content-Type: application/json }
    effects:
      command: "echo 0 # {{ run.id }}"
    attacks: { replay: {}, concurrent: { requests: 3 } }
  - name: response only
    target: "{{ env.BASE_URL }}"
    request: { method: PUT, path: /things }
    expect: { success: 201, replayHeader: { X-Replay: "yes" } }
`,
  },
];

type Segment = string | number;

/** Every path in a parsed value, the root first; iterative, so deep values cannot overflow the test. */
function pathsOf(value: unknown): Segment[][] {
  const out: Segment[][] = [];
  const stack: [unknown, Segment[]][] = [[value, []]];
  while (stack.length > 0 && out.length < 5000) {
    const [v, p] = stack.pop()!;
    out.push(p);
    if (Array.isArray(v)) v.forEach((item, i) => stack.push([item, [...p, i]]));
    else if (v !== null && typeof v === 'object') for (const [k, item] of Object.entries(v)) stack.push([item, [...p, k]]);
  }
  return out;
}

function container(root: unknown, path: Segment[]): unknown {
  let v = root;
  for (const s of path) v = (v as Record<string | number, unknown>)[s];
  return v;
}

/** A value put into the tree, or raw YAML text spliced in where a placeholder stands. */
type Hostile = { value: unknown; how: string } | { raw: string; how: string };

const huge = fc
  .record({
    unit: fc.constantFrom('a', ' ', '{{', '}}', '{{}}', '{{ env.X }}', '{{ nope }}', '\\', 'é', '😀', '\u0000', '\n', '$.', '[*]'),
    times: fc.integer({ min: 2_000, max: 100_000 }),
  })
  .map(({ unit, times }) => ({ value: unit.repeat(times), how: `huge ${JSON.stringify(unit)} x${times}` }));

const TEMPLATE_PARTS = [
  '{{', '}}', '{{ }}', '{{}}', '{{ env.BASE_URL }}', '{{ env.X }}', '{{ env. }}', '{{ env }}', '{{ ENV.X }}', '{{ vars.tenant }}',
  '{{ var.tenant }}', '{{ vars.nope }}', '{{ secrets.apiKey }}', '{{ secrets.nope }}', '{{ captures.token }}', '{{ captures.x }}',
  '{{ run.id }}', '{{ runid }}', '{{ key }}', '{{ uuid() }}', '{{ uuid }}', '{{ now() }}', '{{ env.BASE_URL }', '{{{{', '}}{{',
  '{{ env.A-B }}', '{{ env.1X }}', '{{\n env.X \n}}', '/orders', '?ref=', ' ', 'x', '%', '\\', '"', "'",
];

const template = fc
  .array(fc.constantFrom(...TEMPLATE_PARTS), { minLength: 1, maxLength: 8 })
  .map((parts) => ({ value: parts.join(''), how: `template ${JSON.stringify(parts.join(''))}` }));

const BAD_DURATIONS = [
  '', '0', '10', '1.5', '-1s', '1e3s', 'ms', '1 s', ' 1s ', '1.s', '.5s', '1.5.5s', '1d', '1S', '1MS', '∞s', '１s', '0x10s', 'NaNs',
  '1s1s', '9'.repeat(400) + 's', '0.' + '0'.repeat(400) + '1ms', '1%', '-5%', '%', '50 %', '1e999h',
];
const duration = fc.oneof(
  fc.constantFrom(...BAD_DURATIONS).map((d) => ({ value: d, how: `duration ${JSON.stringify(d)}` })),
  fc.tuple(fc.string({ maxLength: 6 }), fc.constantFrom('ms', 's', 'm', 'h', '%', '')).map(([n, u]) => ({ value: n + u, how: `duration ${JSON.stringify(n + u)}` })),
  fc.double().map((d) => ({ value: d, how: `number ${d}` })),
);

const BAD_STATUS: unknown[] = [
  '6xx', '0xx', '1xx', '5XX', '20x', '2xxx', 'xx', '201,202', ' 201', '201 ', 99, 600, 0, -201, 201.5, 1e400, [], [[201]], ['201', 201],
  [201, 201], [null], [true], { 201: true }, '２０１', 'OK', ['2xx', '2XX'], [100, 599, '5xx', '1xx'],
];
const status = fc.oneof(
  fc.constantFrom(...BAD_STATUS).map((v) => ({ value: v, how: `status ${JSON.stringify(v)}` })),
  fc.array(fc.oneof(fc.integer({ min: -1000, max: 1000 }), fc.string({ maxLength: 4 })), { maxLength: 4 }).map((v) => ({ value: v, how: `status ${JSON.stringify(v)}` })),
);

const wrongType = fc
  .oneof(
    fc.integer(),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.constant([]),
    fc.constant({}),
    fc.string({ maxLength: 20 }),
    fc.string({ unit: 'binary', maxLength: 20 }),
    fc.jsonValue({ maxDepth: 3 }),
  )
  .map((v) => ({ value: v, how: `value ${JSON.stringify(v)?.slice(0, 60)}` }));

const binary = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 40 })
  .map((v) => ({ value: v, how: `binary ${JSON.stringify(v)}` }));

const depth = fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 40, max: 3000 }));

/** A flow value nesting `d` deep: lists, maps, or both in turn. */
const deepRaw = fc.tuple(depth, fc.constantFrom('seq', 'map', 'mixed')).map(([d, shape]) => {
  let open = '';
  let close = '';
  for (let i = 0; i < d; i++) {
    const seq = shape === 'seq' || (shape === 'mixed' && i % 2 === 0);
    open += seq ? '[' : '{a: ';
    close = (seq ? ']' : '}') + close;
  }
  return { raw: `${open}1${close}`, how: `nested ${shape} x${d}` };
});

/** A billion laughs: each level lists the one before `width` times. */
const bombRaw = fc.tuple(fc.integer({ min: 2, max: 12 }), fc.integer({ min: 2, max: 20 })).map(([width, levels]) => {
  const parts = [`&l0 [${Array(width).fill('lol').join(', ')}]`];
  for (let i = 1; i < levels; i++) parts.push(`&l${i} [${Array(width).fill(`*l${i - 1}`).join(', ')}]`);
  return { raw: `[${parts.join(', ')}]`, how: `alias bomb ${width}^${levels}` };
});

/** Aliases in a chain, each nesting the one before `wrap` levels deeper: depth without width. */
const chainRaw = fc.tuple(fc.integer({ min: 2, max: 300 }), fc.integer({ min: 1, max: 30 })).map(([links, wrap]) => {
  const parts = ['&c0 [1]'];
  for (let i = 1; i < links; i++) parts.push(`&c${i} ${'['.repeat(wrap)}*c${i - 1}${']'.repeat(wrap)}`);
  return { raw: `[${parts.join(', ')}]`, how: `alias chain ${links} x${wrap}` };
});

const RAW_SNIPPETS = [
  '*nope', '&c [*c]', '&m {k: *m}', '&x [1, &y [*x, *y]]', '&a {<<: *a}', '{<<: *nope}', '{<<: [1, 2]}', '{<<: {a: 1}, a: 2}',
  '&s [&t {u: *s}]', '{a: 1, a: 2}', '{[1, 2]: x}', '{? {a: 1} : b}', '{null: 1}', '{~: 1}', '{1: a}', '{"": 1}',
  '!!binary aGVsbG8=', '!!js/function "x"', '!custom 1', '!!int "x"', '!!float abc', '!!map [1]', '!!set {a}', '!!omap [a: 1]',
  '!!timestamp 2001-12-14', '!!str 12', '!<tag:yaml.org,2002:int> 0x1F', '!!seq {a: 1}', '!!null x',
  '.nan', '.inf', '-.inf', '0x1f', '0o17', '1_000', '~', 'yes', 'on', '1e400', '-0', '123456789012345678901234567890',
  '[1, 2', '{a: 1', ']', '}', '"unterminated', "'x", '&', '*', '!', '|', '>', '@x', '`x', '%YAML 1.2', '"\\x"', '"\\ud800"',
  '"\\U0010ffff"', '"\\0"', '&a1 x', '*a1',
];
const snippet = fc.constantFrom(...RAW_SNIPPETS).map((raw) => ({ raw, how: `raw ${raw}` }));

const hostile: fc.Arbitrary<Hostile> = fc.oneof(
  { arbitrary: wrongType, weight: 4 },
  { arbitrary: duration, weight: 3 },
  { arbitrary: status, weight: 3 },
  { arbitrary: template, weight: 4 },
  { arbitrary: binary, weight: 2 },
  { arbitrary: snippet, weight: 4 },
  { arbitrary: deepRaw, weight: 2 },
  { arbitrary: bombRaw, weight: 1 },
  { arbitrary: chainRaw, weight: 1 },
  { arbitrary: huge, weight: 1 },
);

/** Keys that are close to real ones, or that mean something to JavaScript or YAML. */
const KEYS = [
  'nmae', 'reqest', 'requests', 'attack', 'expct', 'ttl', 'header', 'headers', 'json', 'body', 'capture', 'select', 'settle',
  'scenarios', 'target', 'targets', 'effects', 'count', 'command', 'id', 'ids', 'setup', 'teardown', 'tenants', 'operations',
  '__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '<<', '', ' ', '{{ env.X }}', 'Idempotency-Key',
  'concurrent', 'replay', 'reuse', 'expiry', 'drop', 'margin', 'at', 'engine', 'preset', 'maxLength', 'success', 'inFlight',
];
const key = fc.oneof(fc.constantFrom(...KEYS), fc.string({ maxLength: 12 }), fc.string({ unit: 'binary', maxLength: 8 }));

type Mutation =
  | { op: 'set'; pick: number; value: Hostile }
  | { op: 'add'; pick: number; key: string; value: Hostile }
  | { op: 'delete'; pick: number }
  | { op: 'list'; copies: number }
  | { op: 'alias'; from: number; to: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('set' as const), pick: fc.nat(), value: hostile }), weight: 6 },
  { arbitrary: fc.record({ op: fc.constant('add' as const), pick: fc.nat(), key, value: hostile }), weight: 3 },
  { arbitrary: fc.record({ op: fc.constant('delete' as const), pick: fc.nat() }), weight: 2 },
  { arbitrary: fc.record({ op: fc.constant('list' as const), copies: fc.integer({ min: 1, max: 3 }) }), weight: 1 },
  { arbitrary: fc.record({ op: fc.constant('alias' as const), from: fc.nat(), to: fc.nat() }), weight: 2 },
);

type ByteMutation =
  | { op: 'invalid-utf8'; at: number; seq: number[] }
  | { op: 'flip'; at: number; byte: number }
  | { op: 'truncate'; at: number }
  | { op: 'bom' }
  | { op: 'utf16' }
  | { op: 'crlf' }
  | { op: 'tabs' };

const INVALID_UTF8 = [[0xff], [0xfe], [0xc3, 0x28], [0xed, 0xa0, 0x80], [0xf8, 0x88, 0x80, 0x80, 0x80], [0xc0, 0xaf], [0xe2, 0x82], [0x80], [0x00]];

const byteMutation: fc.Arbitrary<ByteMutation> = fc.oneof(
  fc.record({ op: fc.constant('invalid-utf8' as const), at: fc.nat(), seq: fc.constantFrom(...INVALID_UTF8) }),
  fc.record({ op: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }),
  fc.constant({ op: 'bom' as const }),
  fc.constant({ op: 'utf16' as const }),
  fc.constant({ op: 'crlf' as const }),
  fc.constant({ op: 'tabs' as const }),
);

/** A seed, parsed, changed by each mutation in turn, written back as YAML, then changed byte by byte. */
export function mutatedDocument(seeds: Seed[]): fc.Arbitrary<Case> {
  return fc
    .record({
      seed: fc.constantFrom(...seeds),
      mutations: fc.array(mutation, { minLength: 1, maxLength: 4 }),
      bytes: fc.array(byteMutation, { maxLength: 2 }),
    })
    .map(({ seed, mutations, bytes }) => {
      const how = [`seed ${seed.name}`];
      let tree: unknown = parse(seed.text);
      const raws: string[] = [];
      const aliases: { from: number; to: number }[] = [];
      for (const m of mutations) {
        if (m.op === 'alias') {
          aliases.push(m);
          continue;
        }
        if (m.op === 'list') {
          tree = { scenarios: Array.from({ length: m.copies }, () => structuredClone(tree)) };
          how.push(`list x${m.copies}`);
          continue;
        }
        const paths = pathsOf(tree);
        const path = paths[m.pick % paths.length]!;
        const put = (h: Hostile): unknown => {
          if ('value' in h) return h.value;
          raws.push(h.raw);
          return `zzRAW${raws.length - 1}zz`;
        };
        if (m.op === 'delete') {
          if (path.length === 0) continue;
          const parent = container(tree, path.slice(0, -1)) as Record<string | number, unknown>;
          if (Array.isArray(parent)) parent.splice(path[path.length - 1] as number, 1);
          else delete parent[path[path.length - 1]!];
          how.push(`delete ${path.join('.')}`);
        } else if (m.op === 'set') {
          const value = put(m.value);
          if (path.length === 0) tree = value;
          else (container(tree, path.slice(0, -1)) as Record<string | number, unknown>)[path[path.length - 1]!] = value;
          how.push(`set ${path.join('.')} to ${m.value.how}`);
        } else {
          const target = container(tree, path);
          if (target === null || typeof target !== 'object' || Array.isArray(target)) continue;
          Object.defineProperty(target, m.key, { value: put(m.value), enumerable: true, writable: true, configurable: true });
          how.push(`add ${path.join('.')}.${JSON.stringify(m.key)} = ${m.value.how}`);
        }
      }
      let text = aliases.length > 0 ? withAliases(tree, aliases, how) : safeStringify(tree);
      raws.forEach((raw, i) => {
        text = text.split(`zzRAW${i}zz`).join(raw);
      });
      return made(mutateBytes(Buffer.from(text, 'utf8'), bytes, how), how);
    });
}

function safeStringify(tree: unknown): string {
  return stringify(tree, { aliasDuplicateObjects: false, lineWidth: 0 });
}

/** Anchors a collection and points an alias at it from elsewhere, or from inside it (a cycle). */
function withAliases(tree: unknown, aliases: { from: number; to: number }[], how: string[]): string {
  const doc = new Document(tree, { aliasDuplicateObjects: false });
  const paths = pathsOf(tree);
  for (const { from, to } of aliases) {
    const anchorPath = paths[from % paths.length]!;
    const node = (anchorPath.length === 0 ? doc.contents : doc.getIn(anchorPath, true)) as Node | undefined;
    if (!node || !isCollection(node)) continue;
    // Half the time inside the anchored node (a cycle), else anywhere.
    const inside = paths.filter((p) => p.length > anchorPath.length && anchorPath.every((s, i) => p[i] === s));
    const pool = to % 2 === 0 && inside.length > 0 ? inside : paths;
    const aliasPath = pool[Math.floor(to / 2) % pool.length]!;
    if (aliasPath.length === 0) continue;
    try {
      const alias = doc.createAlias(node, `n${from % 1000}`);
      const parent = doc.getIn(aliasPath.slice(0, -1), true) ?? doc.contents;
      if (!isCollection(parent)) continue;
      if (isMap(parent)) parent.set(aliasPath[aliasPath.length - 1], alias);
      else parent.set(aliasPath[aliasPath.length - 1], alias);
      how.push(`alias ${aliasPath.join('.')} -> &${anchorPath.join('.') || 'root'}`);
    } catch {
      // The path ran through a scalar: no alias this time.
    }
  }
  return doc.toString({ lineWidth: 0, verifyAliasOrder: false });
}

function mutateBytes(input: Buffer, mutations: ByteMutation[], how: string[]): Uint8Array {
  let b = input;
  for (const m of mutations) {
    switch (m.op) {
      case 'invalid-utf8': {
        const at = m.at % (b.length + 1);
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.seq), b.subarray(at)]);
        how.push(`insert bytes ${m.seq.map((x) => x.toString(16)).join(' ')} at ${at}`);
        break;
      }
      case 'flip': {
        if (b.length === 0) break;
        const at = m.at % b.length;
        b = Buffer.from(b);
        b[at] = m.byte;
        how.push(`byte ${at} = ${m.byte.toString(16)}`);
        break;
      }
      case 'truncate':
        b = b.subarray(0, m.at % (b.length + 1));
        how.push(`truncate to ${b.length}`);
        break;
      case 'bom':
        b = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), b]);
        how.push('utf-8 BOM');
        break;
      case 'utf16':
        b = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(b.toString('utf8'), 'utf16le')]);
        how.push('utf-16le');
        break;
      case 'crlf':
        b = Buffer.from(b.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');
        how.push('crlf');
        break;
      case 'tabs':
        b = Buffer.from(b.toString('latin1').replace(/^( {2})+/gm, (s) => '\t'.repeat(s.length / 2)), 'latin1');
        how.push('tabs');
        break;
    }
  }
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

const TOKENS = [
  'name: ', 'target: ', 'request:', 'path: /x', 'json:', 'scenarios:', 'attacks:', 'expect:', 'effects:', '  ', '    ', '- ', '\n',
  '\n', ' ', '{', '}', '[', ']', ', ', ': ', '? ', '&a ', '*a', '&b ', '*b', '<<: ', '!!str ', '!x ', '"', "'", '#', '|', '>', '---',
  '...', '%TAG ', '"{{ env.BASE_URL }}"', '{{', '}}', 'x', '1', '201', '4xx', '300ms', '\t', '\r', '\u0000', '\uFEFF', 'é',
];

/** Documents made from nothing: bytes, text, JSON values as YAML, and YAML-ish token soup. */
export const randomDocument: fc.Arbitrary<Case> = fc.oneof(
  fc.uint8Array({ maxLength: 2000 }).map((bytes) => made(bytes, ['random bytes'])),
  fc.string({ unit: 'binary', maxLength: 400 }).map((s) => made(Buffer.from(s, 'utf8'), [`random text ${JSON.stringify(s)}`])),
  fc.jsonValue({ maxDepth: 6 }).map((v) => made(Buffer.from(safeStringify(v), 'utf8'), [`random JSON value as YAML ${JSON.stringify(v).slice(0, 200)}`])),
  fc
    .array(fc.constantFrom(...TOKENS), { maxLength: 120 })
    .map((t) => made(Buffer.from(t.join(''), 'utf8'), [`tokens ${JSON.stringify(t.join(''))}`])),
);
