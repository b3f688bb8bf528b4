/**
 * Puts a rendered answer on screen and makes its links and Copy buttons work. While an
 * answer streams it is re-rendered once per frame; blocks that did not change stay the same
 * DOM nodes, so finished paragraphs and code do not flicker, lose a selection or re-layout.
 */
import { openableLink } from '../src/protocol/links';
import type { WebviewToHost } from '../src/protocol/webviewMessages';
import { renderMarkdown, type CitationTargets } from './markdown';
import { sanitizeFragment } from './sanitize';
import { s } from './strings';

/** The HTML each top-level block was made from: compared instead of the live DOM, which a click on Copy changes. */
const madeFrom = new WeakMap<Element, string>();

export function showAnswer(container: HTMLElement, text: string, citations: CitationTargets): void {
  const template = document.createElement('template');
  // A template's content is inert: nothing in it runs or loads while it is checked.
  template.innerHTML = renderMarkdown(text, citations);
  sanitizeFragment(template.content);
  const next = Array.from(template.content.children);
  for (const node of Array.from(container.childNodes)) if (node.nodeType !== Node.ELEMENT_NODE) node.remove();
  const current = Array.from(container.children);
  let same = 0;
  while (same < next.length && same < current.length && madeFrom.get(current[same]) === next[same].outerHTML) same++;
  current.slice(same).forEach((old) => old.remove());
  for (const block of next.slice(same)) {
    madeFrom.set(block, block.outerHTML);
    container.append(block);
  }
  container.classList.add('markdown');
}

const COPIED_FOR_MS = 1500;

/** One set of listeners for every answer, present and future. */
export function handleAnswerActions(messages: HTMLElement, post: (message: WebviewToHost) => void): void {
  const openLink = (link: HTMLElement) => {
    const url = openableLink(link.dataset.href ?? '');
    if (url) post({ type: 'openLink', url });
  };
  messages.addEventListener('click', (event) => {
    const target = event.target as HTMLElement | null;
    const link = target?.closest<HTMLElement>('a.md-link');
    if (link) {
      event.preventDefault();
      openLink(link);
      return;
    }
    const copy = target?.closest<HTMLButtonElement>('button.copy-code');
    const code = copy?.closest('.code-block')?.querySelector('pre code');
    if (!copy || !code) return;
    // Through the host (the same message as Copy on an answer): the webview's own clipboard
    // access depends on where VS Code runs.
    const text = code.textContent ?? '';
    if (text) post({ type: 'copy', text });
    copy.textContent = s.copied;
    copy.classList.add('copied');
    setTimeout(() => {
      copy.textContent = s.copy;
      copy.classList.remove('copied');
    }, COPIED_FOR_MS);
  });
  messages.addEventListener('keydown', (event) => {
    const link = (event.target as HTMLElement | null)?.closest<HTMLElement>('a.md-link');
    if (link && event.key === 'Enter') {
      event.preventDefault();
      openLink(link);
    }
  });
}
