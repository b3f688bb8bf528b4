/**
 * README says the store's keyword scoring starts from MiniSearch's BM25+ with its prefix and
 * fuzzy weights (the XQuAD tuning was done on MiniSearch), then leaves out the query's stop
 * words, matches German and Spanish stems and reorders by proximity (queryLanguage.test.ts
 * shows those). This scores the same generated English documents with MiniSearch and with
 * the store's BM25+ alone (`plainBm25`) and states exactly where they agree and where not:
 *
 * - They agree — same documents, same order (up to the order of exact ties), scores equal to
 *   1e-6 — once MiniSearch is configured as the store scores: the store's own tokenizer,
 *   prefix matching for words of 5 letters or more, one edit for words of 6 or more, and a
 *   document length of every word, where MiniSearch counts distinct words.
 * - They differ on purpose in three places, each shown below: the document length (so
 *   repeated words weigh differently), an edit in the first half of a word (MiniSearch finds
 *   it, the store looks for edits only in the second half, in a prefix range), and two
 *   edits (MiniSearch's `fuzzy: 0.2` allows two from 8 letters on, the store one).
 *
 * The scores are not bit-identical: the store works out the length norm per posting as
 * a + c · length and multiplies in another order. Accent-free English, so folding plays no part.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import MiniSearch, { type Options, type SearchOptions } from 'minisearch';
import { SegmentIndex } from '../../src/pipeline/indexing/store/segmentIndex';
import { exactTerms } from '../../src/pipeline/indexing/store/terms';
import { mulberry32 } from '../fixtures/random';

const quiet = { log: () => {} };

/** Families by prefix and by an edit in the word's second half; no two words one edit apart in the first half. */
const VOCABULARY = [
  'garden', 'gardens', 'gardener', 'gardening', 'gardenia',
  'index', 'indexes', 'indexed', 'indexing',
  'search', 'searches', 'searched', 'searcher',
  'model', 'models', 'modeled', 'modelling',
  'token', 'tokens', 'stream', 'streams', 'streamed', 'streaming',
  'cancel', 'cancels', 'cancelled', 'cancer',
  'apple', 'apples', 'music', 'coffee', 'night', 'city', 'house', 'tree', 'trees',
  'the', 'and', 'of', 'a', 'in', 'to', 'is', 'it', 'at', 'on', 'by', 'we', 'run', 'runs', 'sun', 'cat', 'cats',
  'window', 'windows', 'winder', 'planet', 'planets', 'planer', 'market', 'markets', 'marker',
];

const QUERIES = [
  // Exact words only (under 5 letters: no prefix, no edit).
  'the cat', 'tree city', 'run sun', 'cats and night', 'it is at',
  // Prefixes (5 letters and more).
  'index', 'model', 'apple', 'token', 'music house', 'garde',
  // One edit in the second half, or a prefix and an edit at once (6 letters and more).
  'garden', 'searcg', 'cancel', 'stream', 'window', 'planet', 'market', 'gardenz', 'indexs', 'coffe',
  // Mixed.
  'garden coffee night', 'search index model', 'the streaming cancel', 'planets and markets', 'cancer city',
];

const DOCUMENTS = (() => {
  const random = mulberry32(2024);
  // Common words much more often than others, as in real text: repeats within a document.
  const zipf = () => VOCABULARY[Math.floor(VOCABULARY.length * random() ** 2.2)];
  return Array.from({ length: 48 }, (_, i) => ({ id: `doc-${i}.md`, text: Array.from({ length: 5 + Math.floor(random() * 70) }, zipf).join(' ') }));
})();

/** MiniSearch as the store scores (see above); `countEveryWord: false` leaves its own document length. */
function miniSearch(documents: { id: string; text: string }[], fuzzy: SearchOptions['fuzzy'], countEveryWord = true): MiniSearch {
  // MiniSearch's document length is the number of distinct tokens: tagging each word with its
  // position makes every word distinct, and processTerm removes the tag before indexing.
  const options: Options = countEveryWord
    ? { fields: ['text'], tokenize: (text) => exactTerms(text).map((word, i) => `${word}\u0000${i}`), processTerm: (term) => term.slice(0, term.indexOf('\u0000')) }
    : { fields: ['text'], tokenize: exactTerms, processTerm: (term) => term };
  const search = new MiniSearch({
    ...options,
    searchOptions: { tokenize: exactTerms, processTerm: (term) => term, prefix: (term) => term.length >= 5, fuzzy },
  });
  search.addAll(documents);
  return search;
}

/** One edit for words of 6 letters or more, as the store. */
const oneEdit = (term: string) => (term.length >= 6 ? 1 : 0);
/** What the project used with MiniSearch (and tuned on XQuAD): 20 % of the word, so two edits from 8 letters. */
const fifthOfTheWord = (term: string) => (term.length >= 6 ? 0.2 : 0);

async function store(documents: { id: string; text: string }[]): Promise<SegmentIndex> {
  const index = await SegmentIndex.open(undefined, quiet);
  await index.addFiles(
    documents.map(({ id, text }) => ({ path: id, facts: { size: 1, mtimeMs: 1, hash: id }, chunks: [{ id: `${id}#0`, path: id, text, startLine: 1, endLine: 1 }] })),
  );
  return index;
}

