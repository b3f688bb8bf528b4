/**
 * The fusion of keyword and vector results (store/ranking.ts) and the calibration of vector
 * hits (store/vectorConfidence.ts): noise from a weak embedder never reorders BM25, a clear
 * outlier is let in. On generated cosines; the end-to-end figures are bench/retrievalQuality.ts's.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { fuseKeywordAndVector, type Scored } from '../../src/pipeline/indexing/store/ranking';
import { expectedMaximum, vectorConfidence, type CosineSpread } from '../../src/pipeline/indexing/store/vectorConfidence';
import type { VectorHits } from '../../src/pipeline/indexing/store/vectorSearch';
import { mulberry32 } from '../fixtures/random';

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
}

function unitVector(random: () => number, dimension: number): number[] {
  const values = Array.from({ length: dimension }, () => gaussian(random));
  const norm = Math.hypot(...values);
  return values.map((v) => v / norm);
}

const dot = (a: number[], b: number[]) => a.reduce((sum, v, i) => sum + v * b[i], 0);

/** A query's cosines to every chunk, as vector search reports them: the best `k` and the spread of all. */
function vectorHits(cosines: number[], k = 50): VectorHits {
  const mean = cosines.reduce((a, b) => a + b, 0) / cosines.length;
  const deviation = Math.sqrt(cosines.reduce((a, b) => a + (b - mean) ** 2, 0) / cosines.length);
  const hits = cosines
    .map((score, doc) => ({ doc, score }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k);
  return { hits, count: cosines.length, mean, deviation };
}

const keywordList = (...docs: number[]): Scored[] => docs.map((doc, rank) => ({ doc, score: 10 - rank }));

describe('keyword and vector fusion', () => {
  test('the expected best of n noise draws', () => {
    // Exact values of E[max of n standard normals].
    for (const [n, expected] of [
      [1, 0],
      [2, 0.564],
      [10, 1.539],
      [100, 2.508],
      [1000, 3.241],
    ]) {
      assert.ok(Math.abs(expectedMaximum(n) - expected) < 0.03, `n ${n}: ${expectedMaximum(n)}`);
    }
  });

  test('a random embedder: its best hit is no outlier, so BM25 keeps its order exactly', () => {
    const random = mulberry32(11);
    let confident = 0;
    const trials = 200;
    for (let trial = 0; trial < trials; trial++) {
      const query = unitVector(random, 32);
      const vector = vectorHits(Array.from({ length: 1000 }, () => dot(query, unitVector(random, 32))));
      if (vectorConfidence(vector.hits[0].score, vector) > 0) confident++;
      const keyword = keywordList(5, 3, 8, 1);
      const fused = fuseKeywordAndVector(keyword, vector, 10);
      if (vectorConfidence(vector.hits[0].score, vector) === 0) assert.deepEqual(fused.map((hit) => hit.doc), [5, 3, 8, 1]);
    }
    // The best of 1,000 draws passes the expected maximum plus the margin only now and then.
    assert.ok(confident <= trials * 0.05, `${confident} of ${trials} random queries had a confident hit`);
  });

  test('a clear outlier comes in even when it shares no keyword, and one BM25 ranks low moves up', () => {
    const random = mulberry32(5);
    const query = unitVector(random, 32);
    const cosines = Array.from({ length: 1000 }, () => dot(query, unitVector(random, 32)));
    cosines[42] = 0.95; // a passage that means what the question asks, in other words
    const vector = vectorHits(cosines);
    assert.equal(vectorConfidence(0.95, vector), 1);

    const withoutIt = fuseKeywordAndVector(keywordList(5, 3, 8), vector, 10);
    assert.deepEqual(
      withoutIt.map((hit) => hit.doc),
      [5, 42, 3, 8],
      'the vector-only outlier is let in, after the keyword first (a vector rank alone never outranks it)',
    );
    assert.equal(withoutIt.find((hit) => hit.doc === 42)?.confidence, 1);
    assert.ok(withoutIt.filter((hit) => hit.doc !== 42).every((hit) => hit.confidence === 0));

    const rankedThird = fuseKeywordAndVector(keywordList(5, 3, 42, 8), vector, 10);
    assert.deepEqual(rankedThird.map((hit) => hit.doc).slice(0, 2), [42, 5], 'both lists agree on it: first');
  });

  test('keywords found nothing: the nearest chunks in vector order, for the relevance gate to judge', () => {
    const vector = vectorHits([0.1, 0.3, 0.2]);
    assert.deepEqual(
      fuseKeywordAndVector([], vector, 5).map((hit) => hit.doc),
      [1, 2, 0],
    );
    const few: CosineSpread = { count: 3, mean: 0.2, deviation: 0.08 };
    assert.equal(vectorConfidence(0.9, few), 0, 'three chunks are too few to tell an outlier');
  });
});
