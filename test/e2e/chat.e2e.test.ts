/**
 * A person at the real workbench (code-server in Chromium, driven by Playwright): opens the
 * Local RAG view, asks, watches the answer stream, stops it; clicks a citation and lands on
 * the cited lines.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Frame, FrameLocator, Locator } from 'playwright-core';
import { answerOf, ask, askUntil, send, useChatWorkbench, waitForStreaming } from '../support/chatView';
import { until } from '../support/until';
import { EXTENSION_ID } from '../support/vscodeFixtures';


/**
 * Counts the `stop` messages the chat view posts from now on. Its messages leave through
 * the webview's outer frame (VS Code's pre/index.html), over a MessagePort.
 */
async function countStopsPosted(content: Frame): Promise<() => Promise<number>> {
  const outer = content.parentFrame();
  if (!outer) throw new Error('the chat view has no outer webview frame');
  await outer.evaluate(() => {
    const counter = window as unknown as { stopsPosted: number; stopCounting?: true };
    counter.stopsPosted = 0;
    if (counter.stopCounting) return;
    counter.stopCounting = true;
    const post = MessagePort.prototype.postMessage;
    MessagePort.prototype.postMessage = function (this: MessagePort, message: unknown, ...rest: unknown[]) {
      const sent = message as { channel?: string; data?: { message?: { type?: string } } } | undefined;
      if (sent?.channel === 'onmessage' && sent.data?.message?.type === 'stop') counter.stopsPosted += 1;
      return (post as (...args: unknown[]) => void).apply(this, [message, ...rest]);
    } as typeof post;
  });
  return () => outer.evaluate(() => (window as unknown as { stopsPosted: number }).stopsPosted);
}

describe('chat view in the browser', () => {
  // A long context so an answer streams for many seconds: Stop must land mid-stream.
  const view = useChatWorkbench({ fixture: { contextLength: 16384, maxAnswerTokens: 12000 }, index: true });

  const lastTurnText = () => answerOf(view.chat.locator('.turn').last());

  test('after Index Workspace from the command palette, the empty state shows the index', async () => {
    await view.chat.locator('.empty').getByRole('status').filter({ hasText: /Indexed: \d+ files?, \d+ passages/ }).waitFor({ timeout: 30_000 });
  });

  test('the controls have accessible names', async () => {
    const { chat } = view;
    for (const name of ['Ask a question']) await chat.getByRole('textbox', { name }).waitFor();
    await chat.getByRole('button', { name: 'Send' }).waitFor();
    assert.equal(await chat.getByRole('log', { name: 'Conversation' }).count(), 1);
  });

  test('ask, see tokens stream, press Stop, see [Stopped]', async () => {
    const { chat, page } = view;
    await waitForStreaming(await send(chat, 'How does Stop work?'), 40);
    const before = (await lastTurnText()).length;
    await page.waitForTimeout(200);
    assert.ok((await lastTurnText()).length > before, 'the answer keeps growing token by token');

    await chat.getByRole('button', { name: 'Stop', exact: true }).click();
    const turn = chat.locator('.turn').last();
    await turn.and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    const stopped = await lastTurnText();
    assert.match(stopped, /\[Stopped\]$/);
    // The text carries the marker; the badge says what the text does not: how long it ran.
    assert.match((await turn.locator('.badge-stopped').textContent()) ?? '', /^after \d+\.\d s$/);
    assert.equal(((await turn.textContent()) ?? '').match(/Stopped/g)?.length, 1, 'the stop is said once');
    await page.waitForTimeout(500);
    assert.equal(await lastTurnText(), stopped, 'nothing streams after Stop');
    assert.equal(await chat.getByRole('button', { name: 'Stop', exact: true }).isVisible(), false);
  });

  test('Esc in the input stops (one Stop per key press), and a newer question replaces the old one', async () => {
    const { chat, harness, page } = view;
    const stopsPosted = await countStopsPosted((await harness.webviewFrame(page, EXTENSION_ID, { frame: true })) as Frame);
    const input = chat.getByRole('textbox', { name: 'Ask a question' });
    const first = await send(chat, 'First question about Stop');
    await waitForStreaming(first, 20);
    const second = await send(chat, 'Second question about the Stop button');
    await first.and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    const firstText = await first.locator('.content').textContent();
    await waitForStreaming(second, 20);
    await input.press('Escape');
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    assert.equal(await first.locator('.content').textContent(), firstText, 'no token of the old answer after the new one started');
    assert.equal(await stopsPosted(), 1, 'one Esc posts one stop');
  });

  test('Ask About Workspace Docs: the quick-pick lists the passages while the answer streams into the view; Esc stops it', async () => {
    const { harness, page, chat } = view;
    await harness.runCommand(page, 'Local RAG: Ask About Workspace Docs');
    const box = page.locator('.quick-input-widget input');
    await box.waitFor({ state: 'visible' });
    await box.fill('What does the Stop button do?');
    await box.press('Enter');
    const turn = chat.locator('.turn', { has: chat.locator('.question', { hasText: 'What does the Stop button do?' }) });
    await turn.waitFor({ timeout: 30_000 });
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'stop.md' }).first().waitFor({ timeout: 30_000 });
    await waitForStreaming(turn, 40);
    await box.press('Escape');
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    assert.match(await lastTurnText(), /\[Stopped\]$/);
  });
});

