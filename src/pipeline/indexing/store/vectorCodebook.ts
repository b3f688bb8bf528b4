/**
 * The approximate vector index: an inverted file over a two-level codebook. 32 coarse
 * centroids, and 32 fine ones inside each, are learned once per embedding model by spherical
 * k-means from a sample of the store's vectors; every chunk then belongs to the fine centroid
 * nearest to it (looked for under its two nearest coarse ones), and a query scans only the
 * chunks of the fine centroids nearest to it, ~1 % of the store, before their exact
 * rescoring. Two levels so that placing a chunk costs 96 dot products, not 1,024.
 *
 * One codebook for the whole store, not one per segment: a segment of a few thousand chunks
 * can afford only ~64 centroids, each a blur of many topics, and scanning 4 % of such groups
 * found 0.90 of the true 10 nearest on topic-mixture vectors, where the store-wide codebook
 * found 0.99 scanning 1 % (test/fixtures/topicVectors.ts's vectors, 100k chunks).
 *
 * Why our own and not a library: those that serve (usearch, hnswlib-node, faiss-node)
 * compile at install or download binaries from GitHub, none ships prebuilt binaries for
 * every platform the .vsix targets, and HNSW keeps float32 vectors resident (1.5 GB at a
 * million 384-dimension vectors, over the memory budget by itself).
 */

/** Vectors a model needs in the store before a codebook is learned for it; fewer are scanned whole in milliseconds. */
export const CODEBOOK_MIN_VECTORS = 32_768;
export const COARSE = 32;
export const FINE = 32;
/** Groups (fine centroids) in a codebook; a chunk's group fits a Uint16. */
export const GROUPS = COARSE * FINE;
/** Vectors k-means learns from: a sample, so learning stays a few seconds at any size. */
export const TRAINING_SAMPLE = 16_384;
const ITERATIONS = 4;
/** A chunk is placed under this many of its nearest coarse centroids' fine ones (a chunk near a border is not lost). */
const PLACE_COARSE = 2;
/** A query looks at the fine centroids of this many nearest coarse ones. */
const PROBE_COARSE = 8;

export interface Codebook {
  id: number;
  modelId: string;
  dimension: number;
  /** COARSE unit vectors, then COARSE × FINE (fine ones of coarse c at c·FINE…). */
  coarse: Float32Array;
  fine: Float32Array;
}

/** Vectors as a segment holds them: int8 codes, `dimension` per vector (their scales do not change a direction). */
export interface CodedVectors {
  dimension: number;
  codes: Int8Array;
}

/**
 * Learns a codebook from `sample` (unit vectors, `dimension` floats each). Yields to the event
 * loop as it goes: a Stop arriving meanwhile must not wait for it.
 */
export async function learnCodebook(id: number, modelId: string, dimension: number, sample: Float32Array, random: () => number, yieldNow: () => Promise<void>): Promise<Codebook> {
  const n = sample.length / dimension;
  const all = Uint32Array.from({ length: n }, (_, i) => i);
  const coarse = await kMeans(sample, dimension, all, COARSE, random, yieldNow);
  const members: number[][] = Array.from({ length: COARSE }, () => []);
  for (let i = 0; i < n; i++) members[nearest(sample, i * dimension, dimension, coarse, 0, COARSE)].push(i);
  const fine = new Float32Array(GROUPS * dimension);
  for (let c = 0; c < COARSE; c++) {
    // A coarse group with fewer vectors than fine centroids borrows the whole sample's.
    const own = members[c].length >= FINE ? Uint32Array.from(members[c]) : all;
    fine.set(await kMeans(sample, dimension, own, FINE, random, yieldNow), c * FINE * dimension);
  }
  return { id, modelId, dimension, coarse, fine };
}

