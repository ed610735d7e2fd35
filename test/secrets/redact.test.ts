import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isSecretHeader } from '../../src/secrets/names.js';
import { Redactor } from '../../src/secrets/redactor.js';
import { redactorForScenarios } from '../../src/secrets/scenarios.js';
import { exchangeRecord } from '../../src/report/evidence.js';
import type { Scenario } from '../../src/scenario/types.js';
import { parseStatusSet } from '../../src/scenario/status.js';
import { expectations } from '../helpers/builders.js';

const SECRET = 'p@ss w"rd/ü&1';
const KEY = '3f1c9a52-7d4e-4b8a-9c1f-0e2d4b6a8c10';

describe('Redactor: declared secrets', () => {
  it('masks raw, URL-encoded and JSON-escaped forms, longest first', () => {
    const r = new Redactor([SECRET, 'abc', 'abcdef', 'xy']);
    const text = [
      `raw ${SECRET}`,
      `url ${encodeURIComponent(SECRET)}`,
      `json ${JSON.stringify({ pw: SECRET })}`,
      'nested abcdef and abc',
      'short xy stays',
    ].join('\n');
    assert.equal(r.text(text), ['raw ***', 'url ***', 'json {"pw":"***"}', 'nested *** and ***', 'short xy stays'].join('\n'));
  });

  it('masks the base64 and base64url encodings of a secret, alone or inside a longer encoded text', () => {
    const r = new Redactor([SECRET]);
    const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');
    assert.equal(r.text(`echo ${b64(SECRET)}`), 'echo ***');
    assert.equal(r.text(`url-safe ${Buffer.from(SECRET, 'utf8').toString('base64url')}`), 'url-safe ***');
    // Inside a longer value (a Basic credential, a token payload), at each of the three byte offsets.
    for (const before of ['', 'u:', 'ab:', 'user:']) {
      for (const after of ['', '!', '#tail']) {
        const encoded = b64(`${before}${SECRET}${after}`);
        const shown = r.text(encoded);
        assert.ok(shown.includes('***'), `${before}…${after}: ${shown}`);
        // What is left is at most the groups that mix the secret with what surrounds it.
        assert.ok(shown.replace('***', '').length <= encoded.length - b64(SECRET).length + 8, `${before}…${after}: ${shown}`);
      }
    }
    // A short secret's base64 is too short to mask without mangling base64 bodies.
    assert.equal(new Redactor(['abc']).text(b64('abc')), b64('abc'));
  });

  it('adds values later (captured tokens), masking them from then on', () => {
    const r = new Redactor();
    assert.equal(r.text('token tok_123456'), 'token tok_123456');
    r.add('tok_123456', 'no');
    assert.equal(r.text('token tok_123456 no'), 'token *** no');
  });
});

describe('Redactor: headers', () => {
  const r = new Redactor([], { keyHeaders: ['Idempotency-Key', 'PayPal-Request-Id'] });
  const headers = {
    Authorization: 'Bearer abc.def.ghi',
    'proxy-authorization': 'Basic dXNlcjpwYXNz',
    Cookie: 'session=s3cr3t; theme=dark',
    'set-cookie': 'sid=abc123; Path=/; HttpOnly',
    'X-Auth-Token': 'tkn-1',
    'X-CSRF-TOKEN': 'csrf-1',
    'X-Api-Key': 'ak-1',
    'Ocp-Apim-Subscription-Key': 'sub-1',
    'X-Client-Secret': 'cs-1',
    Secret: 'plain-secret',
    'My-Api-Key-Id': 'id-1',
    'Idempotency-Key': KEY,
    'idempotency-key': KEY,
    'PayPal-Request-Id': 'req-1',
    'Content-Type': 'application/json',
    'X-Request-Id': 'visible-1',
    Location: 'https://u:p@api.test/orders/1?access_token=t0k&page=2',
  };

  it('masks credential headers by name (keeping an auth scheme), and nothing else', () => {
    assert.deepEqual(r.headers(headers), {
      Authorization: 'Bearer ***',
      'proxy-authorization': 'Basic ***',
      Cookie: '***',
      'set-cookie': '***',
      'X-Auth-Token': '***',
      'X-CSRF-TOKEN': '***',
      'X-Api-Key': '***',
      'Ocp-Apim-Subscription-Key': '***',
      'X-Client-Secret': '***',
      Secret: '***',
      'My-Api-Key-Id': '***',
      'Idempotency-Key': KEY,
      'idempotency-key': KEY,
      'PayPal-Request-Id': 'req-1',
      'Content-Type': 'application/json',
      'X-Request-Id': 'visible-1',
      Location: 'https://***:***@api.test/orders/1?access_token=***&page=2',
    });
  });

  it('keeps Idempotency-Key visible by default, and any key header it is given', () => {
    assert.equal(new Redactor().headers({ 'Idempotency-Key': KEY })['Idempotency-Key'], KEY);
    assert.equal(new Redactor([], { keyHeaders: ['X-Idem-Key'] }).headers({ 'X-Idem-Key': KEY, 'Idempotency-Key': KEY })['X-Idem-Key'], KEY);
    assert.equal(new Redactor([], { keyHeaders: ['X-Idem-Key'] }).headers({ 'Idempotency-Key': KEY })['Idempotency-Key'], '***');
    assert.equal(isSecretHeader('Idempotency-Key'), false);
    assert.equal(isSecretHeader('Idempotency-Key', []), true);
    assert.equal(isSecretHeader('x-session-token'), true);
    assert.equal(isSecretHeader('Keyboard'), false);
    assert.equal(isSecretHeader('Accept'), false);
  });
});

