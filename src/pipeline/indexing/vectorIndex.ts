/**
 * Dense vectors of the chunks, searched by brute force (exact cosine on normalised vectors).
 * Saved with the id of the model that made them, so a model change is noticed and the
 * chunks are embedded again instead of mixing incompatible vectors.
 */
export interface SavedVectors {
  modelId: string;
  dimension: number;
  ids: string[];
  /** All vectors, concatenated, as base64 of a Float32Array. */
  data: string;
}

export class VectorIndex {
  private readonly vectors = new Map<string, Float32Array>();

  constructor(readonly modelId: string) {}

  static fromJSON(saved: SavedVectors): VectorIndex {
    const index = new VectorIndex(saved.modelId);
    const bytes = Buffer.from(saved.data, 'base64');
    const all = new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
    saved.ids.forEach((id, i) => index.vectors.set(id, all.slice(i * saved.dimension, (i + 1) * saved.dimension)));
    return index;
  }

  toJSON(): SavedVectors {
    const ids = [...this.vectors.keys()];
    const dimension = ids.length ? this.vectors.get(ids[0])!.length : 0;
    const all = new Float32Array(ids.length * dimension);
    ids.forEach((id, i) => all.set(this.vectors.get(id)!, i * dimension));
    return { modelId: this.modelId, dimension, ids, data: Buffer.from(all.buffer).toString('base64') };
  }

  get size(): number {
    return this.vectors.size;
  }

  has(id: string): boolean {
    return this.vectors.has(id);
  }

  set(ids: string[], vectors: Float32Array[]): void {
    ids.forEach((id, i) => this.vectors.set(id, vectors[i]));
  }

  remove(ids: string[]): void {
    for (const id of ids) this.vectors.delete(id);
  }

  query(vector: Float32Array, k: number): { id: string; score: number }[] {
    const scored: { id: string; score: number }[] = [];
    for (const [id, candidate] of this.vectors) {
      let score = 0;
      for (let i = 0; i < candidate.length; i++) score += candidate[i] * vector[i];
      scored.push({ id, score });
    }
    return scored.sort((a, b) => b.score - a.score).slice(0, k);
  }
}

/** Reciprocal rank fusion (k = 60, as qmd and the literature use): ids by fused score. */
export function reciprocalRankFusion(rankings: string[][], k = 60): { id: string; score: number }[] {
  const scores = new Map<string, number>();
  for (const ranking of rankings) ranking.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}
