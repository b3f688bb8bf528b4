/**
 * Puts a rendered answer on screen and makes its links and Copy buttons work. While an
 * answer streams it is shown once per frame; streamingMarkdown.ts renders only what is not
 * final yet, and blocks that did not change stay the same DOM nodes, so finished paragraphs
 * and code do not flicker, lose a selection or re-layout.
 */
import { openableLink } from '../src/protocol/links';
import type { WebviewToHost } from '../src/protocol/webviewMessages';
import type { CitationTargets } from './markdown';
import { sanitizeFragment } from './sanitize';
import { s } from './strings';
import { StreamingAnswer, type Block } from './streamingMarkdown';

/** A block on screen: its elements, and for a paragraph in pieces, how many pieces and which nodes are the live rest. */
interface Shown {
  block: Block;
  elements: Element[];
  pieces: number;
  live: ChildNode[];
  /** A paragraph's open run: the block its new pieces and live rest go into, and its length. */
  tail?: HTMLElement;
  openChars: number;
}

/**
 * Chromium lays out a paragraph's lines as one unit: appending a few words to a 200 KB
 * paragraph laid out all of it again, 30 ms and more a frame (bench/chatRender.ts). So a
 * paragraph in pieces is a column of runs, each a block of its own (`span.run`), and each
 * frame lays out only the last one. The paragraph holds only runs from its first piece on,
 * and a full run is closed by starting the next one after it: nothing moves, and the
 * paragraph never mixes blocks with inline content (which makes Chromium rebuild anonymous
 * blocks around the inline part — one frame of 100 ms and more at each run's end). The
 * price is a line that ends early where a run ends, once every RUN_CHARS of one unbroken
 * paragraph.
 */
const RUN_CHARS = 8192;

const answers = new WeakMap<HTMLElement, { stream: StreamingAnswer; shown: Shown[] }>();

export function showAnswer(container: HTMLElement, text: string, citations: CitationTargets): void {
  let answer = answers.get(container);
  if (!answer) {
    container.replaceChildren();
    answer = { stream: new StreamingAnswer(), shown: [] };
    answers.set(container, answer);
  }
  const blocks = answer.stream.update(text, citations);
  const old = answer.shown;
  const next: Shown[] = [];
  let after: Element | undefined;
  for (let i = 0; i < blocks.length; i++) {
    const block = blocks[i];
    const previous = old[i];
    let shown: Shown;
    if (previous && (previous.block === block || (block.kind === 'html' && previous.block.kind === 'html' && previous.block.html === block.html))) {
      shown = { ...previous, block };
    } else if (previous && block.kind === 'paragraph' && previous.block.kind === 'paragraph' && previous.block.id === block.id) {
      shown = growParagraph(previous, block);
    } else {
      previous?.elements.forEach((element) => element.remove());
      shown = block.kind === 'html' ? { block, elements: elementsOf(block.html), pieces: 0, live: [], openChars: 0 } : newParagraph(block);
      if (after) after.after(...shown.elements);
      else container.prepend(...shown.elements);
    }
    next.push(shown);
    after = shown.elements.at(-1) ?? after;
  }
  for (const gone of old.slice(blocks.length)) gone.elements.forEach((element) => element.remove());
  answer.shown = next;
  container.classList.add('markdown');
}

/**
 * The answer is complete: a paragraph shown in pieces has its adjacent text nodes merged and
 * an empty last run dropped, so the DOM is the one a single render of the whole text gives
 * but for the runs (kept: taking them apart would lay whole paragraphs out again in one
 * frame). A later showAnswer renders anew.
 */
export function settleAnswer(container: HTMLElement): void {
  const answer = answers.get(container);
  if (!answer) return;
  for (const shown of answer.shown) {
    if (shown.block.kind !== 'paragraph') continue;
    if (shown.tail && !shown.tail.hasChildNodes() && shown.tail.previousSibling) shown.tail.remove();
    shown.elements.forEach((element) => element.normalize());
  }
  answers.delete(container);
}

/** Checked nodes for `html`: a template's content is inert, nothing in it runs or loads while it is checked. */
function nodesOf(html: string): DocumentFragment {
  const template = document.createElement('template');
  template.innerHTML = html;
  sanitizeFragment(template.content);
  return template.content;
}

function elementsOf(html: string): Element[] {
  return Array.from(nodesOf(html).children);
}

function newParagraph(block: Extract<Block, { kind: 'paragraph' }>): Shown {
  const paragraph = document.createElement('p');
  const tail = newRun();
  paragraph.append(tail);
  return growParagraph({ block, elements: [paragraph], pieces: 0, live: [], tail, openChars: 0 }, block);
}

function newRun(): HTMLElement {
  const run = document.createElement('span');
  run.className = 'run';
  return run;
}

/** Only the new pieces and the live rest change; the nodes of earlier pieces stay. */
function growParagraph(shown: Shown, block: Extract<Block, { kind: 'paragraph' }>): Shown {
  let { tail, openChars } = shown;
  if (!tail) throw new Error('a paragraph in pieces without its open run');
  shown.live.forEach((node) => node.remove());
  for (const piece of block.frozen.slice(shown.pieces)) {
    const nodes = Array.from(nodesOf(piece).childNodes);
    tail.append(...nodes);
    openChars += nodes.reduce((sum, node) => sum + (node.textContent?.length ?? 0), 0);
    if (openChars >= RUN_CHARS) {
      const next = newRun();
      tail.after(next);
      tail = next;
      openChars = 0;
    }
  }
  const live = Array.from(nodesOf(block.live).childNodes);
  tail.append(...live);
  return { block, elements: shown.elements, pieces: block.frozen.length, live, tail, openChars };
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