/** The group of vector `d` of `vectors`: its nearest fine centroid under its nearest coarse ones. */
export function groupOf(codebook: Codebook, vectors: CodedVectors, d: number): number {
  const { dimension, coarse, fine } = codebook;
  const at = d * dimension;
  const nearCoarse = bestOf(COARSE, PLACE_COARSE, (c) => dotCodes(vectors.codes, at, coarse, c * dimension, dimension));
  let best = 0;
  let bestDot = -Infinity;
  for (const c of nearCoarse) {
    for (let f = c * FINE; f < (c + 1) * FINE; f++) {
      const dot = dotCodes(vectors.codes, at, fine, f * dimension, dimension);
      if (dot > bestDot) {
        bestDot = dot;
        best = f;
      }
    }
  }
  return best;
}

/** The groups of every vector of a segment. */
export async function groupsOf(codebook: Codebook, vectors: CodedVectors, count: number, yieldNow: () => Promise<void>): Promise<Uint16Array> {
  const groups = new Uint16Array(count);
  for (let d = 0; d < count; d++) {
    groups[d] = groupOf(codebook, vectors, d);
    if (d % 256 === 255) await yieldNow();
  }
  return groups;
}

/** The groups a query should scan, nearest first: the fine centroids of its nearest coarse ones. */
export function groupsToScan(codebook: Codebook, query: Float32Array): Uint16Array {
  const { dimension, coarse, fine } = codebook;
  const nearCoarse = bestOf(COARSE, PROBE_COARSE, (c) => dotFloats(query, coarse, c * dimension, dimension));
  const scored: { group: number; dot: number }[] = [];
  for (const c of nearCoarse) for (let f = c * FINE; f < (c + 1) * FINE; f++) scored.push({ group: f, dot: dotFloats(query, fine, f * dimension, dimension) });
  scored.sort((a, b) => b.dot - a.dot);
  return Uint16Array.from(scored, (entry) => entry.group);
}

/** Each group's chunks of a segment: `members[starts[g] .. starts[g + 1])` are group g's, in chunk order. */
export function membersByGroup(groups: Uint16Array): { starts: Uint32Array; members: Uint32Array } {
  const starts = new Uint32Array(GROUPS + 1);
  for (let d = 0; d < groups.length; d++) starts[groups[d] + 1]++;
  for (let g = 0; g < GROUPS; g++) starts[g + 1] += starts[g];
  const next = starts.slice(0, GROUPS);
  const members = new Uint32Array(groups.length);
  for (let d = 0; d < groups.length; d++) members[next[groups[d]]++] = d;
  return { starts, members };
}

/** Spherical k-means over the vectors of `sample` numbered in `of`; `k` unit centroids. */
async function kMeans(sample: Float32Array, dimension: number, of: Uint32Array, k: number, random: () => number, yieldNow: () => Promise<void>): Promise<Float32Array> {
  const centroids = new Float32Array(k * dimension);
  const start = pick(of.length, k, random);
  for (let c = 0; c < k; c++) {
    const at = of[start[c % start.length]] * dimension;
    centroids.set(sample.subarray(at, at + dimension), c * dimension);
  }
  const nearestOf = new Uint16Array(of.length);
  for (let iteration = 0; iteration < ITERATIONS; iteration++) {
    for (let i = 0; i < of.length; i++) {
      nearestOf[i] = nearest(sample, of[i] * dimension, dimension, centroids, 0, k);
      if (i % 512 === 511) await yieldNow();
    }
    recenter(sample, dimension, of, nearestOf, centroids, k);
  }
  return centroids;
}

/** `k` distinct indexes below `n` (all of them when `n` ≤ `k`), by a partial Fisher–Yates shuffle. */
function pick(n: number, k: number, random: () => number): Uint32Array {
  const count = Math.min(n, k);
  const moved = new Map<number, number>();
  const picked = new Uint32Array(count);
  for (let i = 0; i < count; i++) {
    const j = i + Math.floor(random() * (n - i));
    picked[i] = moved.get(j) ?? j;
    moved.set(j, moved.get(i) ?? i);
  }
  return picked;
}

