/**
 * Two browser tabs on one folder, and a reload: each tab has its own extension host and
 * pipeline process, yet both show the same index and the same conversation, and what one
 * indexes the other finds.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import type { FrameLocator } from 'playwright-core';
import { answerOf, ask, openChatView, useChatWorkbench } from '../support/chatView';


describe('one folder in two tabs, and after a reload', () => {
  // No chat model: the answer quotes the passages, so it shows what the index holds.
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '' } });

  const askAndWait = async (chat: FrameLocator, question: string) => answerOf(await ask(chat, question));

  test('a second tab sees the first one’s index and conversation; what it indexes, the first finds; a reload keeps both', async () => {
    const { harness, fixture, page: first, chat } = view;
    await harness.runCommand(first, 'Local RAG: Index Workspace');
    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: 2 files/ }).waitFor({ timeout: 60_000 });
    assert.match(await askAndWait(chat, 'What does the Stop button keep?'), /keeps what was written/);

    const second = await first.context().newPage();
    await second.goto(first.url(), { waitUntil: 'domcontentloaded' });
    await second.locator('.activitybar').first().waitFor({ state: 'visible', timeout: 60_000 });
    const chat2 = await openChatView(harness, second);
    await chat2.locator('.turn .question', { hasText: 'What does the Stop button keep?' }).waitFor({ timeout: 30_000 });

    // A file indexed from the second tab is found from the first (two pipelines, one store).
    fs.writeFileSync(path.join(fixture.workspace, 'docs', 'ferry.md'), '# Ferry\n\nThe albatross ferry leaves the harbour at seven.\n');
    await harness.runCommand(second, 'Local RAG: Index Workspace');
    assert.match(await askAndWait(chat2, 'When does the albatross ferry leave?'), /albatross ferry leaves the harbour/);
    assert.match(await askAndWait(chat, 'Which ferry leaves the harbour at seven?'), /albatross ferry leaves the harbour/, 'the first tab finds what the second indexed');
    await second.close();

    await first.reload({ waitUntil: 'domcontentloaded' });
    await first.locator('.activitybar').first().waitFor({ state: 'visible', timeout: 60_000 });
    const reloaded = await openChatView(harness, first);
    for (const question of ['What does the Stop button keep?', 'When does the albatross ferry leave?', 'Which ferry leaves the harbour at seven?']) {
      await reloaded.locator('.turn .question', { hasText: question }).waitFor({ timeout: 30_000 });
    }
    assert.match(await askAndWait(reloaded, 'When does the albatross ferry leave the harbour?'), /albatross ferry leaves/, 'the index is there after the reload');
  });
});
