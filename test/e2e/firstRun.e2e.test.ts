/**
 * The first minutes of a new user, in the real workbench: the first question comes before
 * anything is indexed, and a workspace set to index on open is ready by itself.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { answerOf, ask, useChatWorkbench } from '../support/chatView';
import { EXTENSION_ID } from '../support/vscodeFixtures';


describe('the first question, before anything is indexed', () => {
  // No chat model: the answer quotes the passages, so it shows what was found.
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '' } });

  test('says nothing is indexed yet, and one button indexes the workspace and answers the same question in place', async () => {
    const { page, chat } = view;
    const turn = await ask(chat, 'What does the Stop button keep?', 'error');
    assert.match((await turn.getByRole('alert').textContent()) ?? '', /Nothing is indexed yet/);
    assert.equal(await turn.getByRole('button', { name: 'Retry' }).count(), 0, 'the fix is offered, not a plain retry');

    await turn.getByRole('button', { name: /Index the workspace, then answer/ }).click();
    // The usual progress notification, then the same question answered from the files.
    await page.locator('.notification-toast', { hasText: /Indexing/i }).first().waitFor({ timeout: 30_000 }).catch(() => {});
    const answered = chat.locator('.turn.done', { has: chat.locator('.question', { hasText: 'What does the Stop button keep?' }) });
    await answered.waitFor({ timeout: 60_000 });
    assert.match(await answerOf(answered), /keeps what was written/);
    assert.equal(await chat.locator('.turn').count(), 1, 'the answer took the place of the "nothing indexed" one');
    assert.equal(await chat.locator('.turn.error').count(), 0);
  });
});

describe('the sources list in a narrow sidebar', () => {
  const deepPath = 'docs/guides/installation/platforms/linux/desktop/getting-started-with-local-rag.md';
  const view = useChatWorkbench({
    prepare: (fixture) => {
      const lines = Array.from({ length: 40 }, (_, i) => `Line ${i + 1} of the guide is about the harbour.`);
      lines[31] = 'The Stop button of the albatross guide keeps what was written.';
      fs.mkdirSync(path.join(fixture.workspace, path.dirname(deepPath)), { recursive: true });
      fs.writeFileSync(path.join(fixture.workspace, deepPath), `# Getting started\n\n${lines.join('\n')}\n`);
    },
    settings: { 'localRag.chatModel': '', 'localRag.indexOnOpen': true, 'workbench.colorTheme': 'Default Light Modern' },
  });

  test('at 300 px: numbers on their entry’s first line, ranges unbroken, long paths shortened in the middle with the full path on hover', async () => {
    const { harness, page, chat } = view;
    // The sidebar at VS Code's default width, 300 px: drag its edge there.
    const sidebar = page.locator('.part.sidebar');
    const box = (await sidebar.boundingBox())!;
    await page.mouse.move(box.x + box.width - 1, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + 300, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    assert.ok(Math.abs(((await sidebar.boundingBox())!.width) - 300) <= 4, 'the sidebar is 300 px wide');

    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: 3 files/ }).waitFor({ timeout: 60_000 });
    const turn = await ask(chat, 'What does the Stop button of the albatross guide keep?');
    const entries = turn.locator('.sources .source');
    assert.ok((await entries.count()) >= 2, 'several sources');

    const frame = await harness.webviewFrame(page, EXTENSION_ID, { frame: true });
    const layout = await frame.evaluate(() =>
      Array.from(document.querySelectorAll('.turn:last-child .sources .source')).map((entry) => {
        const number = entry.querySelector('.source-number')!.getBoundingClientRect();
        const link = entry.querySelector('.source-link')!;
        const firstLine = link.getClientRects()[0];
        const where = entry.querySelector('.source-where');
        return {
          numberTop: number.top,
          firstLineTop: firstLine.top,
          whereLines: where ? new Set(Array.from(where.getClientRects()).map((r) => Math.round(r.top))).size : 1,
          text: link.textContent ?? '',
          title: (link as HTMLElement).title,
          label: link.getAttribute('aria-label') ?? '',
        };
      }),
    );
    for (const entry of layout) {
      assert.ok(Math.abs(entry.numberTop - entry.firstLineTop) <= 3, `the number sits on the first line of "${entry.text}"`);
      assert.equal(entry.whereLines, 1, `the range of "${entry.text}" is on one line`);
    }
    const deep = layout.find((entry) => entry.label.startsWith(deepPath));
    assert.ok(deep, 'the deep file is a source');
    assert.match(deep.text, /^docs\/…\/.*getting-started-with-local-rag\.md · lines \d+–\d+/, 'shortened in the middle, file name whole');
    assert.ok(deep.title.startsWith(deepPath), 'the full path on hover');
    const shot = path.join(os.tmpdir(), `local-rag-sources-300px-${process.pid}.png`);
    await turn.screenshot({ path: shot });
    console.log(`screenshot: ${shot}`);
  });
});

describe('a workspace set to index when it opens', () => {
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '', 'localRag.indexOnOpen': true } });

  test('is indexed without a command, so the suggested first question is answered', async () => {
    const { chat } = view;
    await chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: 2 files/ }).waitFor({ timeout: 60_000 });
    const turn = await ask(chat, 'How does the Stop button work?');
    assert.match(await answerOf(turn), /Stop button ends an answer/);
  });
});
