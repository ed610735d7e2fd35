import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findTemplateErrors,
  hasTemplate,
  referencesOf,
  renderString,
  renderValue,
  shellQuote,
} from '../../src/scenario/template.js';

const ctx = {
  scope: { env: { BASE_URL: 'http://api.test', SPACE: 'a b&c' }, vars: { sku: 'widget-1' }, secrets: { token: 's3cr3t' } },
  run: { runId: 'ic-0123', key: 'key-1' },
  captures: { user: "it's" },
};

describe('template syntax', () => {
  it('finds references, spaces optional', () => {
    const refs = referencesOf('{{env.BASE_URL}}/x/{{ run.id }}?k={{  key }}&u={{ uuid() }}&t={{now()}}&c={{ captures.user }}');
    assert.deepEqual(
      refs.map((r) => [r.kind, r.name, r.expr]),
      [
        ['env', 'BASE_URL', 'env.BASE_URL'],
        ['run.id', undefined, 'run.id'],
        ['key', undefined, 'key'],
        ['uuid', undefined, 'uuid()'],
        ['now', undefined, 'now()'],
        ['captures', 'user', 'captures.user'],
      ],
    );
    assert.deepEqual([refs[0]!.start, refs[0]!.end], [0, 16]);
  });

  it('names unknown expressions and unclosed templates', () => {
    assert.deepEqual(findTemplateErrors('ok {{ vars.a }}'), []);
    const [unknown] = findTemplateErrors('x {{ foo.bar }} y');
    assert.match(unknown!.message, /^unknown template expression 'foo.bar'/);
    assert.deepEqual([unknown!.start, unknown!.end], [2, 15]);
    assert.match(findTemplateErrors('{{ run_id }}')[0]!.message, /did you mean 'run\.id'/);
    assert.match(findTemplateErrors('{{ uuid }}')[0]!.message, /did you mean 'uuid\(\)'/);
    assert.match(findTemplateErrors('{{ ENV.X }}')[0]!.message, /lower case/);
    assert.match(findTemplateErrors('{{}}')[0]!.message, /^empty template/);
    assert.match(findTemplateErrors('a {{ env.X')[0]!.message, /^unclosed '\{\{'/);
  });

  it('leaves lone closing braces alone', () => {
    assert.deepEqual(findTemplateErrors('{"a":{"b":1}}'), []);
    assert.equal(renderString('{"a":{"b":1}}', ctx), '{"a":{"b":1}}');
  });

  it('hasTemplate', () => {
    assert.equal(hasTemplate('/orders/{{ run.id }}'), true);
    assert.equal(hasTemplate('/orders'), false);
  });
});

describe('renderString', () => {
  it('substitutes every kind of value', () => {
    assert.equal(
      renderString('{{ env.BASE_URL }}/{{vars.sku}}/{{ secrets.token }}/{{ run.id }}/{{ key }}/{{ captures.user }}', ctx),
      "http://api.test/widget-1/s3cr3t/ic-0123/key-1/it's",
    );
    assert.match(renderString('{{ uuid() }}', ctx), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.ok(!Number.isNaN(Date.parse(renderString('{{ now() }}', ctx))));
  });

  it('encodes substituted values only: paths', () => {
    assert.equal(renderString('/q?name={{ env.SPACE }}&x=a b', ctx, encodeURIComponent), '/q?name=a%20b%26c&x=a b');
  });

  it('encodes substituted values only: shell', () => {
    assert.equal(shellQuote("it's"), `'it'\\''s'`);
    assert.equal(shellQuote('ic-0123abcd'), 'ic-0123abcd', 'safe values go in bare, so they may sit inside quotes');
    assert.equal(renderString("echo {{ captures.user }} 'lit'", ctx, shellQuote), `echo 'it'\\''s' 'lit'`);
  });

  it('throws on undefined variables and bad templates', () => {
    assert.throws(() => renderString('{{ env.NOPE }}', ctx), /undefined variable 'env\.NOPE'/);
    assert.throws(() => renderString('{{ captures.nope }}', ctx), /undefined variable 'captures\.nope'/);
    assert.throws(() => renderString('{{ nope }}', ctx), /unknown template expression 'nope'/);
  });
});

describe('renderValue', () => {
  it('renders every string deeply and leaves keys and other values alone', () => {
    const input = { '{{ key }}': '{{ key }}', sku: '{{ vars.sku }}', qty: 2, ok: true, none: null, tags: ['{{ run.id }}', 3, { ref: 'r-{{ run.id }}' }] };
    assert.deepEqual(renderValue(input, ctx), {
      '{{ key }}': 'key-1',
      sku: 'widget-1',
      qty: 2,
      ok: true,
      none: null,
      tags: ['ic-0123', 3, { ref: 'r-ic-0123' }],
    });
    assert.equal(input.sku, '{{ vars.sku }}', 'the input is not mutated');
  });
});
