/**
 * The first minutes of a new user, in the real workbench: the first question comes before
 * anything is indexed, and a workspace set to index on open is ready by itself.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { createVsCodeFixture, EXTENSION_ID, REPO_ROOT, type VsCodeFixture } from '../support/vscodeFixtures';

type CodeServerHarness = typeof import('../vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

async function openChat(harness: CodeServerHarness, page: Page): Promise<FrameLocator> {
  await harness.activityBarItem(page, 'Local RAG').click();
  const chat = (await harness.webviewFrame(page, EXTENSION_ID)) as FrameLocator;
  await chat.getByRole('textbox', { name: 'Ask a question' }).waitFor({ timeout: 30_000 });
  return chat;
}

describe('the first question, before anything is indexed', () => {
  let harness: CodeServerHarness;
  let fixture: VsCodeFixture;
  let workbench: Awaited<ReturnType<CodeServerHarness['openWorkbench']>>;
  let page: Page;
  let chat: FrameLocator;

  before(async () => {
    harness = await import('../vscode/codeServer.mjs');
    fixture = createVsCodeFixture();
    // No chat model: the answer quotes the passages, so it shows what was found.
    workbench = await harness.openWorkbench({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { ...fixture.userSettings, 'localRag.chatModel': '' },
    });
    page = workbench.page;
    chat = await openChat(harness, page);
  });

  after(async () => {
    await workbench?.close();
    fixture?.dispose();
  });

  test('says nothing is indexed yet, and one button indexes the workspace and answers the same question in place', async () => {
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    await input.fill('What does the Stop button keep?');
    await input.press('Enter');
    const turn = chat.locator('.turn').last();
    await turn.and(chat.locator('.turn.error')).waitFor({ timeout: 30_000 });
    assert.match((await turn.getByRole('alert').textContent()) ?? '', /Nothing is indexed yet/);
    assert.equal(await turn.getByRole('button', { name: 'Retry' }).count(), 0, 'the fix is offered, not a plain retry');

    await turn.getByRole('button', { name: /Index the workspace, then answer/ }).click();
    // The usual progress notification, then the same question answered from the files.
    await page.locator('.notification-toast', { hasText: /Indexing/i }).first().waitFor({ timeout: 30_000 }).catch(() => {});
    const answered = chat.locator('.turn.done', { has: chat.locator('.question', { hasText: 'What does the Stop button keep?' }) });
    await answered.waitFor({ timeout: 60_000 });
    assert.match((await answered.locator('.content').textContent()) ?? '', /keeps what was written/);
    assert.equal(await chat.locator('.turn').count(), 1, 'the answer took the place of the "nothing indexed" one');
    assert.equal(await chat.locator('.turn.error').count(), 0);
  });
});

describe('a workspace set to index when it opens', () => {
  let harness: CodeServerHarness;
  let fixture: VsCodeFixture;
  let workbench: Awaited<ReturnType<CodeServerHarness['openWorkbench']>>;

  before(async () => {
    harness = await import('../vscode/codeServer.mjs');
    fixture = createVsCodeFixture();
    workbench = await harness.openWorkbench({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { ...fixture.userSettings, 'localRag.chatModel': '', 'localRag.indexOnOpen': true },
    });
  });

  after(async () => {
    await workbench?.close();
    fixture?.dispose();
  });

  test('is indexed without a command, so the suggested first question is answered', async () => {
    const chat = await openChat(harness, workbench.page);
    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: 2 files/ }).waitFor({ timeout: 60_000 });
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    await input.fill('How does the Stop button work?');
    await input.press('Enter');
    const turn = chat.locator('.turn').last();
    await turn.and(chat.locator('.turn.done')).waitFor({ timeout: 60_000 });
    assert.match((await turn.locator('.content').textContent()) ?? '', /Stop button ends an answer/);
  });
});
