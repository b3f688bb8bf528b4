/**
 * The chat view's script. It renders what the host sends and nothing else: text from
 * documents and models goes into the DOM as text, or as Markdown rendered and sanitized
 * by answerContent.ts — never as HTML of its own.
 */
import type { ChatEvent, ErrorCode, Source } from '../src/protocol/events';
import type { HostToWebview, IndexState, ShownAttachment, ShownTurn, WebviewToHost } from '../src/protocol/webviewMessages';
import { handleAnswerActions, settleAnswer, showAnswer } from './answerContent';
import { setupAttachments } from './attach';
import { addIndexAndAnswer, addRetry, addStoppedBadge, moveLastAnswerActions, PhaseClock, type TurnAction } from './actions';
import { setupConversations } from './conversations';
import { renderEmptyState, updateIndexState } from './emptyState';
import { followLatest } from './follow';
import { describeSource, renderSourcesList } from './sourcesList';
import { fmt, s } from './strings';

interface VsCodeApi {
  postMessage(message: WebviewToHost): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();

const messages = byId<HTMLDivElement>('messages');
const form = byId<HTMLFormElement>('composer');
const input = byId<HTMLTextAreaElement>('question');
const sendButton = byId<HTMLButtonElement>('send');
const stopButton = byId<HTMLButtonElement>('stop');
const newChatButton = byId<HTMLButtonElement>('new-chat');
const attachments = setupAttachments((message) => vscode.postMessage(message), document.body);
const historyButton = byId<HTMLButtonElement>('history');
const conversations = setupConversations(messages, (id) => vscode.postMessage({ type: 'openConversation', id }));
const follow = followLatest(messages);
/** The index counts the empty state shows, kept for when it is drawn again. */
let indexState: IndexState | undefined;

interface TurnView {
  root: HTMLElement;
  phase: HTMLElement;
  content: HTMLElement;
  text: string;
  pending: string;
  sources: Source[];
  /** Ticks the elapsed time on the phase line while the request runs. */
  clock?: PhaseClock;
}

/** The sources each answer cites, by its root element (history turns have no request id). */
const sourcesOf = new WeakMap<HTMLElement, Source[]>();

const turns = new Map<string, TurnView>();
let currentRequestId: string | undefined;
let lastQuestion = '';
let flushScheduled = false;

function byId<T extends HTMLElement>(id: string): T {
  const element = document.getElementById(id);
  if (!element) throw new Error(`Missing #${id}`);
  return element as T;
}

function element(tag: string, className: string, text?: string): HTMLElement {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function setBusy(busy: boolean): void {
  stopButton.hidden = !busy;
  document.body.classList.toggle('busy', busy);
}

function addTurn(question: string, requestId?: string): TurnView {
  const root = element('section', 'turn');
  root.append(element('div', 'question', question));
  const answer = element('div', 'answer');
  const phase = element('div', 'phase');
  phase.setAttribute('aria-live', 'polite');
  const content = element('div', 'content');
  answer.append(phase, content);
  root.append(answer);
  messages.append(root);
  const view: TurnView = { root, phase, content, text: '', pending: '', sources: [] };
  if (requestId) {
    root.dataset.requestId = requestId;
    turns.set(requestId, view);
  }
  return view;
}

/** Tokens arrive faster than frames: batch them so the layout is computed once per frame. */
function flush(): void {
  flushScheduled = false;
  for (const view of turns.values()) {
    if (!view.pending) continue;
    view.text += view.pending;
    view.pending = '';
    renderAnswer(view);
  }
}

function scheduleFlush(): void {
  if (flushScheduled) return;
  flushScheduled = true;
  requestAnimationFrame(flush);
}

function finishTurn(view: TurnView, outcome: 'done' | 'cancelled' | 'error', errorMessage?: string, errorCode?: ErrorCode): void {
  flush();
  view.clock?.stop();
  view.phase.textContent = '';
  view.phase.hidden = true;
  view.root.classList.add(outcome);
  const answer = view.root.querySelector<HTMLElement>('.answer');
  if (outcome === 'cancelled') {
    view.text += view.text ? `\n\n${s.stoppedMarker}` : s.stoppedMarker;
    renderAnswer(view);
    if (answer && view.clock) addStoppedBadge(answer, view.clock.elapsed);
  }
  settleAnswer(view.content);
  if (outcome === 'error' && errorMessage) {
    const error = element('div', 'error', errorMessage);
    error.setAttribute('role', 'alert');
    answer?.append(error);
    if (answer && errorCode === 'notIndexed') addIndexAndAnswer(answer);
    else if (answer) addRetry(answer);
  }
}

function onEvent(event: ChatEvent): void {
  const view = turns.get(event.requestId);
  if (!view) return;
  if ('status' in event) {
    view.clock ??= new PhaseClock(view.phase);
    view.clock.set(event.status);
    view.root.dataset.phase = event.phase;
  } else if ('content' in event) {
    view.pending += event.content;
    scheduleFlush();
  } else if ('sources' in event) {
    renderSources(view, event.sources);
  } else {
    const outcome = 'done' in event ? 'done' : 'cancelled' in event ? 'cancelled' : 'error';
    finishTurn(view, outcome, 'error' in event ? event.error : undefined, 'error' in event ? event.code : undefined);
    turns.delete(event.requestId);
    if (event.requestId === currentRequestId) {
      currentRequestId = undefined;
      setBusy(false);
      moveLastAnswerActions(messages, false);
      // Ready for the next question (unless the user has moved on to the history panel).
      if (!conversations.visible) input.focus();
    }
  }
}

/** The passages an answer draws on, numbered as the model cites them; each opens its place. */
function renderSources(view: TurnView, sources: Source[]): void {
  view.sources = sources;
  sourcesOf.set(view.root, sources);
  view.root.querySelector('.sources')?.remove();
  // Citations written before the list arrived (or pointing past a trimmed one) are redrawn.
  if (view.text) renderAnswer(view);
  if (sources.length === 0) return;
  const list = renderSourcesList(sources);
  view.root.querySelector('.answer')?.append(list);
}

/**
 * The answer as sanitized Markdown, each [n] that has a source a button. A number with no
 * source behind it stays text: it would promise a place that does not exist.
 */
function renderAnswer(view: TurnView): void {
  showAnswer(view.content, view.text, { describe: view.sources.map(describeSource) });
}

/** One listener for every citation and source link, present and future. */
messages.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement | null)?.closest<HTMLElement>('[data-source]');
  const root = target?.closest<HTMLElement>('.turn');
  if (!target || !root) return;
  const source = sourcesOf.get(root)?.[Number(target.dataset.source) - 1];
  if (!source) return;
  event.preventDefault();
  vscode.postMessage({
    type: 'openSource',
    source: { path: source.path, startLine: source.startLine, endLine: source.endLine, page: source.page },
  });
});

