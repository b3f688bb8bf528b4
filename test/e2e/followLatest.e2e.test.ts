/**
 * The answer stays in sight: in a conversation longer than the view, the newest words are
 * on screen while tokens arrive and after Stop; scrolling up stops the following and shows
 * "Jump to latest", which brings the end back.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { Frame } from 'playwright-core';
import { send, useChatWorkbench, waitForStreaming } from '../support/chatView';
import { EXTENSION_ID } from '../support/vscodeFixtures';


/** Whether the last character of the newest answer lies inside the visible part of the log. */
function newestWordsOnScreen(frame: Frame): Promise<boolean> {
  return frame.evaluate(() => {
    const log = document.getElementById('messages');
    const content = Array.from(log?.querySelectorAll('.turn .content') ?? []).at(-1);
    if (!log || !content) return false;
    const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
    let last: Text | undefined;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) if (node.textContent?.trim()) last = node as Text;
    if (!last) return false;
    const range = document.createRange();
    range.setStart(last, Math.max(0, last.length - 1));
    range.setEnd(last, last.length);
    const glyph = range.getBoundingClientRect();
    const box = log.getBoundingClientRect();
    return glyph.height > 0 && glyph.top >= box.top - 1 && glyph.bottom <= box.bottom + 1;
  });
}

function scrollTopOf(frame: Frame): Promise<number> {
  return frame.evaluate(() => document.getElementById('messages')?.scrollTop ?? -1);
}

describe('the answer stays in sight', () => {
  // Long answers in a short view: a few of them overflow it.
  const view = useChatWorkbench({ fixture: { contextLength: 16384, maxAnswerTokens: 12000 }, viewport: { width: 1200, height: 650 } });
  let frame: Frame;

  before(async () => {
    const { harness, page, chat } = view;
    frame = await harness.webviewFrame(page, EXTENSION_ID, { frame: true });
    await harness.runCommand(page, 'Local RAG: Index Workspace');
    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: \d+ files?/ }).waitFor({ timeout: 60_000 });
  });

  async function askAndStream(question: string, chars: number): Promise<void> {
    await send(view.chat, question);
    await waitForStreaming(view.chat, chars);
  }

  async function stopAndWait(): Promise<void> {
    const { chat } = view;
    await chat.getByRole('button', { name: 'Stop', exact: true }).click();
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
  }

  test('the newest words are on screen while tokens arrive and after Stop, question after question', async () => {
    const { page, chat } = view;
    for (let i = 1; i <= 4; i++) {
      await askAndStream(`Question ${i}: how does the Stop button work?`, 300);
      assert.ok(await frame.evaluate(() => { const log = document.getElementById('messages')!; return log.scrollHeight > log.clientHeight; }) || i < 4, 'the conversation overflows the view by now');
      for (let sample = 0; sample < 5; sample++) {
        assert.ok(await newestWordsOnScreen(frame), `question ${i}, sample ${sample}: the streaming text is on screen`);
        await page.waitForTimeout(120);
      }
      await stopAndWait();
      assert.ok(await newestWordsOnScreen(frame), `question ${i}: after Stop, the end of the answer ([Stopped]) is on screen`);
      assert.equal(await chat.locator('.jump-latest').isVisible(), false, 'no "Jump to latest" while following');
    }
  });

  test('scrolling up stops following and shows "Jump to latest"; it brings the end back and following resumes', async () => {
    const { page, chat } = view;
    await askAndStream('And once more: what does Stop keep?', 200);
    const log = chat.locator('#messages');
    await log.hover();
    await page.mouse.wheel(0, -600);
    await chat.locator('.jump-latest').waitFor({ state: 'visible', timeout: 5_000 });
    const held = await scrollTopOf(frame);
    await page.waitForTimeout(800); // tokens keep arriving
    assert.equal(await scrollTopOf(frame), held, 'the view stays where the user scrolled while the answer grows');
    assert.equal(await newestWordsOnScreen(frame), false, 'the end is out of sight, as the user chose');

    await chat.locator('.jump-latest').click();
    assert.ok(await newestWordsOnScreen(frame), 'Jump to latest shows the newest words');
    await page.waitForTimeout(500);
    assert.ok(await newestWordsOnScreen(frame), 'and keeps following them');
    assert.equal(await chat.locator('.jump-latest').isVisible(), false);
    await stopAndWait();
    assert.ok(await newestWordsOnScreen(frame));
  });
});
