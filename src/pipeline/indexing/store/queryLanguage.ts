/**
 * The language of a query, guessed from its stop words (nothing to configure), and what
 * follows from it: which of its words are stop words and, for languages with a Snowball
 * stemmer, how words are stemmed. Stop words ("die", "qué", "the") carry almost no meaning
 * but each adds a matched word to BM25's count, so a passage full of them could beat the
 * one that holds the question's few content words (XQuAD de R@1 0.871 → 0.897 without them).
 *
 * Stemming is measured only on German and Spanish; English has stop words but no stemmer
 * (no data here to show that stemming helps it), and a language with no list, such as
 * Vietnamese, is searched as it always was. Lists and stemmers are Orama's (Apache-2.0;
 * the stemmers are compiled from Snowball).
 */
import type * as Stemmer from '@orama/stemmers/german' with { 'resolution-mode': 'import' };
import type * as StopWords from '@orama/stopwords/german' with { 'resolution-mode': 'import' };
import { foldTerm, isAccented } from './terms';

// Orama's packages are ES modules that also ship CommonJS builds; TypeScript sees only the
// former, so the CommonJS builds are required (and esbuild bundles them like any import).
/* eslint-disable @typescript-eslint/no-require-imports */
const { stemmer: germanStemmer } = require('@orama/stemmers/german') as typeof Stemmer;
const { stemmer: spanishStemmer } = require('@orama/stemmers/spanish') as typeof Stemmer;
const { stopwords: englishStopWords } = require('@orama/stopwords/english') as typeof StopWords;
const { stopwords: germanStopWords } = require('@orama/stopwords/german') as typeof StopWords;
const { stopwords: spanishStopWords } = require('@orama/stopwords/spanish') as typeof StopWords;
/* eslint-enable @typescript-eslint/no-require-imports */

export interface QueryLanguage {
  name: string;
  isStopWord(word: string): boolean;
  /** The stem of a folded word; absent for a language without a stemmer. */
  stem?: (folded: string) => string;
  /** Whether its words are compounded without spaces (German), so a long query word is also searched by its parts. */
  compounds?: boolean;
}

/** Fewer stop words than this and the query's language is not guessed (a Vietnamese "do" or a Spanish-looking "con" alone decide nothing). */
const MIN_STOP_WORDS = 2;
const STEM_CACHE_SIZE = 50_000;

const LANGUAGES: QueryLanguage[] = [
  { ...language('de', germanStopWords, germanStemmer), compounds: true },
  language('es', spanishStopWords, spanishStemmer),
  language('en', englishStopWords),
];

/**
 * A word is a stop word if it is one as typed, or — typed without accents — if it is one
 * once the list's accents are folded ("que" for "qué"). An accented word must match as
 * typed: Vietnamese "thể" folds to English "the" but is no stop word.
 */
function language(name: string, stopWords: string[], stemmer?: (word: string) => string): QueryLanguage {
  const exact = new Set(stopWords);
  const folded = new Set(stopWords.map(foldTerm));
  return {
    name,
    isStopWord: (word) => exact.has(word) || (!isAccented(word) && folded.has(word)),
    ...(stemmer ? { stem: cached(stemmer) } : {}),
  };
}

/** The same words are stemmed again and again, at every query and over every candidate's text. */
function cached(stemmer: (word: string) => string): (word: string) => string {
  const stems = new Map<string, string>();
  return (word) => {
    let stem = stems.get(word);
    if (stem === undefined) {
      stem = stemmer(word);
      if (stems.size >= STEM_CACHE_SIZE) stems.clear();
      stems.set(word, stem);
    }
    return stem;
  };
}

/** The language whose stop words `words` (exact forms) hold most, at least two of them and more than any other's; else none. */
export function guessQueryLanguage(words: string[]): QueryLanguage | undefined {
  let best: QueryLanguage | undefined;
  let bestHits = MIN_STOP_WORDS - 1;
  let tie = false;
  for (const candidate of LANGUAGES) {
    const hits = words.filter(candidate.isStopWord).length;
    if (hits > bestHits) [best, bestHits, tie] = [candidate, hits, false];
    else if (hits === bestHits && best) tie = true;
  }
  return tie ? undefined : best;
}

/** `words` without `language`'s stop words; all of them when nothing else is left. */
export function withoutStopWords(words: string[], language: QueryLanguage | undefined): string[] {
  if (!language) return words;
  const kept = words.filter((word) => !language.isStopWord(word));
  return kept.length ? kept : words;
}