interface Ranked {
  id: string;
  score: number;
}

function storeRanking(index: SegmentIndex, query: string): Ranked[] {
  return index.keyword(query, 1000, { plainBm25: true }).map(({ doc, score }) => ({ id: index.chunk(doc).path, score }));
}

function miniSearchRanking(search: MiniSearch, query: string): Ranked[] {
  return search.search(query).map((result) => ({ id: String(result.id), score: result.score }));
}

const close = (a: number, b: number) => Math.abs(a - b) <= 1e-6 * Math.max(Math.abs(a), Math.abs(b));

/** Same documents, in the same order except among equal scores, with scores equal to 1e-6. */
function assertAgree(actual: Ranked[], expected: Ranked[], query: string): void {
  assert.deepEqual(actual.map((r) => r.id).sort(), expected.map((r) => r.id).sort(), `"${query}": the same documents match`);
  const expectedScore = new Map(expected.map((r) => [r.id, r.score]));
  actual.forEach((r, rank) => {
    assert.ok(close(r.score, expectedScore.get(r.id)!), `"${query}": ${r.id} scores ${r.score} here, ${expectedScore.get(r.id)} in MiniSearch`);
    // At each rank, the document is MiniSearch's at that rank or one with the same score.
    assert.ok(r.id === expected[rank].id || close(expectedScore.get(r.id)!, expected[rank].score), `"${query}": rank ${rank + 1} is ${r.id}, MiniSearch's ${expected[rank].id}`);
  });
}

describe('keyword scores agree with MiniSearch', () => {
  test('the vocabulary has no two words one edit apart in their first half (where the two differ by design)', () => {
    for (const a of VOCABULARY)
      for (const b of VOCABULARY) {
        if (a === b || a.length < 6 || Math.abs(a.length - b.length) > 1) continue;
        const sameSecondHalfStem = b.startsWith(a.slice(0, Math.ceil(a.length / 2)));
        assert.ok(sameSecondHalfStem || editDistance(a, b) > 1, `${a} / ${b}`);
      }
  });

  test('every query: the same documents, in the same order, with the same scores', async () => {
    const index = await store(DOCUMENTS);
    const search = miniSearch(DOCUMENTS, oneEdit);
    let compared = 0;
    for (const query of QUERIES) {
      const expected = miniSearchRanking(search, query);
      assertAgree(storeRanking(index, query), expected, query);
      compared += expected.length;
    }
    assert.ok(compared > 300, `${compared} ranked documents compared`);
  });

  test('the top 5 of every query are the same documents in the same order (no ties among them here)', async () => {
    const index = await store(DOCUMENTS);
    const search = miniSearch(DOCUMENTS, oneEdit);
    for (const query of QUERIES) {
      assert.deepEqual(
        storeRanking(index, query).slice(0, 5).map((r) => r.id),
        miniSearchRanking(search, query).slice(0, 5).map((r) => r.id),
        query,
      );
    }
  });

  test('differs: the document length is every word, MiniSearch counts distinct words', async () => {
    const index = await store(DOCUMENTS);
    const search = miniSearch(DOCUMENTS, oneEdit, false);
    const differing = QUERIES.filter((query) => {
      const expected = new Map(miniSearchRanking(search, query).map((r) => [r.id, r.score]));
      return storeRanking(index, query).some((r) => !close(r.score, expected.get(r.id)!));
    });
    assert.ok(differing.length > QUERIES.length / 2, `${differing.length} of ${QUERIES.length} queries score differently`);
    // Without repeated words the two lengths are one: then plain MiniSearch agrees too.
    const distinct = DOCUMENTS.map(({ id, text }) => ({ id, text: [...new Set(exactTerms(text))].join(' ') }));
    const distinctIndex = await store(distinct);
    const distinctSearch = miniSearch(distinct, oneEdit, false);
    for (const query of QUERIES) assertAgree(storeRanking(distinctIndex, query), miniSearchRanking(distinctSearch, query), query);
  });

  test('differs: an edit in the first half of a word is not looked for', async () => {
    const documents = [
      { id: 'harden.md', text: 'they harden the steel' },
      { id: 'gardens.md', text: 'the gardens in spring' },
    ];
    const index = await store(documents);
    assert.deepEqual(storeRanking(index, 'garden').map((r) => r.id), ['gardens.md']);
    assert.deepEqual(miniSearchRanking(miniSearch(documents, oneEdit), 'garden').map((r) => r.id).sort(), ['gardens.md', 'harden.md']);
  });

  test('differs: one edit at most, where MiniSearch with fuzzy 0.2 allows two from 8 letters on', async () => {
    const documents = [{ id: 'typo.md', text: 'the mountian road' }];
    const index = await store(documents);
    assert.deepEqual(storeRanking(index, 'mountain'), []);
    assert.deepEqual(miniSearchRanking(miniSearch(documents, fifthOfTheWord), 'mountain').map((r) => r.id), ['typo.md']);
    assert.deepEqual(miniSearchRanking(miniSearch(documents, oneEdit), 'mountain'), []);
  });
});

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length];
}
