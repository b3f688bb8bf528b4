/**
 * Nearest-neighbour search over the segments' int8 vectors (normalised before quantizing,
 * so the dot product is the cosine). Every live chunk is scored with the query quantized
 * too — integer dot products, a quarter of float32's memory traffic — and the best
 * `RESCORE` × k candidates are scored again exactly, the float query against their
 * dequantized vectors, so the order of the hits does not carry the query's rounding. Every
 * live chunk is scored anyway, so the spread of the query's cosines comes almost free: it
 * calibrates how much the hits can be trusted (vectorConfidence.ts).
 */
import type { Layout } from './layout';
import { quantizeOne } from './quantizedVectors';
import { topKLive, type Scored } from './ranking';
import type { CosineSpread } from './vectorConfidence';

/** Candidates per wanted hit that the int8 scan passes on to exact scoring. */
const RESCORE = 4;

/** The nearest chunks, best first, and the spread of the query's cosines to every live chunk searched. */
export interface VectorHits extends CosineSpread {
  hits: Scored[];
}

export function vectorSearch(layout: Layout, modelId: string, query: Float32Array, k: number): VectorHits {
  const scores = new Float32Array(layout.total);
  const searched = new Uint8Array(layout.total);
  const queryCodes = new Int8Array(query.length);
  const queryScale = quantizeOne(query, 0, query.length, queryCodes);
  layout.segments.forEach((segment, s) => {
    const vectors = segment.vectors;
    if (!vectors || vectors.modelId !== modelId || vectors.dimension !== query.length) return;
    int8Dots(vectors.codes, vectors.scales, segment.size, vectors.dimension, queryCodes, queryScale, layout.bases[s], scores);
    searched.fill(1, layout.bases[s], layout.bases[s] + segment.size);
  });
  for (let doc = 0; doc < searched.length; doc++) searched[doc] &= layout.live[doc];
  const candidates = topKLive(searched, scores, k * RESCORE);
  for (const candidate of candidates) candidate.score = exactDot(layout, candidate.doc, query);
  candidates.sort((a, b) => b.score - a.score);
  return { hits: candidates.slice(0, k), ...spread(searched, scores) };
}

/** Mean and standard deviation of the searched scores, in two passes (no cancellation error). */
function spread(searched: Uint8Array, scores: Float32Array): CosineSpread {
  let count = 0;
  let sum = 0;
  for (let doc = 0; doc < scores.length; doc++) {
    if (searched[doc] === 0) continue;
    count++;
    sum += scores[doc];
  }
  const mean = count ? sum / count : 0;
  let squares = 0;
  for (let doc = 0; doc < scores.length; doc++) if (searched[doc] !== 0) squares += (scores[doc] - mean) ** 2;
  return { count, mean, deviation: count ? Math.sqrt(squares / count) : 0 };
}

/** The hot loop, in a function of its own so that it stays monomorphic and optimised; the sums stay small integers. */
function int8Dots(codes: Int8Array, scales: Float32Array, count: number, dimension: number, query: Int8Array, queryScale: number, base: number, out: Float32Array): void {
  for (let d = 0; d < count; d++) {
    let dot = 0;
    const at = d * dimension;
    for (let i = 0; i < dimension; i++) dot = (dot + codes[at + i] * query[i]) | 0;
    out[base + d] = dot * scales[d] * queryScale;
  }
}

/** The float query against chunk `doc`'s dequantized vector. */
function exactDot(layout: Layout, doc: number, query: Float32Array): number {
  const { segments, bases } = layout;
  let s = segments.length - 1;
  while (bases[s] > doc) s--;
  const { codes, scales, dimension } = segments[s].vectors!;
  const at = (doc - bases[s]) * dimension;
  let dot = 0;
  for (let i = 0; i < dimension; i++) dot += codes[at + i] * query[i];
  return dot * scales[doc - bases[s]];
}