/** Each centroid becomes the normalised sum of its vectors; one with none keeps its place. */
function recenter(sample: Float32Array, dimension: number, of: Uint32Array, nearestOf: Uint16Array, centroids: Float32Array, k: number): void {
  const sums = new Float64Array(k * dimension);
  for (let i = 0; i < of.length; i++) {
    const at = of[i] * dimension;
    const base = nearestOf[i] * dimension;
    for (let j = 0; j < dimension; j++) sums[base + j] += sample[at + j];
  }
  for (let c = 0; c < k; c++) {
    const base = c * dimension;
    let norm = 0;
    for (let j = 0; j < dimension; j++) norm += sums[base + j] * sums[base + j];
    if (norm === 0) continue;
    norm = Math.sqrt(norm);
    for (let j = 0; j < dimension; j++) centroids[base + j] = sums[base + j] / norm;
  }
}

function nearest(vectors: Float32Array, at: number, dimension: number, centroids: Float32Array, from: number, to: number): number {
  let best = from;
  let bestDot = -Infinity;
  for (let c = from; c < to; c++) {
    let dot = 0;
    for (let i = 0, base = c * dimension; i < dimension; i++) dot += vectors[at + i] * centroids[base + i];
    if (dot > bestDot) {
      bestDot = dot;
      best = c;
    }
  }
  return best;
}

/** The `k` of `0 … n-1` with the highest `score`, best first. */
function bestOf(n: number, k: number, score: (i: number) => number): number[] {
  const scores = Array.from({ length: n }, (_, i) => ({ i, s: score(i) }));
  scores.sort((a, b) => b.s - a.s);
  return scores.slice(0, k).map((entry) => entry.i);
}

function dotFloats(vector: Float32Array, matrix: Float32Array, at: number, dimension: number): number {
  let dot = 0;
  for (let i = 0; i < dimension; i++) dot += vector[i] * matrix[at + i];
  return dot;
}

function dotCodes(codes: Int8Array, at: number, matrix: Float32Array, base: number, dimension: number): number {
  let dot = 0;
  for (let i = 0; i < dimension; i++) dot += codes[at + i] * matrix[base + i];
  return dot;
}

const MAGIC = 0x4243524c; // "LRCB"

/** A codebook as its file holds it: a small JSON header, then the centroids. */
export function encodeCodebook(codebook: Codebook): Buffer {
  const header = Buffer.from(JSON.stringify({ id: codebook.id, modelId: codebook.modelId, dimension: codebook.dimension, coarse: COARSE, fine: FINE }), 'utf8');
  const start = (8 + header.length + 3) & ~3;
  const out = Buffer.alloc(start + (codebook.coarse.byteLength + codebook.fine.byteLength));
  out.writeUInt32LE(MAGIC, 0);
  out.writeUInt32LE(header.length, 4);
  header.copy(out, 8);
  out.set(new Uint8Array(codebook.coarse.buffer, codebook.coarse.byteOffset, codebook.coarse.byteLength), start);
  out.set(new Uint8Array(codebook.fine.buffer, codebook.fine.byteOffset, codebook.fine.byteLength), start + codebook.coarse.byteLength);
  return out;
}

/** Reads what `encodeCodebook` wrote; throws on anything else. */
export function decodeCodebook(bytes: Buffer): Codebook {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) throw new Error('not a Local RAG codebook');
  const length = bytes.readUInt32LE(4);
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + length)) as { id: number; modelId: string; dimension: number; coarse: number; fine: number };
  if (header.coarse !== COARSE || header.fine !== FINE || !(header.dimension > 0)) throw new Error('a codebook of another shape');
  const start = (8 + length + 3) & ~3;
  const floats = (COARSE + GROUPS) * header.dimension;
  if (bytes.length !== start + floats * 4) throw new Error('the codebook file is truncated');
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + floats * 4));
  return { id: header.id, modelId: header.modelId, dimension: header.dimension, coarse: all.subarray(0, COARSE * header.dimension), fine: all.subarray(COARSE * header.dimension) };
}
