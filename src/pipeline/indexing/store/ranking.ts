/**
 * How results are scored and ranked, apart from how they are found: BM25+ as MiniSearch
 * computes it (k 1.2, b 0.7, d 0.5, and its weights for prefix and fuzzy matches), so the
 * XQuAD tuning done on MiniSearch carries over; the best k of a scored collection; and the
 * fusion of keyword and vector results, weighted by how clearly the vector hits stand out.
 * Finding the postings a query matches is bm25.ts's, finding the nearest vectors
 * vectorSearch.ts's.
 */
import type { Layout } from './layout';
import { vectorConfidence } from './vectorConfidence';
import type { VectorHits } from './vectorSearch';

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

/** BM25's inverse document frequency of a term found in `df` of `total` chunks (the term's weight is multiplied by it). */
export function inverseDocumentFrequency(total: number, df: number): number {
  return Math.log(1 + (total - df + 0.5) / (df + 0.5));
}

/**
 * Adds one term's BM25+ share to every live chunk of its postings in a segment (`docs`,
 * numbered from `base`, of `lengths` words), and marks the chunk as matching query word
 * `bit`; returns the new count of `touched` chunks. The hot loop of a keyword search: kept
 * monomorphic, and with no call out of this module per posting.
 */
export function accumulate(
  docs: Uint32Array,
  freqs: Uint8Array,
  lengths: Uint32Array,
  base: number,
  layout: Layout,
  weight: number,
  bit: number,
  scores: Float64Array,
  matched: Uint32Array,
  touched: Int32Array,
  count: number,
): number {
  const { live, averageLength } = layout;
  // BM25's length normalisation, k · (1 − b + b · length / average length), as a + c · length.
  const a = K * (1 - B);
  const c = (K * B) / averageLength;
  for (let p = 0; p < docs.length; p++) {
    const d = docs[p];
    const doc = base + d;
    if (live[doc] === 0) continue;
    const tf = freqs[p];
    if (matched[doc] === 0) touched[count++] = doc;
    scores[doc] += weight * (D + (tf * (K + 1)) / (tf + a + c * lengths[d]));
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

/** The rank offset of reciprocal rank fusion (60, as qmd and the literature use). */
const RRF_K = 60;

export interface Fused extends Scored {
  /** The vector hit's calibrated confidence (vectorConfidence.ts), 0..1; 0 when vector search did not vouch for it. */
  confidence: number;
}

/**
 * The `k` best of keyword and vector results (each best first, `FUSION_CANDIDATES` of them
 * at most), by reciprocal rank with the vector list weighted per hit by its calibrated
 * confidence: BM25 scores and cosines have no common scale, ranks do, and a vector rank
 * counts only as much as the hit stands out from the query's similarities to everything.
 * With no confident vector hit this is BM25's order exactly. A vector hit BM25 did not find
 * comes in only when it is a clear outlier, or when BM25 found nothing at all (then the
 * nearest chunks, in their order; the relevance gate judges them). See docs/ranking.md.
 */
export function fuseKeywordAndVector(keyword: Scored[], vector: VectorHits, k: number): Fused[] {
  const fused = new Map<number, Fused>();
  keyword.forEach(({ doc }, rank) => fused.set(doc, { doc, score: 1 / (RRF_K + rank + 1), confidence: 0 }));
  vector.hits.forEach(({ doc, score: cosine }, rank) => {
    const confidence = vectorConfidence(cosine, vector);
    const share = confidence / (RRF_K + rank + 1);
    const found = fused.get(doc);
    if (found) {
      found.score += share;
      found.confidence = confidence;
    } else if (confidence > 0 || keyword.length === 0) fused.set(doc, { doc, score: share, confidence });
  });
  // A stable sort: equal scores keep BM25's order, then the vector order.
  return [...fused.values()].sort((a, b) => b.score - a.score).slice(0, k);
}
