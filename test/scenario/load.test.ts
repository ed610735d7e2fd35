import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadScenarios } from '../../src/run/load.js';
import type { Scenario } from '../../src/scenario/types.js';
import { brief, scope, TempDir } from './helpers.js';

let tmp: TempDir;
before(async () => {
  tmp = await TempDir.create();
});
after(async () => {
  await tmp.remove();
});

const FULL = `# Orders API
name: create order
target: "{{ env.BASE_URL }}"
request:
  method: post
  path: /orders
  headers: { Authorization: "Bearer {{ env.TOKEN }}", X-Count: 5 }
  json: { sku: widget-1, qty: 2, ref: "{{ run.id }}", tenant: "{{ vars.tenant }}" }
idempotency:
  header: X-Idempotency-Key
  ttl: 2s
effects:
  count:
    request: { path: "/orders?ref={{ run.id }}", headers: { Accept: application/json } }
    select: $.count
  id: $.id
  ids: $.items[*].id
  settle: 1.5s
expect:
  success: [200, 201]
  inFlight: [409, 425]
  mismatch: 4xx
  afterExpiry: any
  replayHeader: "Idempotent-Replayed: yes"
  ignore: [$.requestId, $.createdAt]
attacks:
  replay: {}
  concurrent: { requests: 50 }
  reuse: { change: { qty: 3 } }
  expiry: { margin: 500ms }
  drop:
    at: [after-send, mid-response]
`;

describe('loadScenarios: valid files', () => {
  it('normalises a full scenario to the exact expected object', async () => {
    const file = await tmp.file('full.yaml', FULL);
    const { scenarios, warnings, sources } = await loadScenarios([file], { scope });
    assert.deepEqual(warnings, []);
    assert.equal(sources.get(file), FULL);
    const expected: Scenario = {
      name: 'create order',
      file,
      index: 0,
      pos: { file, line: 2, col: 1 },
      target: '{{ env.BASE_URL }}',
      request: {
        method: 'POST',
        path: '/orders',
        headers: { Authorization: 'Bearer {{ env.TOKEN }}', 'X-Count': '5' },
        json: { sku: 'widget-1', qty: 2, ref: '{{ run.id }}', tenant: '{{ vars.tenant }}' },
      },
      idempotency: { header: 'X-Idempotency-Key', ttlMs: 2000, maxLength: 255 },
      effects: {
        count: {
          kind: 'request',
          request: { method: 'GET', path: '/orders?ref={{ run.id }}', headers: { Accept: 'application/json' } },
          select: '$.count',
        },
        id: '$.id',
        ids: '$.items[*].id',
        settleMs: 1500,
        timeoutMs: 10_000,
      },
      expect: {
        success: { text: '200, 201', codes: [200, 201], classes: [] },
        inFlight: { text: '409, 425', codes: [409, 425], classes: [] },
        mismatch: { text: '4xx', codes: [], classes: [4] },
        afterExpiry: 'any',
        missingKey: 'reject',
        invalidKey: { text: '4xx', codes: [], classes: [4] },
        otherOperation: 'either',
        afterError: 'either',
        replayHeader: { name: 'Idempotent-Replayed', value: 'yes' },
        ignore: ['$.requestId', '$.createdAt'],
      },
      attacks: {
        replay: {},
        concurrent: { requests: 50, engine: 'auto', bursts: 3, warm: 0 },
        reuse: { change: { qty: 3 } },
        expiry: { margin: { ms: 500 } },
        drop: { at: ['after-send', 'mid-response'] },
      },
      attackLines: { replay: 27, concurrent: 28, reuse: 29, expiry: 30, drop: 31 },
    };
    assert.deepEqual(scenarios, [expected]);
  });

  it('fills every default in a minimal scenario', async () => {
    const file = await tmp.file('minimal.yaml', 'name: minimal\ntarget: http://localhost:3000\nrequest: { path: /pay }\n');
    const { scenarios } = await loadScenarios([file], { scope });
    assert.deepEqual(scenarios, [
      {
        name: 'minimal',
        file,
        index: 0,
        pos: { file, line: 1, col: 1 },
        target: 'http://localhost:3000',
        request: { method: 'POST', path: '/pay', headers: {} },
        idempotency: { header: 'Idempotency-Key', maxLength: 255 },
        expect: {
          success: { text: '200, 201', codes: [200, 201], classes: [] },
          inFlight: { text: '409', codes: [409], classes: [] },
          mismatch: { text: '422', codes: [422], classes: [] },
          afterExpiry: 'new',
          missingKey: 'reject',
          invalidKey: { text: '4xx', codes: [], classes: [4] },
          otherOperation: 'either',
          afterError: 'either',
          ignore: [],
        },
        attackLines: {},
      },
    ]);
  });

  it('fills attack defaults for empty attack entries', async () => {
    const file = await tmp.file(
      'attacks.yaml',
      [
        'name: defaults',
        'target: http://x',
        'request: { path: /p, body: "a=1&ref={{ run.id }}", headers: { Content-Type: application/x-www-form-urlencoded } }',
        'idempotency: { ttl: 1m }',
        'effects:',
        '  command: "count --ref {{ run.id }}"',
        '  timeout: 2.5s',
        'expect: { replayHeader: Idempotent-Replayed }',
        'attacks:',
        '  drop:',
        '  replay: ~',
        '  concurrent: {}',
        '  reuse:',
        '  expiry: { margin: 50% }',
        '',
      ].join('\n'),
    );
    const [s] = (await loadScenarios([file], { scope })).scenarios;
    assert.deepEqual(s!.request, {
      method: 'POST',
      path: '/p',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'a=1&ref={{ run.id }}',
    });
    assert.deepEqual(s!.effects, { count: { kind: 'command', command: 'count --ref {{ run.id }}' }, settleMs: 300, timeoutMs: 2500 });
    assert.deepEqual(s!.expect.replayHeader, { name: 'Idempotent-Replayed', value: 'true' });
    assert.deepEqual(s!.attacks, {
      replay: {},
      concurrent: { requests: 20, engine: 'auto', bursts: 3, warm: 0 },
      reuse: {},
      expiry: { margin: { fraction: 0.5 } },
      drop: { at: ['after-send', 'mid-body', 'mid-response'] },
    });
    assert.deepEqual(s!.attackLines, { drop: 10, replay: 11, concurrent: 12, reuse: 13, expiry: 14 });
    const bare = (await loadScenarios([await tmp.file('bare-expiry.yaml', 'name: e\ntarget: http://x\nrequest: { path: /p }\nidempotency: { ttl: 1s }\nattacks: { expiry: }\n')], { scope })).scenarios[0]!;
    assert.deepEqual(bare.attacks, { expiry: { margin: { fraction: 0.2 } } });
  });

  it('reads a scenarios: list, each one complete', async () => {
    const file = await tmp.file(
      'list.yaml',
      [
        'scenarios:',
        '  - name: first',
        '    target: http://a',
        '    request: { path: /a }',
        '  - target: http://b',
        '    name: second',
        '    request: { method: PUT, path: /b }',
        '    attacks: { replay: }',
        '',
      ].join('\n'),
    );
    const { scenarios } = await loadScenarios([file], { scope });
    assert.deepEqual(
      scenarios.map((s) => [s.name, s.index, s.pos.line, s.pos.col, s.target, s.request.method, s.attacks, s.attackLines]),
      [
        ['first', 0, 2, 5, 'http://a', 'POST', undefined, {}],
        ['second', 1, 6, 5, 'http://b', 'PUT', { replay: {} }, { replay: 8 }],
      ],
    );
  });

  it('lets --target replace the target, which then need not resolve', async () => {
    const file = await tmp.file('override.yaml', 'name: o\ntarget: "{{ env.MISSING }}"\nrequest: { path: /p }\n');
    const { scenarios } = await loadScenarios([file], { scope, targetOverride: 'http://override' });
    assert.equal(scenarios[0]!.target, 'http://override');
    const none = await tmp.file('no-target.yaml', 'name: o\nrequest: { path: /p }\n');
    assert.equal((await loadScenarios([none], { scope, targetOverride: 'http://o' })).scenarios[0]!.target, 'http://o');
  });

  it('accepts the reserved keys preset, setup and teardown, and captures from setup', async () => {
    const file = await tmp.file(
      'future.yaml',
      [
        'name: with setup',
        'target: http://x',
        'preset: stripe',
        'setup:',
        '  - { method: POST, path: /customers, json: { name: c }, capture: { customer: $.id } }',
        'request: { path: "/customers/{{ captures.customer }}/orders", json: { ref: "{{ run.id }}" } }',
        'teardown:',
        '  - { method: DELETE, path: "/customers/{{ captures.customer }}" }',
        '',
      ].join('\n'),
    );
    const { scenarios } = await loadScenarios([file], { scope });
    assert.equal(scenarios[0]!.request.path, '/customers/{{ captures.customer }}/orders');
  });
});

