/**
 * What a new conversation shows: what the assistant does, whether the workspace is indexed,
 * and the buttons that get it ready (the host runs only these commands).
 */
import type { IndexState, ViewCommand } from '../src/protocol/webviewMessages';
import { button, element } from './dom';
import { fmt, s } from './strings';

export function renderEmptyState(state: IndexState | undefined, run: (command: ViewCommand) => void): HTMLElement {
  const root = element('div', 'empty');
  root.append(
    element('p', 'empty-intro', s.emptyIntro),
    element('p', 'empty-private', s.emptyPrivate),
  );
  const status = element('p', 'index-state');
  status.setAttribute('role', 'status');
  root.append(status);
  updateIndexState(root, state);
  const actions = element('div', 'empty-actions');
  const add = (command: ViewCommand, text: string) => {
    const node = button('secondary', text);
    node.dataset.command = command;
    node.addEventListener('click', () => run(command));
    actions.append(node);
  };
  add('indexWorkspace', s.indexWorkspace);
  add('selectModel', s.selectModel);
  add('downloadModels', s.downloadModels);
  root.append(actions);
  return root;
}

/** Rewrites the index line of an empty state in place (after indexing, say). */
export function updateIndexState(root: HTMLElement, state: IndexState | undefined): void {
  const status = root.querySelector<HTMLElement>('.index-state');
  if (!status) return;
  status.hidden = state === undefined;
  status.textContent =
    state === undefined
      ? ''
      : state.files === 0
        ? s.notIndexed
        : fmt(state.files === 1 ? s.indexedOne : s.indexed, state.files.toLocaleString(), state.chunks.toLocaleString());
}
