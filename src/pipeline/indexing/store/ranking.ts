/**
 * How results are scored and ranked, apart from how they are found: BM25+ as MiniSearch
 * computes it (k 1.2, b 0.7, d 0.5, and its weights for prefix and fuzzy matches), so the
 * XQuAD tuning done on MiniSearch carries over; the best k of a scored collection; and the
 * reciprocal rank fusion of keyword and vector results. Finding the postings a query
 * matches is bm25.ts's, finding the nearest vectors vectorSearch.ts's.
 */
import type { Layout } from './layout';

const K = 1.2;
const B = 0.7;
const D = 0.5;
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;
/** A query typed with accents counts a match of its exact forms this many times more than a folded one. */
export const EXACT_BOOST = 2;
/** Candidates each of keyword and vector search bring to the fusion. */
export const FUSION_CANDIDATES = 50;

export interface Scored {
  doc: number;
  score: number;
}

/** BM25's length normalisation of every chunk: k · (1 − b + b · length / average length). */
export function lengthNorms(lengths: Uint32Array[], total: number): Float32Array {
  let words = 0;
  for (const segment of lengths) for (let d = 0; d < segment.length; d++) words += segment[d];
  const average = total ? words / total : 1;
  const norms = new Float32Array(total);
  let doc = 0;
  for (const segment of lengths) for (let d = 0; d < segment.length; d++) norms[doc++] = K * (1 - B + (B * segment[d]) / average);
  return norms;
}

/** BM25's inverse document frequency of a term found in `df` of `total` chunks (the term's weight is multiplied by it). */
export function inverseDocumentFrequency(total: number, df: number): number {
  return Math.log(1 + (total - df + 0.5) / (df + 0.5));
}

/**
 * Adds one term's BM25+ share to every live chunk of a posting range, and marks the chunk as
 * matching query word `bit`; returns the new count of `touched` chunks. The hot loop of a
 * keyword search: kept monomorphic, and with no call out of this module per posting.
 */
export function accumulate(
  docs: Uint32Array,
  freqs: Uint8Array,
  from: number,
  to: number,
  base: number,
  layout: Layout,
  weight: number,
  bit: number,
  scores: Float64Array,
  matched: Uint32Array,
  touched: Int32Array,
  count: number,
): number {
  const { live, norms } = layout;
  for (let p = from; p < to; p++) {
    const doc = base + docs[p];
    if (live[doc] === 0) continue;
    const tf = freqs[p];
    if (matched[doc] === 0) touched[count++] = doc;
    scores[doc] += weight * (D + (tf * (K + 1)) / (tf + norms[doc]));
    matched[doc] |= bit;
  }
  return count;
}

/** Multiplies each touched chunk's score by the number of query words it matched (as MiniSearch does); returns them. */
export function multiplyByMatchedWords(scores: Float64Array, matched: Uint32Array, touched: Int32Array, count: number): number[] {
  const docs: number[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const doc = touched[j];
    scores[doc] *= bitCount(matched[doc]);
    docs[j] = doc;
  }
  return docs;
}

/** The weight of an indexed term found because a query word of `length` letters is its prefix. */
export function prefixWeight(derivedLength: number, length: number): number {
  return (PREFIX_WEIGHT * derivedLength) / (derivedLength + 0.3 * (derivedLength - length));
}

/** The weight of an indexed term found one edit away from a query word. */
export function fuzzyWeight(derivedLength: number): number {
  return (FUZZY_WEIGHT * derivedLength) / (derivedLength + 1);
}

function bitCount(n: number): number {
  n -= (n >>> 1) & 0x55555555;
  n = (n & 0x33333333) + ((n >>> 2) & 0x33333333);
  return (((n + (n >>> 4)) & 0x0f0f0f0f) * 0x01010101) >>> 24;
}

/** The `k` best of `docs` by `scores`, best first. */
export function topK(docs: number[], scores: ArrayLike<number>, k: number): Scored[] {
  const best: Scored[] = [];
  for (let i = 0; i < docs.length; i++) {
    const doc = docs[i];
    const score = scores[doc];
    if (best.length === k && score <= best[k - 1].score) continue;
    insert(best, doc, score, k);
  }
  return best;
}

/** The `k` best live chunks by `scores` (every chunk scored). */
export function topKLive(live: Uint8Array, scores: Float32Array, k: number): Scored[] {
  const best: Scored[] = [];
  let floor = -Infinity;
  for (let doc = 0; doc < scores.length; doc++) {
    if (live[doc] === 0 || scores[doc] <= floor) continue;
    insert(best, doc, scores[doc], k);
    if (best.length === k) floor = best[k - 1].score;
  }
  return best;
}

/** Inserts after every equal score, so ties keep the order they were found in. */
function insert(best: Scored[], doc: number, score: number, k: number): void {
  let at = best.length;
  while (at > 0 && best[at - 1].score < score) at--;
  best.splice(at, 0, { doc, score });
  if (best.length > k) best.pop();
}

/** Reciprocal rank fusion (k = 60, as qmd and the literature use): ids by fused score. */
export function reciprocalRankFusion<T>(rankings: T[][], k = 60): { id: T; score: number }[] {
  const scores = new Map<T, number>();
  for (const ranking of rankings) ranking.forEach((id, rank) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score);
}

/**
 * The `k` best of keyword and vector results (each best first, `FUSION_CANDIDATES` of them
 * at most) by reciprocal rank: BM25 scores and cosines have no common scale, ranks do.
 */
export function fuseKeywordAndVector(keyword: Scored[], vector: Scored[], k: number): Scored[] {
  return reciprocalRankFusion([keyword.map((hit) => hit.doc), vector.map((hit) => hit.doc)])
    .slice(0, k)
    .map(({ id, score }) => ({ doc: id, score }));
}
