/**
 * BM25 keyword search over segments, scored as MiniSearch scores (BM25+ with k 1.2, b 0.7,
 * d 0.5; a document's score times the number of query words it matched; prefix and fuzzy
 * matches weighted as MiniSearch weighs them), so the XQuAD tuning carries over, but over
 * flat typed arrays: a query at 100k chunks takes milliseconds where MiniSearch took a second.
 *
 * A query typed without accents searches the folded form of every word. A query typed with
 * accents also searches the exact forms, and an exact match counts twice: "bàn" (table)
 * ranks text with "bàn" above text with "bán" (sell), which it still finds.
 */
import type { Postings } from './postings';
import type { Segment } from './segment';
import { exactTerms, foldTerm, isAccented } from './terms';

const K = 1.2;
const B = 0.7;
const D = 0.5;
const PREFIX_WEIGHT = 0.375;
const FUZZY_WEIGHT = 0.45;
/** Longer words also match by prefix (inflections, compounds)… */
const PREFIX_MIN = 5;
/** …and by one edit (typos, endings). Short words — every Vietnamese syllable among them — match exactly. */
const FUZZY_MIN = 6;
const EXACT_BOOST = 2;
/** Query words beyond this many are ignored (the match count is a 32-bit mask). */
const MAX_QUERY_TERMS = 32;

/** The segments as one numbered collection: chunk `d` of segment `s` is `bases[s] + d`. */
export interface Layout {
  segments: Segment[];
  bases: number[];
  total: number;
  /** 1 for chunks whose file still points at their segment. */
  live: Uint8Array;
  /** BM25's length normalisation of every chunk: k · (1 − b + b · length / average length). */
  norms: Float32Array;
}

/** `norms` for chunks of these lengths. */
export function lengthNorms(lengths: Uint32Array[], total: number): Float32Array {
  let words = 0;
  for (const segment of lengths) for (let d = 0; d < segment.length; d++) words += segment[d];
  const average = total ? words / total : 1;
  const norms = new Float32Array(total);
  let doc = 0;
  for (const segment of lengths) for (let d = 0; d < segment.length; d++) norms[doc++] = K * (1 - B + (B * segment[d]) / average);
  return norms;
}

export interface Scored {
  doc: number;
  score: number;
}

type Field = 'folded' | 'exact';

interface Match {
  weight: number;
  refs: { base: number; postings: Postings; t: number }[];
}

export function keywordSearch(layout: Layout, query: string, k: number): Scored[] {
  const words = [...new Set(exactTerms(query))].slice(0, MAX_QUERY_TERMS);
  if (words.length === 0 || layout.total === 0) return [];
  const folded = score(layout, [...new Set(words.map(foldTerm))], 'folded');
  if (!words.some(isAccented)) return topK(folded.touched, folded.scores, k);
  const exact = score(layout, words, 'exact');
  for (const doc of exact.touched) {
    if (folded.scores[doc] === 0) folded.touched.push(doc);
    folded.scores[doc] += EXACT_BOOST * exact.scores[doc];
  }
  return topK(folded.touched, folded.scores, k);
}

function score(layout: Layout, terms: string[], field: Field): { scores: Float64Array; touched: number[] } {
  const scores = new Float64Array(layout.total);
  const matched = new Uint32Array(layout.total);
  const touched = new Int32Array(layout.total);
  let count = 0;
  terms.forEach((term, i) => {
    for (const match of matches(layout, term, field).values()) {
      let df = 0;
      for (const ref of match.refs) df += ref.postings.documentFrequency(ref.t);
      const weight = match.weight * Math.log(1 + (layout.total - df + 0.5) / (df + 0.5));
      for (const { base, postings, t } of match.refs) {
        count = accumulate(postings.docs, postings.freqs, postings.starts[t], postings.starts[t + 1], base, layout, weight, 1 << i, scores, matched, touched, count);
      }
    }
  });
  const docs: number[] = new Array(count);
  for (let j = 0; j < count; j++) {
    const doc = touched[j];
    scores[doc] *= bitCount(matched[doc]);
    docs[j] = doc;
  }
  return { scores, touched: docs };
}

/** Adds one term's BM25+ share to every live chunk of a posting range (the hot loop, kept monomorphic). */
function accumulate(
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

/** Every indexed term that `term` matches in `field`, exactly, by prefix or by one edit, with its weight. */
function matches(layout: Layout, term: string, field: Field): Map<string, Match> {
  const found = new Map<string, Match>();
  const add = (derived: string, weight: number, ref: Match['refs'][number]) => {
    const match = found.get(derived);
    if (!match) found.set(derived, { weight, refs: [ref] });
    else if (match.weight === weight) match.refs.push(ref);
  };
  const length = term.length;
  const fuzzyStem = term.slice(0, Math.ceil(length / 2));
  layout.segments.forEach((segment, s) => {
    const base = layout.bases[s];
    for (const { postings, usable } of fieldPostings(segment, term, field)) {
      const exact = postings.find(term);
      if (exact >= 0 && usable(exact)) add(term, 1, { base, postings, t: exact });
      if (length >= PREFIX_MIN) {
        const [from, to] = postings.prefixRange(term);
        for (let t = from; t < to; t++) {
          const derived = postings.terms[t];
          if (derived.length === length || !usable(t)) continue;
          add(derived, (PREFIX_WEIGHT * derived.length) / (derived.length + 0.3 * (derived.length - length)), { base, postings, t });
        }
      }
      if (length >= FUZZY_MIN) {
        // One edit in the word's second half: typos and endings, found in a prefix range
        // instead of a scan of every term. An edit in the first half is not looked for.
        const [from, to] = postings.prefixRange(fuzzyStem);
        for (let t = from; t < to; t++) {
          const derived = postings.terms[t];
          if (Math.abs(derived.length - length) > 1 || derived.startsWith(term) || !usable(t) || !withinOneEdit(term, derived)) continue;
          add(derived, (FUZZY_WEIGHT * derived.length) / (derived.length + 1), { base, postings, t });
        }
      }
    }
  });
  return found;
}

/**
 * Where a field's terms are in a segment. Folded: the folded postings. Exact: the exact
 * postings (words with accented forms), plus — for an unaccented word — the folded postings
 * of words that have no accented form, which are their exact postings too.
 */
function fieldPostings(segment: Segment, term: string, field: Field): { postings: Postings; usable: (t: number) => boolean }[] {
  if (field === 'folded') return [{ postings: segment.folded, usable: always }];
  const lists: { postings: Postings; usable: (t: number) => boolean }[] = [{ postings: segment.exact, usable: always }];
  if (!isAccented(term)) lists.push({ postings: segment.folded, usable: (t) => segment.variants[t] === 0 });
  return lists;
}

const always = (_t: number) => true;

function withinOneEdit(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length > b.length) [a, b] = [b, a];
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  if (a.length === b.length) return a.slice(i + 1) === b.slice(i + 1);
  return a.slice(i) === b.slice(i + 1);
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

function insert(best: Scored[], doc: number, score: number, k: number): void {
  let at = best.length;
  while (at > 0 && best[at - 1].score < score) at--;
  best.splice(at, 0, { doc, score });
  if (best.length > k) best.pop();
}
