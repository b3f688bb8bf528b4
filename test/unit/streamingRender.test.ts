/**
 * Long answers in the chat view: streamed a few characters at a time they must look exactly
 * as if rendered whole, while each frame renders only what is still open; and bare URLs
 * must not make rendering quadratic.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { mulberry32 } from '../fixtures/random';
import { renderMarkdown } from '../../webview-ui/markdown';
import { StreamingAnswer, type Block } from '../../webview-ui/streamingMarkdown';

const citations = { describe: ['docs/stop.md · lines 1–3', 'docs/b.md'] };
const README = fs.readFileSync(path.join(__dirname, '..', '..', 'README.md'), 'utf8');

/** Markdown that reaches back: late closers, loose lists, setext headings, a late reference, CRLF. */
const TRICKY = [
  'Intro with *emphasis that closes much later, after [1] and [2] and https://example.com/a_b*done.',
  '',
  '- tight item',
  '- second [1]',
  '',
  '- now the list is loose',
  '',
  'A paragraph that becomes a heading',
  '===',
  '',
  '| a | b |',
  '|:--|--:|',
  '| `code [1]` | **bold** |',
  '',
  '```ts',
  'const x = "<b>";',
  '```',
  '',
  '    indented code',
  '',
  '    still code',
  '',
  'See [the guide][guide] and <https://example.org/x> and mailto:a@b.example, &amp; \\*not em\\*.',
  'Soft break above, hard break here  ',
  'and ~~struck~~ text with snake_case_words and a `span',
  'that closes` later.',
  '',
  '> quoted',
  'lazy line',
  '',
  '1. one',
  '2. two',
  '',
  '[guide]: https://example.com/guide',
  '',
  'Last words.',
].join('\n');

const CRLF = 'First paragraph\r\nstill first\r\n\r\nSecond *one*\r\n\r\n- a\r\n- b\r\n';

/** What the chat view shows for these blocks, as one HTML string. */
function html(blocks: readonly Block[]): string {
  return blocks.map((block) => (block.kind === 'html' ? block.html : `<p>${block.frozen.join('')}${block.live}</p>\n`)).join('');
}

/** A long answer from a model that writes no blank line: one paragraph, with some Markdown in it. */
function longParagraph(chars: number, seed = 7): string {
  const random = mulberry32(seed);
  const words = ['the', 'Stop', 'button', 'keeps', 'what', 'was', 'written', 'index', 'file', 'answer', '[1]', '**bold**', '`code`', 'https://example.com/x', 'snake_case', '*em*', '[2],', 'a_b*c'];
  let text = '';
  while (text.length < chars) text += `${words[Math.floor(random() * words.length)]} `;
  return text.trimEnd();
}

/** Streams `text` in random steps of 1..maxStep characters; checks every step against a one-shot render. */
function streamAndCompare(text: string, seed: number, maxStep: number): number {
  const random = mulberry32(seed);
  const answer = new StreamingAnswer();
  let steps = 0;
  for (let end = 0; end < text.length; ) {
    end = Math.min(text.length, end + 1 + Math.floor(random() * maxStep));
    const prefix = text.slice(0, end);
    assert.equal(html(answer.update(prefix, citations)), renderMarkdown(prefix, citations), `after ${end} characters: …${JSON.stringify(prefix.slice(-60))}`);
    steps++;
  }
  return steps;
}

describe('streaming render', () => {
  test('at every cut point of real Markdown, the streamed answer is exactly the one-shot render', () => {
    let steps = 0;
    steps += streamAndCompare(TRICKY, 1, 3); // nearly every character of the tricky constructs
    steps += streamAndCompare(CRLF, 2, 2);
    steps += streamAndCompare(README, 3, 60);
    steps += streamAndCompare(longParagraph(12_000), 4, 40);
    assert.ok(steps > 700, `${steps} cut points`);
  });

  test('finished blocks are not rendered again: they are the same objects from frame to frame', () => {
    const answer = new StreamingAnswer();
    const first = answer.update('# Title\n\nFirst paragraph.\n\nSecond paragraph,\nits next', citations);
    const second = answer.update('# Title\n\nFirst paragraph.\n\nSecond paragraph,\nits next line grows', citations);
    assert.equal(second[0], first[0], 'the heading');
    assert.equal(second[1], first[1], 'the first paragraph');
    assert.notEqual(second[2], first[2], 'the open paragraph');
  });

  test('a long open paragraph is rendered in pieces: only the rest after the last piece is parsed again', () => {
    const answer = new StreamingAnswer();
    const text = longParagraph(60_000, 9);
    let blocks: Block[] = [];
    for (let end = 500; end < text.length; end += 500) blocks = answer.update(text.slice(0, end), citations);
    const paragraph = blocks.at(-1);
    assert.equal(paragraph?.kind, 'paragraph');
    if (paragraph?.kind !== 'paragraph') return;
    assert.ok(paragraph.frozen.length > 10, `${paragraph.frozen.length} pieces`);
    assert.ok(paragraph.live.length < 8_000, `the live rest is ${paragraph.live.length} characters of HTML`);
  });

  test('new sources or an edited text start over and still match', () => {
    const answer = new StreamingAnswer();
    answer.update('Cites [1] and [2].\n\nMore', { describe: [] });
    assert.equal(html(answer.update('Cites [1] and [2].\n\nMore text', citations)), renderMarkdown('Cites [1] and [2].\n\nMore text', citations));
    assert.equal(html(answer.update('Different', citations)), renderMarkdown('Different', citations));
  });
});

describe('bare URLs', () => {
  /** Median milliseconds of rendering `text`. */
  function renderMs(text: string): number {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const start = performance.now();
      renderMarkdown(text, citations);
      times.push(performance.now() - start);
    }
    return times.sort((a, b) => a - b)[1];
  }

  test('88 KB of URLs written back to back renders about as fast as 88 KB of words (it took 3–5 s)', () => {
    const plain = 'word '.repeat(88_000 / 5);
    renderMs(plain); // warm up
    const plainMs = Math.max(renderMs(plain), 5);
    const runs: Record<string, (i: number) => string> = {
      'no separator': (i) => `https://example.com/p/${i}`,
      commas: (i) => `https://example.com/p/${i},`,
      'long paths': (i) => `https://example.com/${'a'.repeat(20)}${i}/`,
    };
    for (const [name, url] of Object.entries(runs)) {
      let text = '';
      for (let i = 0; text.length < 88_000; i++) text += url(i);
      const ms = renderMs(text);
      assert.ok(ms < plainMs * 30, `${name}: ${ms.toFixed(0)} ms against ${plainMs.toFixed(0)} ms for plain text`);
    }
  });

  test('links are still found, and only http, https and mailto', () => {
    const rendered = renderMarkdown('a https://example.com/x, b ftp://example.com/y c //example.com/z d mailto:a@b.example', citations);
    assert.match(rendered, /data-href="https:\/\/example\.com\/x"/);
    assert.match(rendered, /data-href="mailto:a@b\.example"/);
    assert.doesNotMatch(rendered, /data-href="(?:ftp|\/\/)/);
  });
});
