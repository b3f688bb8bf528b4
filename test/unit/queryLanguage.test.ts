/**
 * What keyword search does beyond MiniSearch's BM25+ (bm25.ts): the query's stop words left
 * out once its language is guessed from them, German and Spanish words matched by their
 * Snowball stem, the best candidates reordered by how close together they hold the query's
 * words, and a long German word also matched by its parts. Each is shown against the plain
 * BM25+ ranking of the same index, so a lever that stopped working fails here; and what
 * must not change: Vietnamese queries keep every syllable, code identifiers are still found.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { guessQueryLanguage, withoutStopWords } from '../../src/pipeline/indexing/store/queryLanguage';
import { SegmentIndex } from '../../src/pipeline/indexing/store/segmentIndex';
import { exactTerms } from '../../src/pipeline/indexing/store/terms';

async function indexOf(documents: Record<string, string>): Promise<SegmentIndex> {
  const index = await SegmentIndex.open(undefined, { log: () => {} });
  await index.addFiles(
    Object.entries(documents).map(([path, text]) => ({ path, facts: { size: 1, mtimeMs: 1, hash: path }, chunks: [{ id: `${path}#0`, path, text, startLine: 1, endLine: 1 }] })),
  );
  return index;
}

function ranking(index: SegmentIndex, query: string, plainBm25 = false): string[] {
  return index.keyword(query, 10, { plainBm25 }).map(({ doc }) => index.chunk(doc).path);
}

describe('the query language, guessed from its stop words', () => {
  test('German, Spanish typed with or without accents, English; none for Vietnamese or a lone stop word', () => {
    const guess = (query: string) => guessQueryLanguage(exactTerms(query))?.name;
    assert.equal(guess('Wer war die Königin der Niederlande?'), 'de');
    assert.equal(guess('¿En qué año murió Tesla?'), 'es');
    assert.equal(guess('En que ano murio Tesla'), 'es');
    assert.equal(guess('How is the index saved to disk?'), 'en');
    // "thể" folds to "the", "do" and "con" are English and Spanish stop words: still no guess.
    assert.equal(guess('thể loại nào do con làm'), undefined);
    assert.equal(guess('the tokenizer'), undefined);
  });

  test('only its stop words are left out, and never every word', () => {
    const words = exactTerms('Was ist die Hauptstadt von Australien?');
    assert.deepEqual(withoutStopWords(words, guessQueryLanguage(words)), ['hauptstadt', 'australien']);
    const only = exactTerms('was ist das');
    assert.deepEqual(withoutStopWords(only, guessQueryLanguage(only)), only);
  });
});

describe('keyword search beyond plain BM25+', () => {
  test('stop words no longer let a passage full of them beat the one with the content words', async () => {
    const index = await indexOf({
      'answer.md': 'Canberra ist seit 1913 die Hauptstadt Australiens.',
      'chatter.md': 'Was ist die Frage, was ist die Antwort, und was ist von dem allem zu halten, fragt sie.',
    });
    const query = 'Was ist die Hauptstadt von Australien?';
    assert.equal(ranking(index, query, true)[0], 'chatter.md', 'plain BM25+ counts every matched stop word');
    assert.equal(ranking(index, query)[0], 'answer.md');
  });

  test('a Spanish word finds its other inflections by stem, with or without accents', async () => {
    const index = await indexOf({
      'answer.md': 'Cada nación europea aceptó el acuerdo de paz.',
      'other.md': 'Las ciudades europeas crecieron con el comercio.',
    });
    for (const query of ['¿Cuáles de las naciones europeas aceptaron?', 'Cuales de las naciones europeas aceptaron']) {
      assert.equal(ranking(index, query, true)[0], 'other.md', `plain BM25+ does not match "naciones" to "nación" (${query})`);
      assert.equal(ranking(index, query)[0], 'answer.md', query);
    }
  });

  test('the passage holding the query words together goes first', async () => {
    const filler = 'weather report for the coastal region shows calm seas and light wind';
    const index = await indexOf({
      'together.md': `${filler} ${filler} the solar panel efficiency rose this year ${filler}`,
      'scattered.md': `solar ${filler} panel ${filler} efficiency ${filler} solar ${filler} panel`,
    });
    const query = 'what is the efficiency of a solar panel';
    assert.equal(ranking(index, query, true)[0], 'scattered.md', 'plain BM25+ prefers the higher term frequency');
    assert.equal(ranking(index, query)[0], 'together.md');
  });

  test('Vietnamese syllables and code identifiers are searched as before', async () => {
    const index = await indexOf({
      'vi.md': 'Thể loại này do con người làm ra.',
      'config.ts': 'export function loadConfig(path) { return read_settings(path); }',
      'other.md': 'The loader reads settings from disk.',
    });
    assert.equal(ranking(index, 'thể loại')[0], 'vi.md');
    assert.deepEqual(ranking(index, 'thể loại nào do con làm'), ranking(index, 'thể loại nào do con làm', true));
    assert.equal(ranking(index, 'how is loadConfig called')[0], 'config.ts');
    assert.equal(ranking(index, 'where are read_settings used')[0], 'config.ts');
  });
});

describe('keyword search with German compounds', () => {
  const documents = {
    'answer.md': 'Eleutherian Mills stellte Schießpulver her; dieses Unternehmen gründete E. I. du Pont.',
    'family.md': 'Pierre du Pont zog 1800 mit der Familie du Pont nach Amerika, wo das Land billig war.',
  };

  test('a compound question word finds the passage that holds its parts', async () => {
    const index = await indexOf(documents);
    const query = 'Wie hieß das Schießpulverunternehmen von du Pont?';
    assert.equal(ranking(index, query, true)[0], 'family.md', 'plain BM25+ does not see the parts');
    assert.equal(ranking(index, query)[0], 'answer.md');
  });

  test('a word of a language with no compounding is not split', async () => {
    const index = await indexOf({ 'parts.md': 'The data sits on a base of rock.' });
    assert.deepEqual(ranking(index, 'where is the database stored'), []);
  });
});
