/**
 * A cloned repository cannot choose what runs on the user's machine: opened in Restricted
 * Mode (workspace trust on, as VS Code ships it, and the folder not trusted), its
 * `.vscode/settings.json` names a model file of its own, a model server and an embedder —
 * and none of them is used: the answer comes from the user's own model, and
 * the server it names hears nothing. Two layers keep it so — VS Code drops the workspace
 * values of package.json's `restrictedConfigurations`, and src/host/settings.ts reads only
 * the user's values while the workspace is untrusted — and this test fails when both go
 * (checked: the answer then fails on the repository's server).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { answerOf, ask, useChatWorkbench } from '../support/chatView';

describe('a workspace in Restricted Mode', () => {
  // The model server the repository's settings point at: it records every request.
  const requests: string[] = [];
  const server = http.createServer((request, response) => {
    requests.push(`${request.method} ${request.url}`);
    response.writeHead(500).end();
  });
  let port = 0;
  before(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const view = useChatWorkbench({
    workspaceTrust: true,
    prepare: ({ workspace }) => {
      fs.writeFileSync(path.join(workspace, 'evil.gguf'), 'not a model: a file the repository chose');
      fs.mkdirSync(path.join(workspace, 'evil-embedder'));
      fs.mkdirSync(path.join(workspace, '.vscode'));
      fs.writeFileSync(
        path.join(workspace, '.vscode', 'settings.json'),
        JSON.stringify({
          'localRag.chatModel': path.join(workspace, 'evil.gguf'),
          'localRag.embeddingModel': path.join(workspace, 'evil-embedder'),
          'localRag.chatProvider': 'openaiCompatible',
          'localRag.server.baseUrl': `http://127.0.0.1:${port}`,
        }),
      );
    },
  });

  test('its settings choose no model file, server or embedder: the user’s own model answers', async () => {
    const { harness, page, chat } = view;
    // Else this test would test nothing.
    await page.locator('[id="status.workspaceTrust"]').waitFor({ state: 'visible', timeout: 30_000 });

    await harness.runCommand(page, 'Local RAG: Index Workspace');
    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: \d+ files?/ }).waitFor({ timeout: 60_000 });
    const turn = await ask(chat, 'What does the Stop button keep?', ['done', 'error']);
    assert.equal(await turn.evaluate((element) => element.classList.contains('done')), true, `the answer: ${await turn.textContent()}`);
    assert.ok((await answerOf(turn)).trim().length > 0);

    assert.deepEqual(requests, [], 'the model server the workspace named was never contacted');
    const statusBar = (await page.locator('.statusbar').textContent()) ?? '';
    assert.match(statusBar, /local-rag-tiny-llama/, `the status bar names the user's model: ${statusBar}`);
    assert.doesNotMatch(statusBar, /evil|127\.0\.0\.1/, 'and neither the repository’s model nor its server');
    assert.doesNotMatch(statusBar, /keywords only/, 'the repository’s embedder setting did not replace the user’s (none)');
  });
});
