/**
 * Nearest-neighbour search over the segments' int8 vectors (normalised before quantizing,
 * so the dot product is the cosine), scored with the query quantized too — integer dot
 * products, a quarter of float32's memory traffic. A segment placed in its model's codebook
 * (vectorCodebook.ts) has only the groups nearest the query scanned, others are scanned
 * whole; then the best `RESCORE` × k candidates are scored again exactly, the float query
 * against their dequantized vectors, so the order of the hits does not carry the query's
 * rounding. The spread of the query's cosines, which calibrates how much the hits can be
 * trusted (vectorConfidence.ts), is measured on the chunks scanned whole and an even sample
 * of the grouped ones: the groups scanned lie near the query and would overstate it.
 */
import type { Layout } from './layout';
import { quantizeOne } from './quantizedVectors';
import { topK, type Scored } from './ranking';
import { groupsToScan, type Codebook } from './vectorCodebook';
import type { CosineSpread } from './vectorConfidence';

/** Candidates per wanted hit that the int8 scan passes on to exact scoring. */
const RESCORE = 4;

/** The nearest chunks, best first, and the spread of the query's cosines to every live chunk searched. */
export interface VectorHits extends CosineSpread {
  hits: Scored[];
}

/**
 * The nearest live chunks to `query` among those with `modelId`'s vectors. Segments placed in
 * a codebook of `codebooks` are searched through it (only the groups nearest the query);
 * the others are scanned whole.
 */
export function vectorSearch(layout: Layout, modelId: string, query: Float32Array, k: number, codebooks: ReadonlyMap<number, Codebook> = new Map()): VectorHits {
  if (scratch.scores.length < layout.total) scratch = { scores: new Float32Array(layout.total), marks: new Uint8Array(layout.total) };
  const queryCodes = new Int8Array(query.length);
  const scan: Scan = { layout, query: queryCodes, queryScale: quantizeOne(query, 0, query.length, queryCodes), ...scratch, candidates: [], sampled: [] };
  const grouped = new Map<Codebook, number[]>();
  layout.segments.forEach((segment, s) => {
    const vectors = segment.vectors;
    if (!vectors || vectors.modelId !== modelId || vectors.dimension !== query.length) return;
    const codebook = segment.groups && codebooks.get(segment.groups.codebook);
    if (codebook && codebook.dimension === query.length) {
      grouped.set(codebook, [...(grouped.get(codebook) ?? []), s]);
      return;
    }
    const base = layout.bases[s];
    int8Dots(vectors.codes, vectors.scales, segment.size, vectors.dimension, queryCodes, scan.queryScale, base, scan.scores);
    for (let doc = base; doc < base + segment.size; doc++) {
      if (layout.live[doc] === 0) continue;
      scan.candidates.push(doc);
      scan.sampled.push(doc);
    }
  });
  for (const [codebook, segments] of grouped) scanNearestGroups(scan, codebook, groupsToScan(codebook, query), segments);
  // Only the chunks scored were touched: the scratch marks are cleared for the next search.
  for (const doc of scan.candidates) scan.marks[doc] = 0;
  const candidates = topK(scan.candidates, scan.scores, k * RESCORE);
  for (const candidate of candidates) candidate.score = exactDot(layout, candidate.doc, query);
  candidates.sort((a, b) => b.score - a.score);
  return { hits: candidates.slice(0, k), ...spread(scan.sampled, scan.scores), count: eligibleCount(layout, modelId, query.length) };
}

/** Chunks of grouped segments a query scans at least… */
const MIN_SCAN = 4096;
/** …and at least this share of them (the groups nearest the query first). */
const SCAN_SHARE = 0.008;
/** Chunks of grouped segments scored for the spread, spaced evenly. */
const SPREAD_SAMPLE = 1024;

/**
 * Scores and marks kept from one search to the next (a search never yields, so one set
 * serves all): allocating and zeroing megabytes per query, and passes over every chunk,
 * cost more at a million chunks than scanning the groups. A search clears what it marked.
 */
let scratch = { scores: new Float32Array(0), marks: new Uint8Array(0) };
/** Per layout and model: how many live chunks have its vectors (the N the spread's expected maximum needs). */
const eligible = new WeakMap<Layout, Map<string, number>>();

interface Scan {
  layout: Layout;
  query: Int8Array;
  queryScale: number;
  scores: Float32Array;
  /** 1: scored (in `candidates`). */
  marks: Uint8Array;
  /** Live chunks scored. */
  candidates: number[];
  /** Live chunks the spread is measured on: every one of the segments scanned whole, and an even sample of the grouped ones (the groups scanned lie near the query). */
  sampled: number[];
}