describe('loadScenarios: warnings', () => {
  it('no warning for an oracle filtered by run.id in its headers rather than its path', async () => {
    // An oracle that does not filter at all is an error: see unfiltered-oracle.test.ts.
    const ok = await tmp.file(
      'ok.yaml',
      'name: c\ntarget: http://x\nrequest: { path: /p, json: { ref: "{{ run.id }}" } }\neffects:\n  count: { request: { path: /q, headers: { X-Ref: "{{ run.id }}" } }, select: $.n }\n',
    );
    const { scenarios, warnings } = await loadScenarios([ok], { scope });
    assert.equal(scenarios.length, 1);
    assert.deepEqual(warnings, []);
  });

  it('warns about a raw body without a Content-Type', async () => {
    const file = await tmp.file('body.yaml', 'name: b\ntarget: http://x\nrequest:\n  path: /p\n  body: "a=1"\n');
    assert.deepEqual(brief((await loadScenarios([file], { scope })).warnings), [
      "body.yaml:5:3-7 'request.body' is sent without a Content-Type header: add one to headers",
    ]);
  });

  it('warns about duplicate scenario names and a hand-set key header', async () => {
    const a = await tmp.file('dup-a.yaml', 'name: same\ntarget: http://x\nrequest: { path: /p, headers: { idempotency-key: abc } }\n');
    const b = await tmp.file('dup-b.yaml', 'name: same\ntarget: http://x\nrequest: { path: /p }\n');
    const { warnings } = await loadScenarios([a, b], { scope });
    assert.deepEqual(brief(warnings), [
      "dup-a.yaml:3:33-48 'idempotency-key' is the idempotency header: idemchaos sets it on every request, so this value is ignored",
      `dup-b.yaml:1:1-5 another scenario is also named 'same' (${a}:1); reports will be hard to tell apart`,
    ]);
  });
});
