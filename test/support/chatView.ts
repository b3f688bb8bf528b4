/** The chat view in the real workbench, as the e2e suites open and use it (Playwright). */
import { after, before } from 'node:test';
import type { FrameLocator, Locator, Page } from 'playwright-core';
import { until } from './until';
import { createVsCodeFixture, EXTENSION_ID, REPO_ROOT, type VsCodeFixture } from './vscodeFixtures';

export type CodeServerHarness = typeof import('../vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });
type Workbench = Awaited<ReturnType<CodeServerHarness['openWorkbench']>>;

export interface ChatWorkbenchOptions {
  /** The tiny model's size: a long context lets an answer stream for many seconds. */
  fixture?: Parameters<typeof createVsCodeFixture>[0];
  /** Writes files into the workspace before the workbench opens. */
  prepare?: (fixture: VsCodeFixture) => void;
  /** User settings over the fixture's. */
  settings?: Record<string, unknown>;
  viewport?: { width: number; height: number };
  /** Made when the suite starts, not when it is declared: .vsix files to install, code-server arguments. */
  extensions?: () => { installExtensions?: string[]; args?: string[] };
  /** The chat input's name in the display language. */
  inputName?: string;
  /** Runs Index Workspace once the view is open. */
  index?: boolean;
  /** Lets the page read and write the clipboard (Copy buttons). */
  clipboard?: boolean;
  /** Workspace trust on: the fixture folder, not trusted yet, opens in Restricted Mode. */
  workspaceTrust?: boolean;
}

/** What a describe block's tests use; filled in by the `before` hook. */
export interface ChatWorkbench {
  harness: CodeServerHarness;
  fixture: VsCodeFixture;
  workbench: Workbench;
  page: Page;
  /** The chat view; a test that reloads the window sets the new one here. */
  chat: FrameLocator;
}

/**
 * Registers the describe block's hooks: before, a fixture workspace, code-server with the
 * extension in Chromium, and the chat view open (indexed if asked); after, all closed and
 * removed. The returned object's fields are there once the `before` hook has run.
 */
export function useChatWorkbench(options: ChatWorkbenchOptions = {}): ChatWorkbench {
  const handles = {} as ChatWorkbench;
  before(async () => {
    handles.harness = await import('../vscode/codeServer.mjs');
    handles.fixture = createVsCodeFixture(options.fixture);
    options.prepare?.(handles.fixture);
    handles.workbench = await handles.harness.openWorkbench({
      workspace: handles.fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      userSettings: { ...handles.fixture.userSettings, ...options.settings },
      viewport: options.viewport,
      workspaceTrust: options.workspaceTrust,
      ...options.extensions?.(),
    });
    handles.page = handles.workbench.page;
    if (options.clipboard) await handles.page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    handles.chat = await openChatView(handles.harness, handles.page, options.inputName);
    // Answers come from indexed passages: with none, the answer says nothing was found.
    if (options.index) await indexWorkspace(handles.harness, handles.page);
  });
  after(async () => {
    await handles.workbench?.close();
    handles.fixture?.dispose();
  });
  return handles;
}

/**
 * Shows Local RAG's sidebar (unless it is shown already) and waits for the chat view's input
 * (named `input`, in the display language). A second tab or a reload restores the sidebar
 * as it was, sometimes only after the activity bar is drawn, and clicking the icon of a
 * shown sidebar hides it: so the icon is clicked only while it says the sidebar is closed,
 * until the view is there. The pointer then leaves the activity bar: its hover tooltip
 * would sit over the view.
 */
export async function openChatView(harness: CodeServerHarness, page: Page, input = 'Ask a question'): Promise<FrameLocator> {
  const icon = harness.activityBarItem(page, 'Local RAG');
  const webview = page.locator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).filter({ visible: true });
  const shown = await until(async () => {
    if (await webview.count()) return true;
    if ((await icon.getAttribute('aria-expanded', { timeout: 30_000 })) !== 'true') {
      await icon.click();
      await page.mouse.move(1000, 600);
      await webview.first().waitFor({ state: 'visible', timeout: 5000 }).catch(() => {});
    }
    return (await webview.count()) > 0;
  }, 60_000, 1000);
  if (!shown) throw new Error('the Local RAG sidebar did not show its chat view');
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

export type Outcome = 'done' | 'error' | 'cancelled';

/**
 * Asks in the view and waits until the new turn ends as `outcome` (or as any of several);
 * returns that turn.
 */
export async function ask(chat: FrameLocator, question: string, outcome: Outcome | Outcome[] = 'done'): Promise<Locator> {
  const turn = await send(chat, question);
  const ends = [outcome].flat().map((end) => `.turn.${end}`).join(', ');
  await turn.and(chat.locator(ends)).waitFor({ timeout: 60_000 });
  return turn;
}

/**
 * Asks in the view and returns the new turn at once, while its answer streams: the next
 * turn of this question, so neither an earlier answer to it nor a turn another window
 * adds to the conversation is taken for it.
 */
export async function send(chat: FrameLocator, question: string): Promise<Locator> {
  const asked = chat.locator('.turn').filter({ has: chat.locator('.question').getByText(question, { exact: true }) });
  const count = await asked.count();
  const input = chat.getByRole('textbox', { name: 'Ask a question' });
  await input.fill(question);
  await input.press('Enter');
  return asked.nth(count);
}

/** The text of a turn's answer so far. */
export async function answerOf(turn: Locator): Promise<string> {
  return (await turn.locator('.content').textContent()) ?? '';
}

/**
 * Waits until `turn`'s answer has streamed at least `chars` characters. The turn, not the
 * newest one: right after a question is sent the view may not show its turn yet, and the
 * newest is then the previous answer, long enough already.
 */
export async function waitForStreaming(turn: Locator, chars: number): Promise<void> {
  const streamed = await until(async () => (await turn.count()) > 0 && (await answerOf(turn)).length >= chars, 60_000, 50);
  if (!streamed) throw new Error('the answer did not stream');
}

/**
 * Asks until the answer passes `accept` (the index may still be settling after Index
 * Workspace); returns the accepted turn.
 */
export async function askUntil(chat: FrameLocator, question: string, accept: (turn: Locator) => Promise<boolean>): Promise<Locator> {
  let turn: Locator | undefined;
  const accepted = await until(async () => {
    turn = await ask(chat, question);
    return accept(turn);
  }, 60_000, 1000);
  if (!accepted) throw new Error(`no accepted answer to "${question}": ${await turn?.textContent()}`);
  return turn!;
}
