/** Messages between the chat webview and the extension host (postMessage, both ways). */
import type { ConversationSummary } from './conversations';
import type { ChatEvent, ChatTurn } from './events';
import { openableLink } from './links';

export type WebviewToHost =
  | { type: 'ready' }
  /**
   * `attachmentId`: a file the host offered with an `attachment` message, or the one a turn
   * shown was asked with (Retry, Regenerate). `replaceLast`: Regenerate, the answer takes
   * the place of the conversation's last one.
   */
  | { type: 'ask'; question: string; attachmentId?: string; replaceLast?: boolean }
  /** The button of a question asked before anything was indexed: index the workspace, then answer it in place. */
  | { type: 'indexAndAsk'; question: string }
  /** Copy on an answer: the host writes the text to the clipboard (the webview may not). */
  | { type: 'copy'; text: string }
  /** A link in an answer; the host opens it only if `openableLink` (links.ts) accepts it. */
  | { type: 'openLink'; url: string }
  /** The History button: the host answers with `conversations`. */
  | { type: 'listConversations' }
  | { type: 'openConversation'; id: string }
  /** The empty state's buttons; only these commands can be run from the view. */
  | { type: 'runCommand'; command: ViewCommand }
  | { type: 'stop' }
  | { type: 'newChat' }
  | { type: 'openSource'; source: SourceLocation }
  /** The Attach button: the host shows an open dialog. */
  | { type: 'pickAttachment' }
  /** Files dropped on the view (Shift held), as the URIs VS Code put in the drop. */
  | { type: 'dropAttachment'; uris: string[] };

/** Where a cited passage is; the host opens it only if it is one of the sources it sent. */
export interface SourceLocation {
  path: string;
  startLine?: number;
  endLine?: number;
  page?: number;
}

export const VIEW_COMMANDS = ['indexWorkspace', 'selectModel', 'downloadModels'] as const;
export type ViewCommand = (typeof VIEW_COMMANDS)[number];

/** What the empty state says about the index; undefined while the pipeline cannot tell. */
export interface IndexState {
  files: number;
  chunks: number;
}

/** A file as the view knows it: its display path, and an id the host gave to name it back. */
export interface ShownAttachment {
  id: string;
  name: string;
}

/** A turn as the view gets it: its file by id and name, never by path. */
export type ShownTurn = Omit<ChatTurn, 'attachment'> & { attachment?: ShownAttachment };

export type HostToWebview =
  | { type: 'history'; turns: ShownTurn[] }
  | { type: 'started'; requestId: string; question: string; attachment?: ShownAttachment; replaceLast?: boolean }
  | { type: 'conversations'; conversations: ConversationSummary[] }
  | { type: 'indexState'; state: IndexState | undefined }
  | { type: 'event'; event: ChatEvent }
  /** The file the next question goes with (undefined: none). */
  | { type: 'attachment'; attachment: ShownAttachment | undefined };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; question?: unknown };
  switch (message.type) {
    case 'ready':
    case 'stop':
    case 'newChat':
    case 'pickAttachment':
    case 'listConversations':
      return true;
    case 'copy': {
      const text = (value as { text?: unknown }).text;
      return typeof text === 'string' && text.length > 0 && text.length <= 1_000_000;
    }
    case 'openLink': {
      const url = (value as { url?: unknown }).url;
      return typeof url === 'string' && openableLink(url) !== undefined;
    }
    case 'openConversation': {
      const id = (value as { id?: unknown }).id;
      return typeof id === 'string' && id.length > 0 && id.length <= 100;
    }
    case 'runCommand':
      return (VIEW_COMMANDS as readonly unknown[]).includes((value as { command?: unknown }).command);
    case 'dropAttachment': {
      const uris = (value as { uris?: unknown }).uris;
      return Array.isArray(uris) && uris.length > 0 && uris.length <= 100 && uris.every((uri) => typeof uri === 'string' && uri.length <= 8192);
    }
    case 'openSource':
      return isSourceLocation((value as { source?: unknown }).source);
    case 'indexAndAsk':
      return isQuestion(message.question);
    case 'ask': {
      const { attachmentId, replaceLast } = value as { attachmentId?: unknown; replaceLast?: unknown };
      return (
        (replaceLast === undefined || typeof replaceLast === 'boolean') &&
        isQuestion(message.question) &&
        (attachmentId === undefined || (typeof attachmentId === 'string' && attachmentId.length <= 100))
      );
    }
    default:
      return false;
  }
}

function isQuestion(question: unknown): question is string {
  return typeof question === 'string' && question.trim().length > 0 && question.length <= 20_000;
}

function isSourceLocation(value: unknown): value is SourceLocation {
  if (typeof value !== 'object' || value === null) return false;
  const location = value as Record<string, unknown>;
  const line = (n: unknown) => n === undefined || (Number.isSafeInteger(n) && (n as number) >= 1);
  return (
    typeof location.path === 'string' &&
    location.path.length > 0 &&
    location.path.length <= 4096 &&
    line(location.startLine) &&
    line(location.endLine) &&
    line(location.page)
  );
}
