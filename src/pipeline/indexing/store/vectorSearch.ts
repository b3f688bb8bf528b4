/**
 * Exact nearest-neighbour search by brute force over the segments' vectors (normalised, so
 * the dot product is the cosine). At 100k chunks this is a single pass over contiguous
 * Float32Arrays; an approximate index would only pay off well beyond that. Every live chunk
 * is scored anyway, so the spread of the query's cosines comes almost free: it calibrates
 * how much the hits can be trusted (vectorConfidence.ts).
 */
import type { Layout } from './layout';
import { topKLive, type Scored } from './ranking';
import type { CosineSpread } from './vectorConfidence';

/** The nearest chunks, best first, and the spread of the query's cosines to every live chunk searched. */
export interface VectorHits extends CosineSpread {
  hits: Scored[];
}

export function vectorSearch(layout: Layout, modelId: string, query: Float32Array, k: number): VectorHits {
  const scores = new Float32Array(layout.total);
  const searched = new Uint8Array(layout.total);
  layout.segments.forEach((segment, s) => {
    const vectors = segment.vectors;
    if (!vectors || vectors.modelId !== modelId || vectors.dimension !== query.length) return;
    dotProducts(vectors.data, segment.size, vectors.dimension, query, layout.bases[s], scores);
    searched.fill(1, layout.bases[s], layout.bases[s] + segment.size);
  });
  for (let doc = 0; doc < searched.length; doc++) searched[doc] &= layout.live[doc];
  return { hits: topKLive(searched, scores, k), ...spread(searched, scores) };
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

/** The hot loop, in a function of its own so that it stays monomorphic and optimised. */
function dotProducts(data: Float32Array, count: number, dimension: number, query: Float32Array, base: number, out: Float32Array): void {
  for (let d = 0; d < count; d++) {
    let dot = 0;
    const at = d * dimension;
    for (let i = 0; i < dimension; i++) dot += data[at + i] * query[i];
    out[base + d] = dot;
  }
}
