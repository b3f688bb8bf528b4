import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { estimateTimeLeft } from '../../src/host/timeLeft';

describe('estimateTimeLeft', () => {
  test('nothing before 2 s and 1 % of the run', () => {
    assert.equal(estimateTimeLeft(500, 1000, 0, 1999), undefined);
    assert.equal(estimateTimeLeft(9, 1000, 0, 10_000), undefined);
    assert.equal(estimateTimeLeft(0, 1000, 0, 10_000), undefined);
  });

  test('the rate so far, in seconds rounded up to 5 under a minute', () => {
    // 100 of 1,000 in 2 s: 900 more take 18 s.
    assert.deepEqual(estimateTimeLeft(100, 1000, 0, 2000), { seconds: 20 });
    assert.deepEqual(estimateTimeLeft(999, 1000, 0, 2000), { seconds: 5 });
  });

  test('whole minutes past a minute', () => {
    // 1,000 of 50,000 in 5 s: 49,000 more take 245 s.
    assert.deepEqual(estimateTimeLeft(1000, 50_000, 0, 5000), { minutes: 4 });
  });

  test('none once the run is done', () => {
    assert.equal(estimateTimeLeft(1000, 1000, 0, 5000), undefined);
  });
});