/** Scores the live chunks of `segments` in the groups `order` names, nearest first, until enough are scored; then an even sample for the spread. */
function scanNearestGroups(scan: Scan, codebook: Codebook, order: Uint16Array, segments: number[]): void {
  const { layout, scores, marks } = scan;
  const total = segments.reduce((sum, s) => sum + layout.segments[s].size, 0);
  const budget = Math.max(MIN_SCAN, Math.ceil(total * SCAN_SHARE));
  const members = segments.map((s) => layout.segments[s].groupMembers()!);
  let scanned = 0;
  for (let g = 0; g < order.length && scanned < budget; g++) {
    const group = order[g];
    segments.forEach((s, j) => {
      const { starts, members: of } = members[j];
      const vectors = layout.segments[s].vectors!;
      scanned += int8DotsOf(vectors.codes, vectors.scales, of, starts[group], starts[group + 1], codebook.dimension, layout.bases[s], scan);
    });
  }
  const stride = Math.max(1, Math.floor(total / SPREAD_SAMPLE));
  for (const s of segments) {
    const segment = layout.segments[s];
    const { codes, scales, dimension } = segment.vectors!;
    const base = layout.bases[s];
    for (let d = 0; d < segment.size; d += stride) {
      const doc = base + d;
      if (layout.live[doc] === 0) continue;
      if (marks[doc] === 0) {
        scores[doc] = int8Dot(codes, scales[d], d * dimension, dimension, scan.query, scan.queryScale);
        marks[doc] = 1;
        scan.candidates.push(doc);
      }
      scan.sampled.push(doc);
    }
  }
}

/** `int8Dots` for the live chunks `of[from..to)` of a segment; returns how many chunks it looked at. */
function int8DotsOf(codes: Int8Array, scales: Float32Array, of: Uint32Array, from: number, to: number, dimension: number, base: number, scan: Scan): number {
  const { live } = scan.layout;
  for (let p = from; p < to; p++) {
    const d = of[p];
    const doc = base + d;
    if (live[doc] === 0) continue;
    scan.scores[doc] = int8Dot(codes, scales[d], d * dimension, dimension, scan.query, scan.queryScale);
    scan.marks[doc] = 1;
    scan.candidates.push(doc);
  }
  return to - from;
}

/**
 * The hot loop, small so that V8 inlines it and monomorphic so that it stays optimised. The
 * sums stay small integers (384 × 127² fits 32 bits); two side by side ran about twice as
 * fast as one here, four no faster than two.
 */
function int8Dot(codes: Int8Array, scale: number, at: number, dimension: number, query: Int8Array, queryScale: number): number {
  let a = 0;
  let b = 0;
  let i = 0;
  for (; i + 1 < dimension; i += 2) {
    a = (a + codes[at + i] * query[i]) | 0;
    b = (b + codes[at + i + 1] * query[i + 1]) | 0;
  }
  if (i < dimension) a = (a + codes[at + i] * query[i]) | 0;
  return (a + b) * scale * queryScale;
}

function eligibleCount(layout: Layout, modelId: string, dimension: number): number {
  const key = `${dimension}/${modelId}`;
  let counts = eligible.get(layout);
  if (!counts) eligible.set(layout, (counts = new Map()));
  let count = counts.get(key);
  if (count === undefined) {
    count = 0;
    layout.segments.forEach((segment, s) => {
      if (segment.vectors?.modelId !== modelId || segment.vectors.dimension !== dimension) return;
      for (let doc = layout.bases[s]; doc < layout.bases[s] + segment.size; doc++) count! += layout.live[doc];
    });
    counts.set(key, count);
  }
  return count;
}

/** Mean and standard deviation of the scores of `docs`, in two passes (no cancellation error). */
function spread(docs: number[], scores: Float32Array): CosineSpread {
  let sum = 0;
  for (const doc of docs) sum += scores[doc];
  const mean = docs.length ? sum / docs.length : 0;
  let squares = 0;
  for (const doc of docs) squares += (scores[doc] - mean) ** 2;
  return { count: docs.length, mean, deviation: docs.length ? Math.sqrt(squares / docs.length) : 0 };
}

/** Every chunk's int8 dot product with the query, scaled, into `out` from `base`. */
function int8Dots(codes: Int8Array, scales: Float32Array, count: number, dimension: number, query: Int8Array, queryScale: number, base: number, out: Float32Array): void {
  // One kernel for both scans: V8 inlines it, as fast here as a loop written out with four sums (measured).
  for (let d = 0; d < count; d++) out[base + d] = int8Dot(codes, scales[d], d * dimension, dimension, query, queryScale);
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
