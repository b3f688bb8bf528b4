/**
 * The chat view's own bundle in a plain Chromium page, driven by the messages the host
 * sends it (HostToWebview). For rendering tests and benchmarks that need long answers fast:
 * the tiny model in a workbench writes ~300 characters a second here.
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './vscodeFixtures';

/** Writes the view's page into `dir` (as the host writes it, less the CSP and theme) and returns its URL. */
export function writeChatViewPage(dir: string): string {
  const media = (file: string) => pathToFileURL(path.join(REPO_ROOT, 'media', file)).href;
  const html = `<!DOCTYPE html><html lang="en"><head><meta charset="UTF-8">
<link rel="stylesheet" href="${media('chat.css')}"><link rel="stylesheet" href="${media('markdown.css')}">
<script>window.acquireVsCodeApi = () => ({ postMessage() {}, getState() { return undefined; }, setState() {} });</script>
</head><body><main id="app"><div id="messages" role="log"></div>
<form id="composer"><div id="attachment" hidden><span id="attachment-name"></span><button type="button" id="detach">×</button></div>
<textarea id="question" aria-label="Ask a question"></textarea>
<div class="actions"><button type="button" id="attach">Attach</button><button type="button" id="new-chat">New</button><button type="button" id="history">History</button>
<button type="button" id="stop" hidden>Stop</button><button type="submit" id="send">Send</button></div></form></main>
<script src="${media('dist/webview.js')}"></script></body></html>`;
  const file = path.join(dir, 'chat-view.html');
  fs.writeFileSync(file, html);
  return pathToFileURL(file).href;
}

/** Word salad with some inline Markdown and no blank line, as the tiny model writes: one paragraph. */
export function oneParagraph(chars: number): string {
  const words = ['stop', 'answer', '*index*', 'model', '`token`', 'stream', 'source', 'citation', 'phà', 'đường', 'layout', 'frame'];
  let text = '';
  for (let n = 0; text.length < chars; n++) text += words[(n * 7 + (n >> 3)) % words.length] + (n % 13 === 12 ? '. ' : ' ');
  return text.trimEnd();
}

/**
 * Runs in the page: streams `text` as one answer, `per` characters an event and one event a
 * frame (the host's 16 ms batches), then ends it. A string: tsx would wrap a function's
 * inner functions in a helper the page does not have. `window.firstRun` keeps the first
 * run of the paragraph seen halfway through.
 */
export const STREAM_ANSWER = `async ({ text, per }) => {
  window.postMessage({ type: 'started', requestId: 'r1', question: 'What does Stop do?' }, '*');
  for (let at = 0; at < text.length; at += per) {
    window.postMessage({ type: 'event', event: { requestId: 'r1', content: text.slice(at, at + per) } }, '*');
    await new Promise((resolve) => requestAnimationFrame(resolve));
    if (at >= text.length / 2 && !window.firstRun) window.firstRun = document.querySelector('.turn .content span.run');
  }
  window.postMessage({ type: 'event', event: { requestId: 'r1', done: true } }, '*');
  await new Promise((resolve) => setTimeout(resolve, 100));
}`;
