/**
 * Whether retrieval found anything worth answering from.
 *
 * Scores cannot decide it alone: BM25 scores grow with the corpus and the number of words
 * matched, reciprocal-rank fusion gives the first place of either list 1/61 whatever it
 * holds (and vector search always returns nearest neighbours, however far), and a
 * cross-encoder's logits have their own scale. So the threshold is on evidence that every
 * scale shares: a passage counts when it contains at least one content word of the query
 * (accents folded; longer words also by prefix, as BM25 matches them). A BM25 hit that
 * matched only "what", "the", "là"… and a vector neighbour with no word in common are weak.
 * The cost: a passage that matches only in meaning (a question in English about a
 * Vietnamese text) is dropped; the answer then says nothing was found rather than guess.
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

/** The sources that answer can draw on, in the retriever's order; empty when all are weak. */
export function relevantSources(query: string, sources: Source[]): Source[] {
  const terms = contentTerms(query);
  return sources.filter((source) => supports(source, terms));
}
