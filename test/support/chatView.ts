/** The chat view in the real workbench, as the e2e suites open and use it (Playwright). */
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { EXTENSION_ID } from './vscodeFixtures';

export type CodeServerHarness = typeof import('../vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

/**
 * Clicks Local RAG in the activity bar and waits for the chat view's input (named `input`,
 * in the display language). The pointer then leaves the activity bar: its hover tooltip
 * would sit over the view.
 */
export async function openChatView(harness: CodeServerHarness, page: Page, input = 'Ask a question'): Promise<FrameLocator> {
  await harness.activityBarItem(page, 'Local RAG').click();
  await page.mouse.move(1000, 600);
  await page.locator('.monaco-hover').waitFor({ state: 'hidden', timeout: 5000 }).catch(() => {});
  const chat = (await harness.webviewFrame(page, EXTENSION_ID)) as FrameLocator;
  await chat.getByRole('textbox', { name: input }).waitFor({ timeout: 30_000 });
  return chat;
}

/** Runs Index Workspace from the palette and waits until its notification is gone. */
export async function indexWorkspace(harness: CodeServerHarness, page: Page): Promise<void> {
  await harness.runCommand(page, 'Local RAG: Index Workspace');
  await page.waitForTimeout(500);
  await page.locator('.notification-toast', { hasText: /Indexing/i }).waitFor({ state: 'detached', timeout: 60_000 }).catch(() => {});
}

/** Asks in the view and waits until that question's turn ends as `outcome`; returns the turn. */
export async function askInView(chat: FrameLocator, question: string, outcome: 'done' | 'error' | 'cancelled' = 'done'): Promise<Locator> {
  const input = chat.getByRole('textbox', { name: 'Ask a question' });
  await input.fill(question);
  await input.press('Enter');
  const turn = chat.locator('.turn', { has: chat.locator('.question', { hasText: question }) }).last();
  await turn.and(chat.locator(`.turn.${outcome}`)).waitFor({ timeout: 60_000 });
  return turn;
}