describe('citations in the browser', () => {
  // No chat model: the answer quotes the passages with their [n], deterministically.
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '' }, index: true });

  test('clicking [1] opens the cited file with the cited lines selected', async () => {
    const { page, chat } = view;
    const turn = await askUntil(chat, 'What does the Stop button keep?', async (turn) => (await turn.locator('button.citation').count()) > 0);
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

describe('conversation features in the browser', () => {
  // No chat model: answers quote the passages, quickly and deterministically.
  const view = useChatWorkbench({ settings: { 'localRag.chatModel': '' }, clipboard: true });
  const QUESTION = 'What does the Stop button keep?';

  const input = () => view.chat.getByRole('textbox', { name: 'Ask a question' });
  const lastTurn = () => view.chat.locator('.turn').last();

  /** Writes the workspace's own settings (they override the user's), as a person editing settings.json. */
  function setWorkspaceSettings(settings: Record<string, unknown>): void {
    fs.mkdirSync(path.join(view.fixture.workspace, '.vscode'), { recursive: true });
    fs.writeFileSync(path.join(view.fixture.workspace, '.vscode', 'settings.json'), JSON.stringify(settings));
  }

  test('the empty state says what the assistant does, shows the index state, and its buttons index and pick models', async () => {
    const { page, chat } = view;
    const empty = chat.locator('.empty');
    await empty.waitFor();
    assert.match((await empty.textContent()) ?? '', /Ask questions about the documents in this workspace/);
    const state = empty.getByRole('status');
    await state.filter({ hasText: 'not indexed' }).waitFor({ timeout: 20_000 });
    await empty.getByRole('button', { name: 'Download Models' }).waitFor();

    await empty.getByRole('button', { name: 'Index Workspace' }).click();
    await state.filter({ hasText: /Indexed: 2 files, \d+ passages?\./ }).waitFor({ timeout: 60_000 });

    await empty.getByRole('button', { name: 'Select Model' }).click();
    const pick = page.locator('.quick-input-widget');
    await pick.waitFor({ state: 'visible', timeout: 15_000 });
    await page.keyboard.press('Escape');
    await pick.waitFor({ state: 'hidden' });
  });

  test('focus is in the input; an answer gets Regenerate and Copy; Regenerate replaces it; Copy copies it; Up recalls the question', async () => {
    const { page, chat } = view;
    await input().click();
    await ask(chat, QUESTION);
    assert.equal(await input().evaluate((el) => el === document.activeElement), true, 'focus is back in the input after the answer');
    const turns = await chat.locator('.turn').count();
    const answer = (await lastTurn().locator('.content').textContent()) ?? '';
    assert.match(answer, /Stop button/);

    await lastTurn().getByRole('button', { name: /^Copy/ }).click();
    await lastTurn().getByRole('button', { name: /^Copy/ }).filter({ hasText: 'Copied' }).waitFor();
    const clipboard = () => page.evaluate(() => navigator.clipboard.readText());
    assert.ok(await until(async () => (await clipboard()) === answer, 10_000, 200), `clipboard: ${await clipboard()}`);

    await lastTurn().getByRole('button', { name: /^Regenerate/ }).click();
    await lastTurn().and(chat.locator('.turn.done')).waitFor({ timeout: 30_000 });
    assert.equal(await chat.locator('.turn').count(), turns, 'the new answer replaced the old one');
    assert.equal(await lastTurn().locator('.question').textContent(), QUESTION);
    assert.equal(await chat.locator('.answer-actions').count(), 1, 'only the last answer has Regenerate and Copy');

    await input().fill('');
    await input().press('ArrowUp');
    assert.equal(await input().inputValue(), QUESTION);
    await input().fill('');
  });

  test('a missing chat model shows its error with Retry; Retry asks again; after fixing the setting, Retry answers', async () => {
    const { chat } = view;
    const ended = async (turn: Locator, outcome: 'done' | 'error') => (await turn.getAttribute('class'))?.split(' ').includes(outcome) ?? false;
    setWorkspaceSettings({ 'localRag.chatModel': path.join(view.fixture.workspace, 'no-such-model.gguf') });
    // The settings change reaches the pipeline within a few seconds: ask until it has.
    assert.ok(await until(async () => ended(await ask(chat, QUESTION, ['done', 'error']), 'error'), 30_000, 1000), 'the missing model never gave an error');
    await lastTurn().getByRole('alert').filter({ hasText: /no-such-model\.gguf" does not exist/ }).waitFor();
    const errors = await chat.locator('.turn.error').count();

    await lastTurn().getByRole('button', { name: /^Retry/ }).click();
    await chat.locator('.turn.error').nth(errors).waitFor({ timeout: 30_000 });
    assert.equal(await lastTurn().locator('.question').textContent(), QUESTION, 'the same question, asked again');

    setWorkspaceSettings({ 'localRag.chatModel': '' });
    const retried = async () => {
      const count = await chat.locator('.turn').count();
      await lastTurn().getByRole('button', { name: /^Retry/ }).click();
      const turn = chat.locator('.turn').nth(count);
      await turn.and(chat.locator('.turn.done, .turn.error')).waitFor({ timeout: 30_000 });
      return ended(turn, 'done');
    };
    assert.ok(await until(retried, 30_000, 1000), 'Retry never answered after the setting was fixed');
    assert.match((await lastTurn().locator('.content').textContent()) ?? '', /Stop button/);
  });

  test('New Chat starts a fresh conversation; History reopens the earlier one, which continues there and survives a window reload', async () => {
    const { harness, page } = view;
    let { chat } = view;
    const earlier = await chat.locator('.turn .question').allTextContents();
    assert.ok(earlier.length > 0);
    await chat.getByRole('button', { name: 'New chat' }).click();
    await chat.locator('.empty').waitFor();
    assert.equal(await chat.locator('.turn').count(), 0);
    await ask(chat, 'Another question about Stop');

    await chat.getByRole('button', { name: 'Earlier conversations' }).click();
    const panel = chat.getByRole('region', { name: 'Earlier conversations' });
    const entry = panel.getByRole('button', { name: new RegExp(`^${QUESTION.replace(/[?]/g, '\\?')} — `) });
    await entry.waitFor();
    await entry.click();
    await chat.locator('.turn .question', { hasText: earlier.at(-1) }).first().waitFor();
    assert.deepEqual(await chat.locator('.turn .question').allTextContents(), earlier);
    await ask(chat, 'Does it keep the partial answer?');

    await harness.runCommand(page, 'Developer: Reload Window');
    await page.locator('.activitybar').first().waitFor({ state: 'visible', timeout: 60_000 });
    chat = view.chat = (await harness.webviewFrame(page, EXTENSION_ID, { timeoutMs: 60_000 }).catch(async () => {
      await harness.activityBarItem(page, 'Local RAG').click();
      return harness.webviewFrame(page, EXTENSION_ID);
    })) as FrameLocator;
    await chat.locator('.turn .question', { hasText: 'Does it keep the partial answer?' }).waitFor({ timeout: 60_000 });
    assert.deepEqual(await chat.locator('.turn .question').allTextContents(), [...earlier, 'Does it keep the partial answer?']);

    // The conversation left by New Chat is still there to reopen.
    await chat.getByRole('button', { name: 'Earlier conversations' }).click();
    await chat.getByRole('region', { name: 'Earlier conversations' }).getByRole('button', { name: /^Another question about Stop — / }).waitFor();
  });
});

describe('Markdown answers in the browser', () => {
  const view = useChatWorkbench({
    // A hostile document: every trick sets window.__xss (or quits the workbench) if it runs.
    prepare: (fixture) =>
      fs.writeFileSync(
        path.join(fixture.workspace, 'docs', 'danger.md'),
        '# Danger zone\n\nThe danger zone note <img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> ' +
          '[click](javascript:window.__xss=3) [run](command:workbench.action.quit) ![pixel](https://tracker.invalid/p.png) ends here\n',
      ),
    // No chat model: the answer quotes the passages with their [n], deterministically.
    settings: { 'localRag.chatModel': '' },
    clipboard: true,
    index: true,
  });
  const dialogs: string[] = [];

  before(() => {
    view.page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
  });

  const xssFlag = () => view.chat.locator('body').evaluate(() => (window as unknown as { __xss?: unknown }).__xss);

  test('a document with HTML, script, javascript: and command: links shows as text and runs nothing', async () => {
    const { page, chat } = view;
    const turn = await askUntil(chat, 'What does the danger zone note say?', async (turn) => (await turn.locator('.sources .source-link', { hasText: 'danger.md' }).count()) > 0);
    const content = turn.locator('.content');
    const text = (await content.textContent()) ?? '';
    // What the document says is there to read, exactly as written.
    assert.match(text, /<img src=x onerror="window\.__xss=1">/);
    assert.match(text, /<script>window\.__xss=2<\/script>/);
    assert.match(text, /\[click\]\(javascript:window\.__xss=3\)/);
    assert.match(text, /\[run\]\(command:workbench\.action\.quit\)/);
    assert.match(text, /\[image: pixel\]/);
    // The answer is rendered Markdown (a list of quotes), with its citation still a button.
    assert.ok((await content.locator('li button.citation').count()) > 0, 'citations work inside rendered Markdown');
    // Nothing in the answer or its sources is markup that could run, load or navigate.
    assert.equal(await turn.locator('img, script, iframe, [href], [onerror], [style]').count(), 0);
    assert.equal(await content.locator('a').count(), 0, 'no unsafe link became a link');

    // Clicking where the links are written does nothing either.
    const tabs = await page.locator('.tabs-container .tab').count();
    await content.getByText(/\[click\]\(javascript:/).click();
    await content.getByText(/\[run\]\(command:/).click();
    await page.waitForTimeout(1000);
    assert.equal(await xssFlag(), undefined, 'no handler, script or link ran');
    assert.deepEqual(dialogs, []);
    assert.ok(await page.locator('.monaco-workbench').isVisible(), 'the workbench is still there');
    assert.equal(await page.locator('.tabs-container .tab').count(), tabs, 'nothing was opened');
  });

  test('a streamed answer with a code block shows highlighted code and a working Copy button', async () => {
    // The only deterministic answer (no model) quotes sentences on single lines, so a
    // fenced block is streamed into the view as the host streams any answer: a started
    // message, content chunks, done — through the view's real message handling.
    const { page, chat } = view;
    const requestId = 'markdown-stream';
    const post = (message: unknown) => chat.locator('body').evaluate((_, data) => window.postMessage(data, '*'), message);
    const chunks = ['Run this:\n\n```ts\nconst answer', ': number = 42;\n', 'console.log(`<b>${answer}</b>`);\n', '```\n\n| file | lines |\n|---|--:|\n| stop.md | 3 |\n'];
    await post({ type: 'started', requestId, question: 'Show me some code' });
    const turn = chat.locator('.turn').last();
    for (const [i, content] of chunks.entries()) {
      await post({ type: 'event', event: { requestId, content } });
      if (i === 0) {
        // An unfinished fence already reads as code, not as backticks.
        await turn.locator('.code-block pre code').waitFor({ timeout: 5_000 });
        assert.doesNotMatch((await turn.locator('.content').textContent()) ?? '', /```/);
      }
      await page.waitForTimeout(100);
    }
    await post({ type: 'event', event: { requestId, done: true } });
    await turn.and(chat.locator('.turn.done')).waitFor({ timeout: 5_000 });

    const code = turn.locator('.code-block pre code');
    assert.equal(await code.textContent(), 'const answer: number = 42;\nconsole.log(`<b>${answer}</b>`);\n');
    assert.ok((await code.locator('.hljs-keyword').count()) > 0, 'keywords are highlighted');
    const keywordColour = await code.locator('.hljs-keyword').first().evaluate((el) => getComputedStyle(el).color);
    const plainColour = await code.evaluate((el) => getComputedStyle(el).color);
    assert.notEqual(keywordColour, plainColour, 'highlighting is visible in the theme');
    assert.equal(await turn.locator('table th').count(), 2, 'the table renders as a table');

    const copy = turn.getByRole('button', { name: 'Copy code' });
    await copy.click();
    await turn.locator('.copy-code', { hasText: 'Copied' }).waitFor({ timeout: 5_000 });
    let clipboard = '';
    await until(async () => {
      clipboard = await page.evaluate(() => navigator.clipboard.readText()).catch(() => '');
      return clipboard.includes('const answer');
    }, 10_000, 200);
    assert.equal(clipboard, 'const answer: number = 42;\nconsole.log(`<b>${answer}</b>`);\n');
  });
});

describe('themes in the browser', () => {
  /** Screenshots stay after the run, for a person to look at. */
  let shots: string;
  // A document whose cited section is well below its first line.
  const COLOURS = [
    '# Colours',
    '',
    'Themes decide how the editor looks.',
    '',
    '## Palette',
    '',
    'A palette lists the colours a theme defines.',
    '',
    '## Contrast',
    '',
    'The contrast checker measures how legible sunflower text is',
    'against the background behind it.',
    '',
    '## Fonts',
    '',
    'Fonts are chosen separately from colours.',
    '',
  ].join('\n');

  const view = useChatWorkbench({
    prepare: (fixture) => fs.writeFileSync(path.join(fixture.workspace, 'docs', 'colours.md'), COLOURS),
    // No chat model: the answer quotes the passages with their [n], deterministically.
    settings: { 'localRag.chatModel': '', 'workbench.colorTheme': 'Default Light Modern' },
    index: true,
  });

  before(() => {
    shots = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-themes-'));
  });

  /** Asks until the answer cites a passage of `file`; returns the answer's turn. */
  function askUntilCited(question: string, file: string) {
    return askUntil(view.chat, question, async (turn) => (await turn.locator('.sources .source-link', { hasText: file }).count()) > 0 && (await turn.locator('button.citation').count()) > 0);
  }

  test('clicking a source entry under an answer opens its file with its lines selected', async () => {
    const { harness, page } = view;
    const turn = await askUntilCited('What does the contrast checker measure about sunflower text?', 'colours.md');
    const entry = turn.locator('.sources .source-link', { hasText: 'docs/colours.md' }).first();
    const label = (await entry.textContent()) ?? '';
    const m = /^docs\/colours\.md · lines (\d+)–(\d+)/.exec(label);
    assert.ok(m, `the entry names the file and its lines: ${label}`);
    const [start, end] = [Number(m[1]), Number(m[2])];
    const lines = COLOURS.split('\n');
    assert.ok(start > 1, 'the cited section is not at the top of the file');
    assert.ok(lines.slice(start - 1, end).join('\n').includes('sunflower'), `lines ${start}–${end} hold the cited text`);

    await entry.click();
    await page.locator('.tabs-container .tab', { hasText: 'colours.md' }).waitFor({ timeout: 20_000 });
    // The selection covers exactly the cited lines: the cursor at the end of line `end`, and
    // the status bar counts the characters of lines start..end.
    const selected = lines.slice(start - 1, end).join('\n').length;
    const status = page.locator('.statusbar-item', { hasText: new RegExp(`Ln ${end}, Col ${lines[end - 1].length + 1} \\(${selected} selected\\)`) });
    await status.waitFor({ timeout: 10_000 }).catch(async () => {
      const all = await page.locator('.statusbar-item').allTextContents();
      throw new Error(`expected Ln ${end} with ${selected} selected; status bar: ${all.join(' | ')}`);
    });
    assert.match((await page.locator('.monaco-editor .view-lines').first().textContent()) ?? '', /sunflower/);
    await harness.runCommand(page, 'View: Close All Editors');
  });

  const themes = [
    { name: 'Default Light Modern', bodyClass: 'vscode-light' },
    { name: 'Default Dark Modern', bodyClass: 'vscode-dark' },
    { name: 'Default High Contrast', bodyClass: 'vscode-high-contrast' },
  ];

  for (const theme of themes) {
    test(`${theme.name}: the controls, answer, citation and sources are visible and legible`, async (t) => {
      const { page, chat } = view;
      await setColorTheme(theme.name, theme.bodyClass);
      const turn = await askUntilCited('What does the contrast checker measure about sunflower text?', 'colours.md');
      const input = chat.getByRole('textbox', { name: 'Ask a question' });
      await input.fill('Typed text must be legible');

      const file = path.join(shots, `${theme.name.replace(/\W+/g, '-')}.png`);
      await page.locator(`iframe.webview[src*="extensionId=${EXTENSION_ID}"]`).filter({ visible: true }).first().screenshot({ path: file });
      t.diagnostic(`screenshot: ${file}`);
      assert.ok(fs.statSync(file).size > 5_000, 'the screenshot shows something');

      const report: string[] = [];
      const check = async (what: string, locator: ReturnType<FrameLocator['locator']>, ui: boolean) => {
        const found = await measure(locator);
        assert.ok(found.visible, `${what} is visible in ${theme.name}: ${JSON.stringify(found)}`);
        const text = contrast(found.color, found.backgrounds);
        const large = found.fontSize >= 24 || (found.fontSize >= 18.66 && found.fontWeight >= 700);
        report.push(`${what} text ${text.toFixed(2)}`);
        assert.ok(text >= (large ? 3 : 4.5), `${what} text contrast ${text.toFixed(2)} in ${theme.name} (${found.color} on ${found.backgrounds.join(' < ')})`);
        if (ui) {
          // WCAG 1.4.11: the control's own shape (fill or border) stands out from around it by 3:1.
          const outside = found.ownBackground ? found.backgrounds.slice(1) : found.backgrounds;
          const fill = found.ownBackground ? contrast(found.ownBackground, outside) : 1;
          const border = found.borderWidth > 0 ? contrast(found.borderColor, outside) : 1;
          report.push(`${what} shape ${Math.max(fill, border).toFixed(2)}`);
          assert.ok(Math.max(fill, border) >= 3, `${what} shape contrast ${Math.max(fill, border).toFixed(2)} in ${theme.name}`);
        }
      };
      await check('Send', chat.getByRole('button', { name: 'Send' }), true);
      await check('input', input, false);
      await check('answer', turn.locator('.content').locator('p, li').first(), false);
      await check('citation', turn.locator('button.citation').first(), false);
      await check('source entry', turn.locator('.sources .source-link').first(), false);

      // Stop shows only while an answer streams: start one through the view's own messages.
      const send = (message: unknown) => chat.locator('body').evaluate((_, data) => window.postMessage(data, '*'), message);
      const requestId = `theme-${theme.bodyClass}`;
      await send({ type: 'started', requestId, question: 'Is Stop legible?' });
      await check('Stop', chat.getByRole('button', { name: 'Stop', exact: true }), true);
      await send({ type: 'event', event: { requestId, done: true } });
      await chat.getByRole('button', { name: 'Stop', exact: true }).waitFor({ state: 'hidden' });
      await input.fill('');
      t.diagnostic(`${theme.name}: ${report.join(', ')}`);
    });
  }

  test('each theme looks different', () => {
    const bytes = fs.readdirSync(shots).map((name) => fs.readFileSync(path.join(shots, name)).toString('base64'));
    assert.equal(bytes.length, themes.length);
    assert.equal(new Set(bytes).size, themes.length, 'the view follows the theme');
  });

  /**
   * Chooses the theme as a person would, in Preferences: Color Theme (the workbench does not
   * watch a settings.json written behind its back here), and waits for the view to follow.
   */
  async function setColorTheme(name: string, bodyClass: string): Promise<void> {
    const { page, chat } = view;
    const body = chat.locator(`body.${bodyClass}`);
    if (name === 'Default Light Modern' && (await body.count()) > 0) return;
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 } }).catch(() => {});
    await page.keyboard.press('F1');
    const box = page.locator('.quick-input-widget input');
    await box.fill('>Preferences: Color Theme');
    // Click the command itself: "Browse Color Themes in Marketplace" may be listed first.
    await page.locator('.quick-input-list .monaco-list-row', { hasText: /^Preferences: Color Theme/ }).first().click();
    await page.locator('.quick-input-widget input[placeholder*="Color Theme" i]').waitFor({ state: 'visible', timeout: 15_000 });
    await box.fill(name);
    await page.locator('.quick-input-list .monaco-list-row').filter({ has: page.getByText(name, { exact: true }) }).first().click();
    await body.waitFor({ state: 'attached', timeout: 15_000 });
  }
});

interface Measured {
  visible: boolean;
  color: string;
  /** The element's own background, when it has one. */
  ownBackground: string | null;
  backgrounds: string[];
  borderColor: string;
  borderWidth: number;
  fontSize: number;
  fontWeight: number;
}

/** Computed colours of an element and the backgrounds behind it, nearest first, up to the first opaque one. */
async function measure(locator: ReturnType<FrameLocator['locator']>): Promise<Measured> {
  await locator.waitFor({ state: 'visible', timeout: 10_000 });
  await locator.scrollIntoViewIfNeeded();
  return locator.evaluate((el) => {
    const style = getComputedStyle(el);
    const rect = el.getBoundingClientRect();
    const backgrounds: string[] = [];
    let opacity = 1;
    let ownBackground: string | null = null;
    for (let node: Element | null = el; node; node = node.parentElement) {
      const s = getComputedStyle(node);
      opacity *= Number(s.opacity);
      const bg = s.backgroundColor;
      const alpha = /rgba\(.*,\s*([\d.]+)\)$/.exec(bg) ?? /\/\s*([\d.]+)\)$/.exec(bg);
      if (bg === 'transparent' || (alpha && Number(alpha[1]) === 0)) continue;
      backgrounds.push(bg);
      if (node === el) ownBackground = bg;
      if (!alpha || Number(alpha[1]) >= 1) break;
    }
    return {
      visible: rect.width > 0 && rect.height > 0 && opacity > 0.5 && el.checkVisibility({ opacityProperty: true, visibilityProperty: true }),
      color: style.color,
      ownBackground,
      backgrounds,
      borderColor: style.borderTopColor,
      borderWidth: parseFloat(style.borderTopWidth) || 0,
      fontSize: parseFloat(style.fontSize),
      fontWeight: Number(style.fontWeight) || 400,
    };
  });
}

type Rgba = [number, number, number, number];

function parseColour(css: string): Rgba {
  const n = (css.match(/-?[\d.]+(e-?\d+)?/g) ?? []).map(Number);
  if (css.startsWith('color(srgb')) return [n[0] * 255, n[1] * 255, n[2] * 255, n[3] ?? 1];
  if (css.startsWith('rgb')) return [n[0], n[1], n[2], n[3] ?? 1];
  throw new Error(`unexpected colour ${css}`);
}

/** `top` laid over `below`. */
function over(top: Rgba, below: Rgba): Rgba {
  const a = top[3];
  return [0, 1, 2].map((i) => top[i] * a + below[i] * (1 - a)).concat(1) as Rgba;
}

function luminance([r, g, b]: Rgba): number {
  const lin = (v: number) => (v / 255 <= 0.04045 ? v / 255 / 12.92 : ((v / 255 + 0.055) / 1.055) ** 2.4);
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast of `colour` over its stack of backgrounds (nearest first; white if none is opaque). */
function contrast(colour: string, backgrounds: string[]): number {
  let bg: Rgba = [255, 255, 255, 1];
  for (const layer of [...backgrounds].reverse()) bg = over(parseColour(layer), bg);
  const fg = over(parseColour(colour), bg);
  const [a, b] = [luminance(fg), luminance(bg)].sort((x, y) => y - x);
  return (a + 0.05) / (b + 0.05);
}

describe('Vietnamese UI in the browser', () => {
  let packDir: string;

  /**
   * code-server shows a display language only when an installed language pack provides it,
   * and there is no Vietnamese pack offline: so a minimal one (it translates none of VS Code's
   * own strings, which stay English) is packed into a .vsix here and installed.
   */
  function vietnameseLanguagePack(): string {
    packDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-vi-pack-'));
    const ext = path.join(packDir, 'extension');
    fs.mkdirSync(path.join(ext, 'translations'), { recursive: true });
    fs.writeFileSync(path.join(ext, 'package.json'), JSON.stringify({
      name: 'vscode-language-pack-vi-test',
      displayName: 'Vietnamese Language Pack (test)',
      publisher: 'local-rag-test',
      version: '0.0.1',
      engines: { vscode: '^1.100.0' },
      categories: ['Language Packs'],
      contributes: {
        localizations: [{
          languageId: 'vi',
          languageName: 'Vietnamese',
          localizedLanguageName: 'Tiếng Việt',
          translations: [{ id: 'vscode', path: './translations/main.i18n.json' }],
        }],
      },
    }));
    fs.writeFileSync(path.join(ext, 'translations', 'main.i18n.json'), JSON.stringify({ contents: {} }));
    const vsix = path.join(packDir, 'vi.vsix');
    execFileSync('zip', ['-qr', vsix, 'extension'], { cwd: packDir });
    return vsix;
  }

  const view = useChatWorkbench({
    // A long context so an answer streams for a while: its phase line is there to read.
    fixture: { contextLength: 16384, maxAnswerTokens: 12000 },
    extensions: () => ({ installExtensions: [vietnameseLanguagePack()], args: ['--locale', 'vi'] }),
    inputName: 'Đặt câu hỏi',
  });

  after(() => {
    if (packDir) fs.rmSync(packDir, { recursive: true, force: true });
  });

  test('the chat view speaks Vietnamese: its input, buttons and empty state', async () => {
    const { chat } = view;
    assert.equal(await chat.locator('html').getAttribute('lang'), 'vi', 'the extension host runs in Vietnamese');
    await chat.getByRole('button', { name: 'Gửi' }).waitFor();
    await chat.getByRole('button', { name: 'Đính kèm tệp' }).waitFor();
    assert.equal(await chat.getByRole('button', { name: 'Send' }).count(), 0, 'no English Send button');
    assert.equal(await chat.getByRole('log', { name: 'Cuộc trò chuyện' }).count(), 1);
    assert.match((await chat.locator('.empty').textContent()) ?? '', /Đặt câu hỏi về tài liệu trong không gian làm việc này/);
    await chat.locator('.empty').getByRole('status').filter({ hasText: 'chưa được lập chỉ mục' }).waitFor({ timeout: 20_000 });
  });

  test('the command palette lists the Local RAG commands by their Vietnamese titles', async () => {
    const { page } = view;
    await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press('F1');
    const box = page.locator('.quick-input-widget input');
    await box.fill('>Local RAG: ');
    const rows = page.locator('.quick-input-list .monaco-list-row');
    for (const title of ['Local RAG: Hỏi về tài liệu trong không gian làm việc', 'Local RAG: Lập chỉ mục không gian làm việc', 'Local RAG: Chọn mô hình']) {
      await box.fill(`>${title}`);
      await rows.filter({ hasText: title }).first().waitFor({ timeout: 15_000 });
    }
    await box.press('Escape');
  });

  test('an answer shows its phase in Vietnamese, and Dừng stops it (Đã dừng)', async () => {
    const { chat } = view;
    // Every phase line the view shows, as it changes.
    await chat.locator('body').evaluate(() => {
      const seen: string[] = [];
      (window as unknown as { __phases: string[] }).__phases = seen;
      new MutationObserver(() => {
        for (const el of Array.from(document.querySelectorAll('.phase-status'))) {
          const text = el.textContent ?? '';
          if (text && seen.at(-1) !== text) seen.push(text);
        }
      }).observe(document.body, { subtree: true, childList: true, characterData: true });
    });
    // An answer needs indexed passages: index from the empty state's own (Vietnamese) button.
    await chat.locator('.empty').getByRole('button', { name: 'Lập chỉ mục không gian làm việc' }).click();
    await chat.locator('.empty').getByRole('status').filter({ hasText: 'Đã lập chỉ mục' }).waitFor({ timeout: 60_000 });
    const input = chat.getByRole('textbox', { name: 'Đặt câu hỏi' });
    await input.fill('Nút Dừng làm gì?');
    await input.press('Enter');
    await chat.locator('.phase-status', { hasText: 'Đang viết câu trả lời…' }).waitFor({ timeout: 60_000 });
    const stop = chat.getByRole('button', { name: 'Dừng', exact: true });
    await stop.click();
    await chat.locator('.turn').last().and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    await chat.locator('.turn').last().locator('.badge-stopped', { hasText: /^sau \d+\.\d giây$/ }).waitFor();
    assert.match((await chat.locator('.turn').last().textContent()) ?? '', /\[Đã dừng\]/, 'the kept partial answer is marked in Vietnamese too');
    const phases = await chat.locator('body').evaluate(() => (window as unknown as { __phases: string[] }).__phases);
    assert.ok(phases.includes('Đang tìm kiếm…'), `the search phase was shown in Vietnamese: ${JSON.stringify(phases)}`);
    assert.ok(phases.includes('Đang viết câu trả lời…'), JSON.stringify(phases));
    assert.ok(!phases.some((p) => /Searching|Generating|Analy/i.test(p)), `no English phase: ${JSON.stringify(phases)}`);
  });
});