handleAnswerActions(messages, (message) => vscode.postMessage(message));

/** "Attached: …" under the question; the turn keeps the file's id, so asking again sends it. */
function showAttached(view: TurnView, attachment: ShownAttachment): void {
  view.root.querySelector('.question')?.append(element('div', 'attached-file', fmt(s.attached, attachment.name)));
  view.root.dataset.attachmentId = attachment.id;
}

function renderHistory(history: ShownTurn[]): void {
  messages.replaceChildren();
  turns.clear();
  currentRequestId = undefined;
  setBusy(false);
  for (const turn of history) {
    const view = addTurn(turn.question);
    if (turn.attachment) showAttached(view, turn.attachment);
    view.text = turn.answer;
    view.phase.hidden = true;
    view.root.classList.add(turn.outcome);
    renderSources(view, turn.sources); // renders the answer with its citations too
    settleAnswer(view.content);
    const answer = view.root.querySelector<HTMLElement>('.answer');
    if (answer && turn.outcome === 'error') addRetry(answer);
    lastQuestion = turn.question;
  }
  if (history.length === 0) {
    lastQuestion = '';
    messages.append(renderEmptyState(indexState, (command) => vscode.postMessage({ type: 'runCommand', command })));
  }
  moveLastAnswerActions(messages, false);
  follow.resume();
}

