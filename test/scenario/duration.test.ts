import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDuration, parseDuration } from '../../src/scenario/duration.js';

describe('parseDuration', () => {
  it('reads every unit, with decimals', () => {
    assert.equal(parseDuration('300ms'), 300);
    assert.equal(parseDuration('2s'), 2000);
    assert.equal(parseDuration('1.5s'), 1500);
    assert.equal(parseDuration('1.1s'), 1100);
    assert.equal(parseDuration('2m'), 120_000);
    assert.equal(parseDuration('1h'), 3_600_000);
    assert.equal(parseDuration('0ms'), 0);
  });

  it('asks for a unit when there is none', () => {
    assert.throws(() => parseDuration(300), /has no unit: add a unit, e\.g\. 300ms/);
    assert.throws(() => parseDuration('300'), /has no unit: add a unit, e\.g\. 300ms/);
  });

  it('rejects anything else with a clear message', () => {
    for (const bad of ['3x', '1.s', '.5s', '-1s', '5 s', 's', '', '1d']) {
      assert.throws(() => parseDuration(bad), /invalid duration|has no unit/, bad);
    }
  });
});

describe('formatDuration', () => {
  it('picks the shortest exact spelling', () => {
    assert.equal(formatDuration(300), '300ms');
    assert.equal(formatDuration(1500), '1.5s');
    assert.equal(formatDuration(2000), '2s');
    assert.equal(formatDuration(61_000), '61s');
    assert.equal(formatDuration(90_000), '1.5m');
    assert.equal(formatDuration(3_600_000), '1h');
    assert.equal(formatDuration(0), '0ms');
  });

  it('round-trips through parseDuration', () => {
    for (const ms of [1, 250, 999, 1000, 1234, 59_000, 60_000, 125_000, 7_200_000]) {
      assert.equal(parseDuration(formatDuration(ms)), ms);
    }
  });
});
