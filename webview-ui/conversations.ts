/**
 * The History panel: earlier conversations of this workspace (first question, date), one
 * click reopens one. The host sends the list; the view only shows it.
 */
import type { ConversationSummary } from '../src/protocol/conversations';
import { button, element } from './dom';
import { s } from './strings';

export interface ConversationsPanel {
  show(conversations: ConversationSummary[]): void;
  hide(): void;
  readonly visible: boolean;
}

export function setupConversations(before: HTMLElement, open: (id: string) => void): ConversationsPanel {
  const panel = element('section', 'conversations');
  panel.setAttribute('aria-label', s.historyLabel);
  panel.hidden = true;
  before.before(panel);

  const hide = () => {
    panel.hidden = true;
  };
  panel.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.stopPropagation();
      hide();
    }
  });

  return {
    get visible() {
      return !panel.hidden;
    },
    hide,
    show(conversations) {
      const header = element('div', 'conversations-header');
      const close = button('secondary', s.close, s.closeHistory);
      close.addEventListener('click', hide);
      header.append(element('h2', 'conversations-title', s.historyLabel), close);
      const list = element('ul', 'conversation-list');
      for (const conversation of conversations) {
        const item = element('li', 'conversation');
        const when = new Date(conversation.startedAt).toLocaleString();
        const pick = button('conversation-open', '', `${conversation.title} — ${when}`);
        pick.append(element('span', 'conversation-title', conversation.title), element('span', 'conversation-date', when));
        pick.addEventListener('click', () => {
          hide();
          open(conversation.id);
        });
        item.append(pick);
        list.append(item);
      }
      panel.replaceChildren(header, conversations.length ? list : element('p', 'conversations-none', s.noConversations));
      panel.hidden = false;
      panel.querySelector<HTMLElement>('.conversation-open, button')?.focus();
    },
  };
}
