/**
 * BM25 keyword search over segments: which indexed terms a query's words match (exactly, by
 * prefix or by one edit) and which chunks hold them, walked over flat typed arrays, so a
 * query at 100k chunks takes milliseconds where MiniSearch took a second. The scores are
 * MiniSearch's (ranking.ts): BM25+, a chunk's score times the number of query words it
 * matched, prefix and fuzzy matches weighted as MiniSearch weighs them.
 *
 * A query typed without accents searches the folded form of every word. A query typed with
 * accents also searches the exact forms, and an exact match counts twice: "bàn" (table)
 * ranks text with "bàn" above text with "bán" (sell), which it still finds.
 *
 * Beyond MiniSearch (unless `plainBm25`): the query's language is guessed from its stop
 * words (queryLanguage.ts), which are then left out; in German and Spanish a word also
 * matches the indexed words with its Snowball stem; and the best candidates are reordered
 * by how close together they hold the query's words (proximity.ts). A long German word also
 * matches by the two words it is compounded of (compoundWords.ts). All at query time:
 * what is indexed is unchanged.
 */
import type { Layout } from './layout';
import type { Postings } from './postings';
import { compoundParts } from './compoundWords';
import { foldedDocumentFrequency, PROXIMITY_CANDIDATES, rerankByProximity } from './proximity';
import { guessQueryLanguage, withoutStopWords, type QueryLanguage } from './queryLanguage';
import { accumulate, EXACT_BOOST, fuzzyWeight, inverseDocumentFrequency, multiplyByMatchedWords, prefixWeight, topK, type Scored } from './ranking';
import type { Segment } from './segment';
import { exactTerms, foldTerm, isAccented } from './terms';

/** Longer words also match by prefix (inflections, compounds)… */
const PREFIX_MIN = 5;
/** …and by one edit (typos, endings). Short words — every Vietnamese syllable among them — match exactly. */
const FUZZY_MIN = 6;
/** Query words beyond this many are ignored (the match count is a 32-bit mask). */
const MAX_QUERY_TERMS = 32;
/** A stem this short matches too many words that only start alike. */
const STEM_MIN = 5;
/** A match by stem weighs this much of an exact one (more than a bare prefix). */
const STEM_WEIGHT = 0.5;
/** A match of a compound query word's part weighs this much of the word's own (as a stem does). */
const PART_WEIGHT = 0.5;

export interface KeywordOptions {
  /** MiniSearch's BM25+ alone: every query word, no stems, no proximity (what test/unit/minisearchAgreement.test.ts compares). */
  plainBm25?: boolean;
}

type Field = 'folded' | 'exact';

interface Match {
  weight: number;
  /** Where the term is: in `postings` (term `t`) of the segment numbered from `base`, whose chunks have `lengths` words. */
  refs: { base: number; lengths: Uint32Array; postings: Postings; t: number }[];
}

/** The `k` best live chunks for `query`, best first. */
export function keywordSearch(layout: Layout, query: string, k: number, options: KeywordOptions = {}): Scored[] {
  const typed = exactTerms(query);
  const language = options.plainBm25 ? undefined : guessQueryLanguage(typed);
  const words = [...new Set(withoutStopWords(typed, language))].slice(0, MAX_QUERY_TERMS);
  if (words.length === 0 || layout.total === 0) return [];
  const stem = language?.stem;
  const folded = score(layout, [...new Set(words.map(foldTerm))], 'folded', stem, language?.compounds);
  if (words.some(isAccented)) {
    const exact = score(layout, words, 'exact');
    for (const doc of exact.touched) {
      if (folded.scores[doc] === 0) folded.touched.push(doc);
      folded.scores[doc] += EXACT_BOOST * exact.scores[doc];
    }
  }
  if (options.plainBm25) return topK(folded.touched, folded.scores, k);
  return rerankByProximity(layout, words, language, topK(folded.touched, folded.scores, Math.max(k, PROXIMITY_CANDIDATES)), k);
}