window.addEventListener('message', (message: MessageEvent<HostToWebview>) => {
  const data = message.data;
  switch (data.type) {
    case 'history':
      renderHistory(data.turns);
      break;
    case 'started':
      messages.querySelector('.empty')?.remove();
      // Regenerate: the new answer takes the last one's place.
      if (data.replaceLast) Array.from(messages.querySelectorAll('.turn')).at(-1)?.remove();
      moveLastAnswerActions(messages, true);
      currentRequestId = data.requestId;
      lastQuestion = data.question;
      {
        const turn = addTurn(data.question, data.requestId);
        if (data.attachment) showAttached(turn, data.attachment);
      }
      setBusy(true);
      break;
    case 'attachment':
      attachments.show(data.attachment);
      input.focus();
      break;
    case 'event':
      onEvent(data.event);
      break;
    case 'conversations':
      conversations.show(data.conversations);
      break;
    case 'indexState': {
      indexState = data.state;
      const empty = messages.querySelector<HTMLElement>('.empty');
      if (empty) updateIndexState(empty, indexState);
      break;
    }
  }
});

function send(): void {
  const question = input.value.trim();
  if (!question) return;
  input.value = '';
  vscode.setState({ draft: '' });
  const attachmentId = attachments.take();
  // The user asked: the view follows the new question and its answer again.
  follow.resume();
  vscode.postMessage({ type: 'ask', question, ...(attachmentId ? { attachmentId } : {}) });
}

function stop(): void {
  if (currentRequestId) vscode.postMessage({ type: 'stop' });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  send();
});
stopButton.addEventListener('click', () => {
  stop();
  input.focus();
});
newChatButton.addEventListener('click', () => {
  conversations.hide();
  vscode.postMessage({ type: 'newChat' });
  input.focus();
});
historyButton.addEventListener('click', () => {
  if (conversations.visible) conversations.hide();
  else vscode.postMessage({ type: 'listConversations' });
});

/** Retry, Regenerate and Copy, on whichever turn they were clicked. */
messages.addEventListener('click', (event) => {
  const target = (event.target as HTMLElement | null)?.closest<HTMLElement>('[data-action]');
  const root = target?.closest<HTMLElement>('.turn');
  if (!target || !root) return;
  const question = root.querySelector('.question')?.firstChild?.textContent ?? '';
  // Asked with a file, it is asked again with that file.
  const again = root.dataset.attachmentId ? { attachmentId: root.dataset.attachmentId } : {};
  const action = target.dataset.action as TurnAction;
  // Asking again is asking: the view follows the new answer.
  if (action !== 'copy') follow.resume();
  switch (action) {
    case 'retry':
      if (question) vscode.postMessage({ type: 'ask', question, ...again });
      break;
    case 'regenerate':
      if (question) vscode.postMessage({ type: 'ask', question, ...again, replaceLast: true });
      break;
    case 'indexAndAsk':
      if (question) vscode.postMessage({ type: 'indexAndAsk', question });
      break;
    case 'copy': {
      const text = root.querySelector('.content')?.textContent ?? '';
      if (text) vscode.postMessage({ type: 'copy', text });
      target.textContent = s.copied;
      setTimeout(() => (target.textContent = s.copy), 1500);
      break;
    }
  }
});
input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    send();
  } else if (event.key === 'ArrowUp' && input.value === '' && lastQuestion) {
    event.preventDefault();
    input.value = lastQuestion;
  }
});
input.addEventListener('input', () => vscode.setState({ draft: input.value }));
// Esc stops the answer wherever the focus is in the view, the input included: one listener,
// so one key press posts one Stop.
document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape') return;
  if (event.target === input) event.preventDefault();
  stop();
});

const saved = vscode.getState() as { draft?: string } | undefined;
if (saved?.draft) input.value = saved.draft;
vscode.postMessage({ type: 'ready' });
input.focus();
