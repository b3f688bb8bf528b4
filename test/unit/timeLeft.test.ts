import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TimeLeftEstimator } from '../../src/host/timeLeft';

/** Feeds a run that does `perSecond(t)` items in second t, sampled every 100 ms; returns the last estimate. */
function run(total: number, seconds: number, perSecond: (second: number) => number) {
  const estimator = new TimeLeftEstimator(0);
  let done = 0;
  let left;
  for (let at = 100; at <= seconds * 1000; at += 100) {
    done += perSecond(Math.floor((at - 1) / 1000)) / 10;
    left = estimator.update(Math.round(done), total, at);
  }
  return left;
}

describe('TimeLeftEstimator', () => {
  test('nothing before 2 s and 1 % of the run', () => {
    assert.equal(run(1000, 1.9, () => 300), undefined);
    assert.equal(run(100_000, 5, () => 100), undefined, '500 of 100,000 is under 1 %');
  });

  test('a steady rate: seconds rounded up to 5 under a minute, whole minutes past it', () => {
    // 100 a second: after 2 s, 800 more take 8 s.
    assert.deepEqual(run(1000, 2, () => 100), { seconds: 10 });
    // 200 a second: after 5 s, 49,000 more take 245 s.
    assert.deepEqual(run(50_000, 5, () => 200), { minutes: 4 });
  });

  test('the recent rate counts, not the fast start of files found unchanged', () => {
    // 2 s of unchanged files at 2,000 a second, then 15 s of reading at 100 a second:
    // 10,000 − 5,500 = 4,500 left at 100 a second is 45 s, not the 18 s the whole-run average says.
    assert.deepEqual(run(10_000, 17, (second) => (second < 2 ? 2000 : 100)), { seconds: 45 });
  });

  test('none once the run is done', () => {
    assert.equal(run(1000, 5, () => 300), undefined);
  });
});
