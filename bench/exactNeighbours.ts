/**
 * The exact top-k of some query vectors over a stream of vectors, by brute force: the
 * yardstick for an approximate index's recall. The dot products run as one ONNX MatMul per
 * batch (onnxruntime's SIMD kernels, ~20× a JavaScript loop: 100 queries over a million
 * 384-dimension vectors take seconds, not minutes); only the top-k bookkeeping is ours.
 */
import type { Transformers } from '../src/pipeline/embedding/worker/transformers';
import { loadTransformers } from '../src/pipeline/embedding/worker/transformers';

const BATCH = 32_768;

export class ExactNeighbours {
  private readonly batch: Float32Array;
  private inBatch = 0;
  private added = 0;
  /** Per query, its k best scores (descending) and their ordinals. */
  private readonly scores: Float32Array;
  private readonly ordinals: Int32Array;
  /** The queries as a `dimension × queries` matrix (MatMul's right side). */
  private readonly right: Float32Array;

  private constructor(
    private readonly library: Transformers,
    private readonly queryCount: number,
    private readonly dimension: number,
    private readonly k: number,
    queries: Float32Array[],
  ) {
    this.batch = new Float32Array(BATCH * dimension);
    this.scores = new Float32Array(queryCount * k).fill(-Infinity);
    this.ordinals = new Int32Array(queryCount * k).fill(-1);
    this.right = new Float32Array(dimension * queryCount);
    queries.forEach((query, q) => query.forEach((x, i) => (this.right[i * queryCount + q] = x)));
  }

  static async create(queries: Float32Array[], k: number): Promise<ExactNeighbours> {
    return new ExactNeighbours(await loadTransformers(), queries.length, queries[0].length, k, queries);
  }

  /** Takes the next vector of the stream (its ordinal is the number added before it). */
  async add(vector: Float32Array): Promise<void> {
    this.batch.set(vector, this.inBatch * this.dimension);
    if (++this.inBatch === BATCH) await this.flush();
  }

  /** Each query's k nearest ordinals, nearest first. */
  async result(): Promise<number[][]> {
    await this.flush();
    return Array.from({ length: this.queryCount }, (_, q) => [...this.ordinals.subarray(q * this.k, (q + 1) * this.k)].filter((o) => o >= 0));
  }

  private async flush(): Promise<void> {
    const rows = this.inBatch;
    if (rows === 0) return;
    const { matmul, Tensor } = this.library;
    const left = new Tensor('float32', this.batch.subarray(0, rows * this.dimension), [rows, this.dimension]);
    const product = (await matmul(left, new Tensor('float32', this.right, [this.dimension, this.queryCount]))).data as Float32Array;
    const { k, queryCount, scores, ordinals } = this;
    for (let row = 0; row < rows; row++) {
      for (let q = 0; q < queryCount; q++) {
        const score = product[row * queryCount + q];
        const top = q * k;
        if (score <= scores[top + k - 1]) continue;
        let at = top + k - 1;
        while (at > top && scores[at - 1] < score) {
          scores[at] = scores[at - 1];
          ordinals[at] = ordinals[at - 1];
          at--;
        }
        scores[at] = score;
        ordinals[at] = this.added + row;
      }
    }
    this.added += rows;
    this.inBatch = 0;
  }
}