describe('Redactor: URLs in any text', () => {
  const r = new Redactor();

  it('masks user info', () => {
    assert.equal(r.text('GET https://user:pass@api.test/x failed'), 'GET https://***:***@api.test/x failed');
    assert.equal(r.text('target http://alice@api.test:8080/'), 'target http://***@api.test:8080/');
    assert.equal(r.text('mail bob@example.com, http://api.test/a@b'), 'mail bob@example.com, http://api.test/a@b');
  });

  it('masks credential-like query parameters, not the others', () => {
    const url =
      'https://s3.test/b/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=AKIA%2F1&X-Amz-Signature=abc123&access_token=t0k&api_key=k3y&client_secret=cs&page=2&ref=ic-1&idempotency_key=' +
      KEY;
    assert.equal(
      r.text(`oracle answered 500 (GET ${url})`),
      `oracle answered 500 (GET https://s3.test/b/o?X-Amz-Algorithm=AWS4&X-Amz-Credential=***&X-Amz-Signature=***&access_token=***&api_key=***&client_secret=***&page=2&ref=ic-1&idempotency_key=${KEY})`,
    );
    assert.equal(r.text('{"next":"/orders?page=2&token=abc#frag"}'), '{"next":"/orders?page=2&token=***#frag"}');
    assert.equal(r.text('sig: /x?sig=zz&key=kk&monkey=mm&keys='), 'sig: /x?sig=***&key=***&monkey=***&keys=');
  });

  it('covers every form in one text, keeping the idempotency key', () => {
    const r2 = new Redactor([SECRET], { keyHeaders: ['Idempotency-Key'] });
    const text = `POST https://svc:${encodeURIComponent(SECRET)}@api.test/orders?api_key=abc Idempotency-Key: ${KEY} body ${JSON.stringify(SECRET)} raw ${SECRET}`;
    const out = r2.text(text);
    assert.equal(out, `POST https://***:***@api.test/orders?api_key=*** Idempotency-Key: ${KEY} body "***" raw ***`);
    assert.ok(!out.includes(SECRET) && !out.includes(encodeURIComponent(SECRET)));
  });

  it('applies to exchange records: URL, headers and bodies', () => {
    const r2 = new Redactor(['tok_abcdef'], { keyHeaders: ['Idempotency-Key'] });
    const rec = exchangeRecord(
      r2.exchange({
        label: 'original',
        request: {
          method: 'POST',
          url: 'https://u:p@api.test/orders?access_token=tok_abcdef',
          headers: { Authorization: 'Bearer tok_abcdef', 'Idempotency-Key': KEY, 'X-Api-Key': 'k' },
          body: Buffer.from('{"a":1}'),
        },
        response: { status: 201, headers: { 'set-cookie': 'sid=x', 'idempotency-key': KEY }, body: Buffer.from('{"owner":"tok_abcdef"}') },
        startedAt: 0,
      }),
      4096,
    );
    assert.equal(rec.request.url, 'https://***:***@api.test/orders?access_token=***');
    assert.deepEqual(rec.request.headers, { Authorization: 'Bearer ***', 'Idempotency-Key': KEY, 'X-Api-Key': '***' });
    assert.deepEqual(rec.response!.headers, { 'set-cookie': '***', 'idempotency-key': KEY });
    assert.equal(rec.response!.body.text, '{"owner":"***"}');
  });
});

describe('redactorForScenarios', () => {
  const set = parseStatusSet([200]);
  const scenario = (over: Partial<Scenario>): Scenario => ({
    name: 's',
    file: 's.yaml',
    index: 0,
    pos: { file: 's.yaml', line: 1, col: 1 },
    target: 'http://api.test',
    request: { method: 'POST', path: '/o', headers: {} },
    idempotency: { header: 'Idempotency-Key' },
    expect: expectations({ success: set, inFlight: set, mismatch: set }),
    attackLines: {},
    ...over,
  });

  it('masks secrets, extra values and the rendered values of credential headers everywhere', () => {
    const scope = { env: { TOKEN: 'env-token-1', COOKIE: 'sid=cookievalue123; lang=en' }, vars: {}, secrets: { pw: 'hunter22' } };
    const s = scenario({
      request: { method: 'POST', path: '/o', headers: { Authorization: 'Bearer {{ env.TOKEN }}', 'X-Trace': 'visible' } },
      idempotency: { header: 'X-Idem-Key' },
      effects: {
        count: { kind: 'request', request: { method: 'GET', path: '/c', headers: { Cookie: '{{ env.COOKIE }}' } }, select: '$.n' },
        settleMs: 0,
        timeoutMs: 10_000,
      },
      setup: [
        { request: { method: 'POST', path: '/login', headers: { 'X-Api-Key': 'static-api-key' } }, capture: { token: '$.token' }, line: 1 },
      ],
      teardown: [{ request: { method: 'DELETE', path: '/s', headers: { Authorization: 'Bearer {{ captures.token }}' } }, capture: {}, line: 2 }],
    });
    const r = redactorForScenarios([s], scope, ['extra-secret']);
    assert.equal(
      r.text('env-token-1 cookievalue123 lang=en static-api-key hunter22 extra-secret visible'),
      '*** *** lang=en *** *** *** visible',
    );
    assert.deepEqual(r.headers({ 'X-Idem-Key': KEY, 'Idempotency-Key': KEY }), { 'X-Idem-Key': KEY, 'Idempotency-Key': '***' });
  });
});