function score(layout: Layout, terms: string[], field: Field, stem?: QueryLanguage['stem'], compounds = false): { scores: Float64Array; touched: number[] } {
  const scores = new Float64Array(layout.total);
  const matched = new Uint32Array(layout.total);
  const touched = new Int32Array(layout.total);
  let count = 0;
  terms.forEach((term, i) => {
    const found = matches(layout, term, field, stem);
    if (compounds) addCompoundParts(layout, term, field, stem, found);
    for (const match of found.values()) {
      let df = 0;
      for (const ref of match.refs) df += ref.postings.documentFrequency(ref.t);
      const weight = match.weight * inverseDocumentFrequency(layout.total, df);
      for (const { base, lengths, postings, t } of match.refs) {
        count = accumulate(postings.docsOf(t), postings.freqsOf(t), lengths, base, layout, weight, 1 << i, scores, matched, touched, count);
      }
    }
  });
  return { scores, touched: multiplyByMatchedWords(scores, matched, touched, count) };
}

/**
 * The matches of a compound's parts, as matches of the compound (the same query word, so a
 * passage holding both parts counts the word once), weighted down; where a part's match is
 * also a match of the word itself, the heavier weight stays.
 */
function addCompoundParts(layout: Layout, term: string, field: Field, stem: QueryLanguage['stem'], found: Map<string, Match>): void {
  for (const part of compoundParts(term, (t) => foldedDocumentFrequency(layout, t))) {
    for (const [derived, match] of matches(layout, part, field, stem)) {
      const weight = PART_WEIGHT * match.weight;
      if ((found.get(derived)?.weight ?? 0) < weight) found.set(derived, { weight, refs: match.refs });
    }
  }
}

/** Every indexed term that `term` matches in `field`, exactly, by stem, by prefix or by one edit, with its weight. */
function matches(layout: Layout, term: string, field: Field, stem?: QueryLanguage['stem']): Map<string, Match> {
  const found = new Map<string, Match>();
  const add = (derived: string, weight: number, ref: Match['refs'][number]) => {
    const match = found.get(derived);
    if (!match) found.set(derived, { weight, refs: [ref] });
    else if (match.weight === weight) match.refs.push(ref);
  };
  const length = term.length;
  const fuzzyStem = term.slice(0, Math.ceil(length / 2));
  const termStem = stem?.(term);
  layout.segments.forEach((segment, s) => {
    const base = layout.bases[s];
    const lengths = segment.length;
    for (const { postings, usable } of fieldPostings(segment, term, field)) {
      const exact = postings.find(term);
      if (exact >= 0 && usable(exact)) add(term, 1, { base, lengths, postings, t: exact });
      if (stem && termStem && termStem.length >= STEM_MIN) {
        // Stems of folded German and Spanish words are prefixes of them ("häuser", "hauser" → "haus").
        const [from, to] = postings.prefixRange(termStem);
        for (let t = from; t < to; t++) {
          const derived = postings.terms[t];
          if (derived !== term && usable(t) && stem(derived) === termStem) add(derived, STEM_WEIGHT, { base, lengths, postings, t });
        }
      }
      if (length >= PREFIX_MIN) {
        const [from, to] = postings.prefixRange(term);
        for (let t = from; t < to; t++) {
          const derived = postings.terms[t];
          if (derived.length === length || !usable(t)) continue;
          add(derived, prefixWeight(derived.length, length), { base, lengths, postings, t });
        }
      }
      if (length >= FUZZY_MIN) {
        // One edit in the word's second half: typos and endings, found in a prefix range
        // instead of a scan of every term. An edit in the first half is not looked for.
        const [from, to] = postings.prefixRange(fuzzyStem);
        for (let t = from; t < to; t++) {
          const derived = postings.terms[t];
          if (Math.abs(derived.length - length) > 1 || derived.startsWith(term) || !usable(t) || !withinOneEdit(term, derived)) continue;
          add(derived, fuzzyWeight(derived.length), { base, lengths, postings, t });
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
