import assert from 'node:assert/strict';
import { test } from 'node:test';
import { quantize } from '../../src/pipeline/indexing/store/quantizedVectors';
import { GROUPS, groupsOf, groupsToScan, learnCodebook, membersByGroup } from '../../src/pipeline/indexing/store/vectorCodebook';
import { TopicVectors } from '../fixtures/topicVectors';
import { mulberry32 } from '../fixtures/random';

const DIMENSION = 384;
const noYield = () => Promise.resolve();

function topicVectors(count: number, seed: number): Float32Array {
  const topics = new TopicVectors(DIMENSION, 7);
  const random = mulberry32(seed);
  const out = new Float32Array(count * DIMENSION);
  for (let d = 0; d < count; d++) topics.draw(random, out.subarray(d * DIMENSION, (d + 1) * DIMENSION));
  return out;
}

function dot(a: Float32Array, at: number, b: Float32Array, bt: number): number {
  let sum = 0;
  for (let i = 0; i < DIMENSION; i++) sum += a[at + i] * b[bt + i];
  return sum;
}

test('scanning the groups nearest a query finds its true 10 nearest neighbours in a small share of the store', async () => {
  const count = 16_384;
  const data = topicVectors(count, 3);
  const codebook = await learnCodebook(1, 'm', DIMENSION, data.slice(0, 8192 * DIMENSION), mulberry32(9), noYield);
  const vectors = quantize('m', DIMENSION, data);
  const groups = await groupsOf(codebook, vectors, count, noYield);
  assert.ok(Math.max(...groups) < GROUPS);
  const { starts, members } = membersByGroup(groups);
  assert.equal(starts[GROUPS], count, 'every vector in exactly one group');

  const queries = topicVectors(50, 77);
  let found = 0;
  let scannedTotal = 0;
  for (let q = 0; q < 50; q++) {
    const query = queries.subarray(q * DIMENSION, (q + 1) * DIMENSION);
    const scores = Float32Array.from({ length: count }, (_, d) => dot(data, d * DIMENSION, query, 0));
    const exact = Array.from({ length: count }, (_, d) => d)
      .sort((a, b) => scores[b] - scores[a])
      .slice(0, 10);
    const candidates: number[] = [];
    for (const group of groupsToScan(codebook, query)) {
      for (let p = starts[group]; p < starts[group + 1]; p++) candidates.push(members[p]);
      if (candidates.length >= count * 0.03) break;
    }
    scannedTotal += candidates.length;
    const approx = new Set(candidates.sort((a, b) => scores[b] - scores[a]).slice(0, 10));
    found += exact.filter((d) => approx.has(d)).length;
  }
  const recall = found / 500;
  assert.ok(recall >= 0.95, `recall@10 ${recall.toFixed(3)} scanning ${((scannedTotal / 50 / count) * 100).toFixed(1)} % a query`);
  assert.ok(scannedTotal / 50 < count * 0.06, 'a query scans a small share');
});

test('a codebook learned twice from the same sample and seed is the same (segment bytes do not depend on the run)', async () => {
  const data = topicVectors(3000, 5);
  const a = await learnCodebook(1, 'm', DIMENSION, data, mulberry32(1), noYield);
  const b = await learnCodebook(1, 'm', DIMENSION, data, mulberry32(1), noYield);
  assert.deepEqual(a.fine, b.fine);
  assert.deepEqual(a.coarse, b.coarse);
});
