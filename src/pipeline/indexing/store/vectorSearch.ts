/**
 * Exact nearest-neighbour search by brute force over the segments' vectors (normalised, so
 * the dot product is the cosine). At 100k chunks this is a single pass over contiguous
 * Float32Arrays; an approximate index would only pay off well beyond that.
 */
import type { Layout } from './layout';
import { topKLive, type Scored } from './ranking';

export function vectorSearch(layout: Layout, modelId: string, query: Float32Array, k: number): Scored[] {
  const scores = new Float32Array(layout.total);
  const searched = new Uint8Array(layout.total);
  layout.segments.forEach((segment, s) => {
    const vectors = segment.vectors;
    if (!vectors || vectors.modelId !== modelId || vectors.dimension !== query.length) return;
    dotProducts(vectors.data, segment.size, vectors.dimension, query, layout.bases[s], scores);
    searched.fill(1, layout.bases[s], layout.bases[s] + segment.size);
  });
  for (let doc = 0; doc < searched.length; doc++) searched[doc] &= layout.live[doc];
  return topKLive(searched, scores, k);
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
