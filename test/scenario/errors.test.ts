import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatMessage, formatMessages, ScenarioError } from '../../src/scenario/errors.js';

const source = ['name: x', ...Array.from({ length: 12 }, (_, i) => `# line ${i + 2}`), 'attacks:', '  concurrent:', '    reqests: 20'].join('\n');

describe('formatMessage', () => {
  it('renders Hurl-style with carets under the marked columns', () => {
    const text = formatMessage(
      { file: 'scenarios/orders.yaml', line: 16, col: 5, endCol: 12, message: "unknown key 'reqests'; did you mean 'requests'?", severity: 'error' },
      source,
    );
    assert.equal(
      text,
      [
        "error: unknown key 'reqests'; did you mean 'requests'?",
        '  --> scenarios/orders.yaml:16:5',
        '   |',
        '16 |     reqests: 20',
        '   |     ^^^^^^^',
      ].join('\n'),
    );
  });

  it('marks one column without endCol, and sizes the gutter to the line number', () => {
    const text = formatMessage({ file: 'f.yaml', line: 1, col: 7, message: 'bad', severity: 'warning' }, 'name: x\n');
    assert.equal(text, ['warning: bad', ' --> f.yaml:1:7', '  |', '1 | name: x', '  |       ^'].join('\n'));
  });

  it('keeps tabs so carets stay aligned', () => {
    const text = formatMessage({ file: 'f', line: 1, col: 3, endCol: 4, message: 'm', severity: 'error' }, 'a\tb');
    assert.equal(text.split('\n').at(-1), '  |  \t^');
  });

  it('omits the excerpt when there is no source or line', () => {
    assert.equal(formatMessage({ file: 'f', line: 2, col: 1, message: 'm', severity: 'error' }), 'error: m\n --> f:2:1');
    assert.equal(formatMessage({ file: 'f', line: 0, col: 0, message: 'cannot read', severity: 'error' }, ''), 'error: cannot read\n  --> f');
  });

  it('formats several messages separated by blank lines', () => {
    const msgs = [
      { file: 'a', line: 1, col: 1, message: 'one', severity: 'error' as const },
      { file: 'b', line: 1, col: 1, message: 'two', severity: 'error' as const },
    ];
    const out = formatMessages(msgs, new Map([['a', 'x'], ['b', 'y']]));
    assert.equal(out.split('\n\n').length, 2);
  });
});

describe('ScenarioError', () => {
  it('carries every message and summarises them', () => {
    const err = new ScenarioError([
      { file: 'a', line: 1, col: 1, message: 'one', severity: 'error' },
      { file: 'b', line: 1, col: 1, message: 'two', severity: 'error' },
      { file: 'b', line: 2, col: 1, message: 'three', severity: 'error' },
    ]);
    assert.ok(err instanceof Error);
    assert.equal(err.name, 'ScenarioError');
    assert.equal(err.messages.length, 3);
    assert.equal(err.message, '3 errors in 2 scenario files');
    assert.deepEqual(err.warnings, []);
  });
});
