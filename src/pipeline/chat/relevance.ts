/**
 * Whether retrieval found anything worth answering from.
 *
 * Raw scores cannot decide it: BM25 scores grow with the corpus and the number of words
 * matched, fused ranks say nothing of distance, and vector search always returns nearest
 * neighbours, however far. So a passage counts on evidence with a scale of its own:
 * * it contains at least one content word of the query (accents folded; longer words also
 *   by prefix, as BM25 matches them) — a BM25 hit that matched only "what", "the", "là"… is
 *   weak; this is the whole rule for keyword-only search;
 * * or the retriever's models vouch for it (`Retriever.matchesInMeaning`): the embedder's
 *   hit stands out from the query's similarities to the whole collection (calibrated per
 *   query and model, store/vectorConfidence.ts), or the cross-encoder's probability is at
 *   least even. So a question in Vietnamese about English documentation, or one in other
 *   words, is answered from the passage that means it; a nearest neighbour that is no
 *   outlier stays weak, and the answer then says nothing was found rather than guess.
 */
import type { Source } from '../../protocol/events';
import { exactTerms, foldTerm } from '../indexing/store/terms';

/** As BM25's PREFIX_MIN: longer words also match their inflections. */
const PREFIX_MIN = 5;

const STOPWORDS = new Set(
  (
    // English function words and question words.
    'a an and are as at be been but by can could did do does doing for from had has have how i if in into is it its ' +
    'me my no not of on or our should so than that the their them then there these they this those to was we were ' +
    'what when where which who whom why will with would you your about tell show explain describe give please say ' +
    'said also any some all more most other such only own same too very just he she his her him us am being here ' +
    // Vietnamese function words, folded as terms are compared; only those whose folded form
    // is not also a common content word ("ban" is bàn table, bán sell, bạn friend).
    'cua va khong nhung cac mot nhu nao gi bao nhieu duoc trong voi thi neu nay kia ay chung hay hoac cung da dang se rat khi dau ai'
  ).split(' '),
);

/** The words of `text` that carry meaning, folded, in order, without repeats. */
export function contentTerms(text: string): string[] {
  const terms = exactTerms(text)
    .map(foldTerm)
    .filter((term) => (term.length >= 2 || /\d/.test(term)) && !STOPWORDS.has(term));
  return [...new Set(terms)];
}

/** Whether a passage shares a content word with the query. */
export function supports(source: Source, queryTerms: string[]): boolean {
  if (queryTerms.length === 0) return false;
  const words = new Set(exactTerms(`${source.heading ?? ''} ${source.excerpt}`).map(foldTerm));
  return queryTerms.some((term) => words.has(term) || (term.length >= PREFIX_MIN && [...words].some((word) => word.startsWith(term) || (word.length >= PREFIX_MIN && term.startsWith(word)))));
}

/**
 * The sources that answer can draw on, in the retriever's order; empty when all are weak.
 * `matchesInMeaning`: the retriever's word on a source whatever words it shares.
 */
export function relevantSources(query: string, sources: Source[], matchesInMeaning: (source: Source) => boolean = () => false): Source[] {
  const terms = contentTerms(query);
  return sources.filter((source) => supports(source, terms) || matchesInMeaning(source));
}
