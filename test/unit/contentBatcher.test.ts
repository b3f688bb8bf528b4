/** How answer tokens travel: the first at once, a hot stream at most once per window. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ContentBatcher, CONTENT_WINDOW_MS } from '../../src/pipeline/chat/contentBatcher';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('the first token goes at once; tokens in the same window follow together; nothing is lost or reordered', async () => {
  const sent: string[] = [];
  const batcher = new ContentBatcher((content) => sent.push(content));
  batcher.add('Hel');
  assert.deepEqual(sent, ['Hel'], 'no wait for the first token');
  batcher.add('lo');
  batcher.add(', ');
  assert.deepEqual(sent, ['Hel'], 'later tokens of the window wait');
  await sleep(CONTENT_WINDOW_MS * 8);
  assert.deepEqual(sent, ['Hel', 'lo, ']);
  batcher.add('world');
  assert.deepEqual(sent, ['Hel', 'lo, ', 'world'], 'after a quiet window, a token goes at once again');
  batcher.add('!');
  batcher.flush();
  assert.deepEqual(sent, ['Hel', 'lo, ', 'world', '!'], 'flush sends what is pending (before a terminal event)');
  await sleep(CONTENT_WINDOW_MS * 2);
  assert.equal(sent.join(''), 'Hello, world!');
});
