/** Messages between the chat webview and the extension host (postMessage, both ways). */
import type { ChatEvent, ChatTurn } from './events';

export type WebviewToHost =
  | { type: 'ready' }
  | { type: 'ask'; question: string }
  | { type: 'stop' }
  | { type: 'newChat' };

export type HostToWebview =
  | { type: 'history'; turns: ChatTurn[] }
  | { type: 'started'; requestId: string; question: string }
  | { type: 'event'; event: ChatEvent };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; question?: unknown };
  switch (message.type) {
    case 'ready':
    case 'stop':
    case 'newChat':
      return true;
    case 'ask':
      return typeof message.question === 'string' && message.question.trim().length > 0 && message.question.length <= 20_000;
    default:
      return false;
  }
}
