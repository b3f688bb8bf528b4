/**
 * A model that never writes a blank line streams one ever-longer paragraph. The chat view
 * lays its finished text out in runs of ~8 KB (webview-ui/answerContent.ts), so each frame
 * lays out only the last run, not the whole paragraph (bench/chatViewLayout.ts has the
 * figures). What a user must not notice: text lost, doubled or re-rendered under a
 * selection, or an answer that reads differently from the same answer reopened from history.
 * The view's own bundle in Chromium (test/support/chatViewPage.ts).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { oneParagraph, STREAM_ANSWER, writeChatViewPage } from '../support/chatViewPage';

type Harness = typeof import('../vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

const PARAGRAPH_CHARS = 40_000;
const CHARS_PER_FRAME = 120;

/** The answer's HTML with its runs taken apart: what a one-shot render of the text would give. */
function withoutRuns(page: Page, index: number): Promise<{ html: string; runs: number; text: string }> {
  return page.evaluate((at) => {
    const shown = document.querySelectorAll('.turn .content')[at];
    const copy = shown.cloneNode(true) as HTMLElement;
    const runs = copy.querySelectorAll('span.run');
    runs.forEach((run) => run.replaceWith(...Array.from(run.childNodes)));
    copy.normalize();
    return { html: copy.innerHTML, runs: shown.querySelectorAll('span.run').length, text: shown.textContent ?? '' };
  }, index);
}

describe('a very long paragraph streaming into the chat view', () => {
  let harness: Harness;
  let browser: Browser;
  let page: Page;
  let dir: string;

  before(async () => {
    harness = await import('../vscode/codeServer.mjs');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-view-'));
    browser = await harness.launchBrowser();
    page = await browser.newPage({ viewport: { width: 360, height: 700 } });
    await page.goto(writeChatViewPage(dir));
  });

  after(async () => {
    await browser?.close();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('is laid out in runs that stay put, and reads exactly as the same answer reopened', async () => {
    const text = oneParagraph(PARAGRAPH_CHARS);
    await page.evaluate(`(${STREAM_ANSWER})(${JSON.stringify({ text, per: CHARS_PER_FRAME })})`);
    await page.locator('.turn.done').waitFor({ timeout: 10_000 });

    const streamed = await withoutRuns(page, 0);
    assert.equal(streamed.text.replace(/\s+/g, ' '), text.replace(/[*`]/g, '').replace(/\s+/g, ' '), 'every word once, in order, Markdown rendered');
    assert.ok(streamed.runs >= 3, `a 40 KB paragraph is laid out in runs (got ${streamed.runs})`);
    const firstRunKept = await page.evaluate(() => {
      const kept = (window as unknown as { firstRun?: Element }).firstRun;
      return Boolean(kept?.isConnected && kept === document.querySelector('.turn .content span.run'));
    });
    assert.ok(firstRunKept, 'the first run is the same element from halfway through to the end: finished text is not re-rendered');
    assert.equal(await page.locator('.turn .content p').count(), 1, 'still one paragraph');
    assert.equal(await page.locator('.turn .content em').count(), (text.match(/\*index\*/g) ?? []).length, 'emphasis rendered in every run');

    // The same answer drawn at once, as a reopened conversation draws it.
    await page.evaluate((answer) => {
      window.postMessage({ type: 'history', turns: [{ question: 'What does Stop do?', answer, outcome: 'done', sources: [], askedAt: Date.now() }] }, '*');
    }, text);
    await page.waitForFunction((streamedText) => document.querySelector('.turn .content')?.textContent === streamedText, streamed.text);
    const reopened = await withoutRuns(page, 0);
    assert.equal(reopened.html, streamed.html, 'runs aside, the streamed answer is the DOM of a one-shot render');
  });
});
