import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatStatusSet, parseStatusSet, statusIn } from '../../src/scenario/status.js';

describe('parseStatusSet', () => {
  it('compiles codes and classes', () => {
    assert.deepEqual(parseStatusSet([200, 201]), { text: '200, 201', codes: [200, 201], classes: [] });
    assert.deepEqual(parseStatusSet(['4xx', 409]), { text: '4xx, 409', codes: [409], classes: [4] });
    assert.deepEqual(parseStatusSet('5XX'), { text: '5xx', codes: [], classes: [5] });
    assert.deepEqual(parseStatusSet(409), { text: '409', codes: [409], classes: [] });
    assert.deepEqual(parseStatusSet('201'), { text: '201', codes: [201], classes: [] });
    assert.deepEqual(parseStatusSet([200, 200]), { text: '200', codes: [200], classes: [] });
  });

  it('rejects what is not a status', () => {
    assert.throws(() => parseStatusSet(600), /100 to 599/);
    assert.throws(() => parseStatusSet(99), /100 to 599/);
    assert.throws(() => parseStatusSet(200.5), /100 to 599/);
    assert.throws(() => parseStatusSet('6xx'), /class from 1xx to 5xx/);
    assert.throws(() => parseStatusSet('abc'), /invalid status 'abc'/);
    assert.throws(() => parseStatusSet([true]), /got true/);
    assert.throws(() => parseStatusSet([[200]]), /nested list/);
  });
});

describe('statusIn', () => {
  it('matches codes and classes', () => {
    const set = parseStatusSet([201, '4xx']);
    assert.equal(statusIn(set, 201), true);
    assert.equal(statusIn(set, 200), false);
    assert.equal(statusIn(set, 404), true);
    assert.equal(statusIn(set, 499), true);
    assert.equal(statusIn(set, 500), false);
    assert.equal(formatStatusSet(set), '201, 4xx');
  });
});
