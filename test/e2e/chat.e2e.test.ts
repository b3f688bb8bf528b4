/**
 * A person at the real workbench (code-server in Chromium, driven by Playwright): opens the
 * Local RAG view, asks, watches the answer stream, stops it; clicks a citation and lands on
 * the cited lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { FrameLocator, Page } from 'playwright-core';
import { createVsCodeFixture, EXTENSION_ID, REPO_ROOT, type VsCodeFixture } from '../support/vscodeFixtures';

type CodeServerHarness = typeof import('../vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

describe('chat view in the browser', () => {
  let harness: CodeServerHarness;
  let fixture: VsCodeFixture;
  let workbench: Awaited<ReturnType<CodeServerHarness['openWorkbench']>>;
  let page: Page;
  let chat: FrameLocator;

  before(async () => {
    harness = await import('../vscode/codeServer.mjs');
    // A long context so an answer streams for many seconds: Stop must land mid-stream.
    fixture = createVsCodeFixture({ contextLength: 16384, maxAnswerTokens: 12000 });
    workbench = await harness.openWorkbench({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: fixture.userSettings,
    });
    page = workbench.page;
    await harness.activityBarItem(page, 'Local RAG').click();
    chat = (await harness.webviewFrame(page, EXTENSION_ID)) as FrameLocator;
    await chat.getByRole('textbox', { name: 'Ask a question' }).waitFor({ timeout: 30_000 });
    // Answers come from indexed passages: with none, the answer says nothing was found.
    await indexWorkspace(harness, page);
  });

  after(async () => {
    await workbench?.close();
    fixture?.dispose();
  });

  async function lastTurnText(): Promise<string> {
    return (await chat.locator('.turn').last().locator('.content').textContent()) ?? '';
  }

  async function waitForStreaming(minChars: number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await lastTurnText()).length < minChars) {
      if (Date.now() > deadline) throw new Error('the answer did not stream');
      await page.waitForTimeout(50);
    }
  }

  test('the controls have accessible names', async () => {
    for (const name of ['Ask a question']) await chat.getByRole('textbox', { name }).waitFor();
    await chat.getByRole('button', { name: 'Send' }).waitFor();
    assert.equal(await chat.getByRole('log', { name: 'Conversation' }).count(), 1);
  });

  test('ask, see tokens stream, press Stop, see [Stopped]', async () => {
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    await input.fill('How does Stop work?');
    await input.press('Enter');
    await chat.locator('.turn .question', { hasText: 'How does Stop work?' }).waitFor();
    await waitForStreaming(40);
    const before = (await lastTurnText()).length;
    await page.waitForTimeout(200);
    assert.ok((await lastTurnText()).length > before, 'the answer keeps growing token by token');

    await chat.getByRole('button', { name: 'Stop', exact: true }).click();
    const turn = chat.locator('.turn').last();
    await turn.and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    const stopped = await lastTurnText();
    assert.match(stopped, /\[Stopped\]$/);
    await page.waitForTimeout(500);
    assert.equal(await lastTurnText(), stopped, 'nothing streams after Stop');
    assert.equal(await chat.getByRole('button', { name: 'Stop', exact: true }).isVisible(), false);
  });

  test('Esc in the input stops, and a newer question replaces the old one', async () => {
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    await input.fill('First question about Stop');
    await input.press('Enter');
    await waitForStreaming(20);
    await input.fill('Second question about the Stop button');
    await input.press('Enter');
    const first = chat.locator('.turn', { has: chat.locator('.question', { hasText: 'First question about Stop' }) });
    await first.and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    const firstText = await first.locator('.content').textContent();
    await chat.locator('.turn', { has: chat.locator('.question', { hasText: 'Second question about the Stop button' }) }).waitFor();
    await waitForStreaming(20);
    await input.press('Escape');
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    assert.equal(await first.locator('.content').textContent(), firstText, 'no token of the old answer after the new one started');
  });

  test('Ask About Workspace Docs: the quick-pick lists the passages while the answer streams into the view; Esc stops it', async () => {
    await harness.runCommand(page, 'Local RAG: Ask About Workspace Docs');
    const box = page.locator('.quick-input-widget input');
    await box.waitFor({ state: 'visible' });
    await box.fill('What does the Stop button do?');
    await box.press('Enter');
    await chat.locator('.turn .question', { hasText: 'What does the Stop button do?' }).waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'stop.md' }).first().waitFor({ timeout: 30_000 });
    await waitForStreaming(40);
    await box.press('Escape');
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    assert.match(await lastTurnText(), /\[Stopped\]$/);
  });
});

/** Runs Index Workspace and waits until its notification is gone. */
async function indexWorkspace(harness: CodeServerHarness, page: Page): Promise<void> {
  await harness.runCommand(page, 'Local RAG: Index Workspace');
  await page.waitForTimeout(500);
  await page.locator('.notification-toast', { hasText: /Indexing/i }).waitFor({ state: 'detached', timeout: 60_000 }).catch(() => {});
}

describe('citations in the browser', () => {
  let harness: CodeServerHarness;
  let fixture: VsCodeFixture;
  let workbench: Awaited<ReturnType<CodeServerHarness['openWorkbench']>>;
  let page: Page;
  let chat: FrameLocator;

  before(async () => {
    harness = await import('../vscode/codeServer.mjs');
    fixture = createVsCodeFixture();
    // No chat model: the answer quotes the passages with their [n], deterministically.
    workbench = await harness.openWorkbench({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { ...fixture.userSettings, 'localRag.chatModel': '' },
    });
    page = workbench.page;
    await harness.activityBarItem(page, 'Local RAG').click();
    chat = (await harness.webviewFrame(page, EXTENSION_ID)) as FrameLocator;
    await chat.getByRole('textbox', { name: 'Ask a question' }).waitFor({ timeout: 30_000 });
    await indexWorkspace(harness, page);
  });

  after(async () => {
    await workbench?.close();
    fixture?.dispose();
  });

  test('clicking [1] opens the cited file with the cited lines selected', async () => {
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    const turn = chat.locator('.turn').last();
    // The index may still be settling: ask until the answer cites.
    const deadline = Date.now() + 60_000;
    for (;;) {
      await input.fill('What does the Stop button keep?');
      await input.press('Enter');
      await turn.and(chat.locator('.turn.done')).waitFor({ timeout: 30_000 });
      if ((await turn.locator('button.citation').count()) > 0) break;
      if (Date.now() > deadline) throw new Error(`no citation: ${await turn.textContent()}`);
      await page.waitForTimeout(1000);
    }
    assert.match((await turn.locator('.content').textContent()) ?? '', /Local RAG: Download Models/);
    const first = turn.getByRole('button', { name: /^Source 1: / });
    assert.match((await first.getAttribute('aria-label')) ?? '', /docs\/stop\.md/);
    assert.match((await turn.locator('.sources .source-link').first().textContent()) ?? '', /^docs\/stop\.md · lines 1–\d/);

    await first.click();
    const tab = page.locator('.tabs-container .tab', { hasText: 'stop.md' });
    await tab.waitFor({ timeout: 20_000 });
    // The editor shows the file with the cited lines selected (the status bar names the selection).
    const selection = page.locator('.statusbar-item', { hasText: /Ln \d+, Col \d+ \(\d+ selected\)/ });
    await selection.waitFor({ timeout: 10_000 });
    assert.match((await page.locator('.monaco-editor .view-lines').first().textContent()) ?? '', /The\sStop\sbutton\sends\san\sanswer/);
  });
});
