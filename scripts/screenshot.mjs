// Writes docs/images/chat-view.png: the chat view on sample-workspace/ in the light theme,
// after the suggested first question, as README shows it. Needs `npm run build` and the
// test tools (scripts/install-test-tools.sh). No chat model is set, so the answer quotes the
// passages (the tiny demo model would write word salad).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { openWorkbench, activityBarItem, webviewFrame } = await import(path.join(root, 'test', 'vscode', 'codeServer.mjs'));
const out = path.join(root, 'docs', 'images', 'chat-view.png');
// A copy of the sample workspace, so its index and settings stay out of the repository.
const workspace = fs.mkdtempSync(path.join(process.env.TMPDIR ?? '/tmp', 'local-rag-shot-'));
fs.cpSync(path.join(root, 'sample-workspace'), workspace, { recursive: true });

const workbench = await openWorkbench({
  workspace,
  extensionDevelopmentPath: root,
  viewport: { width: 1100, height: 940 },
  userSettings: {
    'workbench.colorTheme': 'Default Light Modern',
    'localRag.chatModel': '',
    'localRag.embeddingModel': '',
    'localRag.indexOnOpen': true,
    'workbench.startupEditor': 'none',
  },
});
try {
  const { page } = workbench;
  await activityBarItem(page, 'Local RAG').click();
  const chat = await webviewFrame(page, 'local-rag.local-rag');
  await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: \d+ files/ }).waitFor({ timeout: 60_000 });
  const input = chat.getByRole('textbox', { name: 'Ask a question' });
  await input.fill('How does Stop work?');
  await input.press('Enter');
  await chat.locator('.turn.done').last().waitFor({ timeout: 60_000 });
  // No hover tooltip over the view.
  await page.mouse.move(900, 500);
  await page.waitForTimeout(1500);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await page.locator('.part.sidebar').screenshot({ path: out });
  console.log(`Wrote ${path.relative(root, out)}`);
} finally {
  await workbench.close();
  fs.rmSync(workspace, { recursive: true, force: true });
}
