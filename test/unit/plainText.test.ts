/** Passages shown as plain text: quick-pick rows and the no-model answer's quotes. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { extractiveAnswer } from '../../src/pipeline/chat/extractive';
import { chunkDocument } from '../../src/pipeline/indexing/chunk';
import { plainExcerpt } from '../../src/protocol/plainText';
import type { Source } from '../../src/protocol/events';

const QUOKKA = '# Animals\n\n## Quokka security note\n\nThe quokka note says **never** feed a quokka. See [the guide](https://example.org/guide) and `feed.md`.\n\n- Keep food sealed.\n- Report bites.\n';

function sourcesOf(markdown: string): Source[] {
  const chunks = chunkDocument({ path: 'animals.md', kind: 'markdown', units: [{ text: markdown }] });
  return chunks.map((chunk) => ({ path: chunk.path, heading: chunk.heading, startLine: chunk.startLine, endLine: chunk.endLine, excerpt: chunk.text, score: 1 }));
}

describe('passages as plain text', () => {
  test('a quick-pick excerpt has no heading marks, emphasis, link syntax or bullets', () => {
    const [source] = sourcesOf(QUOKKA).filter((s) => s.heading?.endsWith('Quokka security note'));
    assert.ok(source, 'the chunk under the heading');
    const plain = plainExcerpt(source.excerpt, source.heading);
    assert.equal(plain, 'The quokka note says never feed a quokka. See the guide and feed.md. Keep food sealed. Report bites.');
    assert.doesNotMatch(plain, /#|\*\*|\]\(|^- /);
  });

  test('underscores inside words are text, not emphasis', () => {
    assert.equal(plainExcerpt('Set `window.__xss` and my_snake_case; __bold__ stays a word.'), 'Set window.__xss and my_snake_case; bold stays a word.');
  });

  test('the heading path the chunker repeats on a continued chunk is not part of the excerpt', () => {
    assert.equal(plainExcerpt('Guide › Setup\nRun the installer twice.', 'Guide › Setup'), 'Run the installer twice.');
  });

  test('the no-model answer puts the heading in front as a path, never run into the first sentence', () => {
    const answer = extractiveAnswer('What does the quokka note say about feeding?', sourcesOf(QUOKKA).filter((s) => /quokka/i.test(s.excerpt)));
    // The answer is Markdown (rendered without HTML): inline marks stay, block marks go.
    assert.match(answer, /^- \*Animals › Quokka security note\* › The quokka note says \*\*never\*\* feed a quokka\./m);
    assert.doesNotMatch(answer, /note The quokka/);
    assert.doesNotMatch(answer, /##/);
  });
});
