/**
 * How a German compound is split into indexed words (compoundWords.ts); what that does to
 * keyword search is in queryLanguage.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compoundParts } from '../../src/pipeline/indexing/store/compoundWords';

describe('splitting a compound into indexed words', () => {
  const frequencies: Record<string, number> = { schießpulver: 2, unternehmen: 9, gericht: 3, verfahren: 4, haus: 5, gerichtshaus: 6 };
  const parts = (word: string) => compoundParts(word, (term) => frequencies[term] ?? 0);

  test('into the two indexed words, also across a linking "s"', () => {
    assert.deepEqual(parts('schießpulverunternehmen'), ['schießpulver', 'unternehmen']);
    assert.deepEqual(parts('gerichtsverfahren'), ['gericht', 'verfahren']);
  });

  test('not when a part is unknown or too short, or the word itself is more frequent than its parts', () => {
    assert.deepEqual(parts('schießpulverfabrik'), []);
    assert.deepEqual(parts('hauspulver'), []);
    assert.deepEqual(parts('gerichtshaus'), []);
  });
});
