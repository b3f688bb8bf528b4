/**
 * Vectors kept as int8 with one scale per vector (its largest magnitude over 127): a
 * quarter of float32's bytes, which is what lets a million 384-dimension vectors (1.5 GB as
 * floats) load in a laptop's memory. A scale per vector rather than per dimension because
 * embeddings are normalised, so each vector fills its own range; on clustered vectors it lost
 * less than a shared per-dimension scale (see quantizedVectors.test.ts for both measured).
 * Quantizing what was dequantized gives back the same codes, so merges and rewrites of a
 * segment do not add error.
 */

/** Every chunk's vector of a segment, from one model, quantized. */
export interface QuantizedVectors {
  modelId: string;
  dimension: number;
  /** `dimension` codes per chunk, in chunk order. */
  codes: Int8Array;
  /** Per chunk: the vector is `codes * scale`. */
  scales: Float32Array;
}

const LEVELS = 127;

export function quantize(modelId: string, dimension: number, data: Float32Array): QuantizedVectors {
  const count = dimension ? data.length / dimension : 0;
  const codes = new Int8Array(count * dimension);
  const scales = new Float32Array(count);
  for (let d = 0; d < count; d++) scales[d] = quantizeOne(data, d * dimension, dimension, codes);
  return { modelId, dimension, codes, scales };
}

/** Writes `data[at..at+dimension)`'s codes at the same place of `codes`; returns its scale. */
export function quantizeOne(data: ArrayLike<number>, at: number, dimension: number, codes: Int8Array, out = at): number {
  let max = 0;
  for (let i = 0; i < dimension; i++) max = Math.max(max, Math.abs(data[at + i]));
  if (max === 0) return 0;
  const scale = Math.fround(max / LEVELS);
  for (let i = 0; i < dimension; i++) codes[out + i] = Math.max(-LEVELS, Math.min(LEVELS, Math.round(data[at + i] / scale)));
  return scale;
}

export function dequantize(vectors: QuantizedVectors, d: number): Float32Array {
  const { dimension, codes, scales } = vectors;
  const out = new Float32Array(dimension);
  const scale = scales[d];
  for (let i = 0, at = d * dimension; i < dimension; i++) out[i] = codes[at + i] * scale;
  return out;
}
