/** Which questions are follow-ups, and what the search then looks for. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fallbackQuery, isFollowUp } from '../../src/pipeline/chat/analysis';
import type { ChatTurn } from '../../src/protocol/events';

const turn = (question: string): ChatTurn => ({ question, answer: 'An answer.', outcome: 'done', sources: [], askedAt: 0 });
const before = [turn('How do I index Markdown files?')];

test('a question that points back or continues is a follow-up; one that names its subject is not', () => {
  for (const question of ['How do I stop it?', 'and PDFs?', 'What about Vietnamese?', 'Và PDF thì sao?', 'Còn nó thì sao?', 'Why?']) {
    assert.equal(isFollowUp(question, before), true, question);
  }
  for (const question of ['xylophonic plan', 'gardening', 'Thế nào là RAG?', 'What does the Stop button keep?']) {
    assert.equal(isFollowUp(question, before), false, question);
  }
  assert.equal(isFollowUp('How do I stop it?', []), false, 'nothing to follow');
});

test('without a model, a follow-up borrows the key words of the question before, and keeps its own', () => {
  const query = fallbackQuery('and PDFs?', before);
  assert.match(query, /^and PDFs\?/);
  assert.match(query, /index/);
  assert.match(query, /markdown/i);
  assert.equal(fallbackQuery('gardening', before), 'gardening', 'a standalone question is searched as typed');
});
