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


interface Sight {
  onScreen: boolean;
  /** Where things were, for a failure's message. */
  detail: string;
}

/**
 * Whether the last visible character of the newest answer lies inside the visible part of
 * the log, as painted: measured after the next frame, since between frames the layout may
 * hold a change whose observers (the view follows on them) have not run yet — a state no
 * one sees.
 */
async function newestWords(frame: Frame): Promise<Sight> {
  return frame.evaluate(async () => {
    await Promise.race([
      new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))),
      new Promise((resolve) => setTimeout(resolve, 1000)),
    ]);
    const log = document.getElementById('messages');
    const content = Array.from(log?.querySelectorAll('.turn .content') ?? []).at(-1);
    if (!log || !content) return { onScreen: false, detail: 'no answer' };
    const walker = document.createTreeWalker(content, NodeFilter.SHOW_TEXT);
    let last: Text | undefined;
    for (let node = walker.nextNode(); node; node = walker.nextNode()) if (node.textContent?.trim()) last = node as Text;
    if (!last) return { onScreen: false, detail: 'no text in the answer' };
    // The last visible character: not a trailing space or newline a token ended with.
    const end = last.data.search(/\S\s*$/);
    const range = document.createRange();
    range.setStart(last, end);
    range.setEnd(last, end + 1);
    const glyph = range.getBoundingClientRect();
    const box = log.getBoundingClientRect();
    const jump = document.querySelector<HTMLElement>('.jump-latest');
    return {
      onScreen: glyph.height > 0 && glyph.top >= box.top - 1 && glyph.bottom <= box.bottom + 1,
      detail: `glyph ${JSON.stringify(last.data.slice(end - 20, end + 1))} at ${glyph.top}–${glyph.bottom}, log ${box.top}–${box.bottom}, ` +
        `scrollTop ${log.scrollTop} of ${log.scrollHeight - log.clientHeight}, jump ${jump?.hidden === false ? 'shown' : 'hidden'}`,
    };
  });
}

async function newestWordsOnScreen(frame: Frame): Promise<boolean> {
  return (await newestWords(frame)).onScreen;
}

/** Asserts the newest words are in sight, saying where they were if not. */
async function assertNewestWordsOnScreen(frame: Frame, message: string): Promise<void> {
  const sight = await newestWords(frame);
  assert.ok(sight.onScreen, `${message} (${sight.detail})`);
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
    await waitForStreaming(await send(view.chat, question), chars);
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
        await assertNewestWordsOnScreen(frame, `question ${i}, sample ${sample}: the streaming text is on screen`);
        await page.waitForTimeout(120);
      }
      await stopAndWait();
      await assertNewestWordsOnScreen(frame, `question ${i}: after Stop, the end of the answer ([Stopped]) is on screen`);
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
    await assertNewestWordsOnScreen(frame, 'Jump to latest shows the newest words');
    await page.waitForTimeout(500);
    await assertNewestWordsOnScreen(frame, 'and keeps following them');
    assert.equal(await chat.locator('.jump-latest').isVisible(), false);
    await stopAndWait();
    await assertNewestWordsOnScreen(frame, 'after Stop');
  });
});
