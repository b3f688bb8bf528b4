/**
 * Term proximity: of BM25's best candidates, a passage where the query's words stand
 * together (in a few words' window, as the answer's sentence repeats the question's) goes
 * up. The postings hold no positions, so the few candidates' own text is read instead: a
 * constant cost per query whatever the size of the index, and no change to what is indexed.
 *
 * A candidate's score is multiplied by 1 + PROXIMITY_WEIGHT × the share of the query's
 * weight (the IDF of its words) found in its best window. Measured on XQuAD de/es only.
 */
import type { Layout } from './layout';
import type { QueryLanguage } from './queryLanguage';
import { inverseDocumentFrequency, type Scored } from './ranking';
import { exactTerms, foldTerm } from './terms';

/** How many of BM25's best are looked at again. */
export const PROXIMITY_CANDIDATES = 30;
/** Words in the window. */
const WINDOW = 8;
/** A passage holding every query word in one window scores this much more (times 1 + it). */
const PROXIMITY_WEIGHT = 1;
/** A text word matches a longer query word's… prefix from this length on, as keyword search does. */
const PREFIX_MIN = 5;

/** `candidates` (BM25's best, best first) reordered by proximity; the best `k`. */
export function rerankByProximity(layout: Layout, words: string[], language: QueryLanguage | undefined, candidates: Scored[], k: number): Scored[] {
  const query = [...new Set(words.map(foldTerm))];
  if (query.length < 2 || candidates.length < 2) return candidates.slice(0, k);
  const stem = language?.stem;
  const stems = stem ? query.map(stem) : [];
  const weights = query.map((term) => inverseDocumentFrequency(layout.total, foldedDocumentFrequency(layout, term)));
  const total = weights.reduce((sum, weight) => sum + weight, 0);
  const which = (word: string): number => {
    for (let i = 0; i < query.length; i++) {
      if (word === query[i] || (query[i].length >= PREFIX_MIN && word.startsWith(query[i]))) return i;
      if (stem && stem(word) === stems[i]) return i;
    }
    return -1;
  };
  const rescored = candidates.map(({ doc, score }) => ({ doc, score: score * (1 + (PROXIMITY_WEIGHT * bestWindow(textWords(layout, doc).map(which), weights)) / total) }));
  // A stable sort: equal scores keep BM25's order.
  return rescored.sort((a, b) => b.score - a.score).slice(0, k);
}

/** The largest weight of distinct query words (`ids[i]`, −1 for none) within any WINDOW consecutive words. */
function bestWindow(ids: number[], weights: number[]): number {
  const inWindow = new Uint16Array(weights.length);
  let sum = 0;
  let best = 0;
  for (let i = 0; i < ids.length; i++) {
    const entering = ids[i];
    if (entering >= 0 && inWindow[entering]++ === 0) sum += weights[entering];
    const leaving = i >= WINDOW ? ids[i - WINDOW] : -1;
    if (leaving >= 0 && --inWindow[leaving] === 0) sum -= weights[leaving];
    if (sum > best) best = sum;
  }
  return best;
}

/** In how many chunks, live or not, folded `term` is indexed (what BM25's IDF counts). */
export function foldedDocumentFrequency(layout: Layout, term: string): number {
  let df = 0;
  for (const segment of layout.segments) {
    const t = segment.folded.find(term);
    if (t >= 0) df += segment.folded.documentFrequency(t);
  }
  return df;
}

function textWords(layout: Layout, doc: number): string[] {
  let s = layout.segments.length - 1;
  while (layout.bases[s] > doc) s--;
  return exactTerms(layout.segments[s].chunkText(doc - layout.bases[s])).map(foldTerm);
}
