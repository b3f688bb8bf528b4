/** Messages between the chat webview and the extension host (postMessage, both ways). */
import type { ChatEvent, ChatTurn } from './events';

export type WebviewToHost =
  | { type: 'ready' }
  /** `attachmentId`: a file the host offered with an `attachment` message. */
  | { type: 'ask'; question: string; attachmentId?: string }
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

export type HostToWebview =
  | { type: 'history'; turns: ChatTurn[] }
  | { type: 'started'; requestId: string; question: string; attachment?: string }
  | { type: 'event'; event: ChatEvent }
  /** The file the next question goes with (undefined: none); `name` is its display path. */
  | { type: 'attachment'; attachment: { id: string; name: string } | undefined };

export function isWebviewToHost(value: unknown): value is WebviewToHost {
  if (typeof value !== 'object' || value === null) return false;
  const message = value as { type?: unknown; question?: unknown };
  switch (message.type) {
    case 'ready':
    case 'stop':
    case 'newChat':
    case 'pickAttachment':
      return true;
    case 'dropAttachment': {
      const uris = (value as { uris?: unknown }).uris;
      return Array.isArray(uris) && uris.length > 0 && uris.length <= 100 && uris.every((uri) => typeof uri === 'string' && uri.length <= 8192);
    }
    case 'openSource':
      return isSourceLocation((value as { source?: unknown }).source);
    case 'ask': {
      const attachmentId = (value as { attachmentId?: unknown }).attachmentId;
      return (
        typeof message.question === 'string' &&
        message.question.trim().length > 0 &&
        message.question.length <= 20_000 &&
        (attachmentId === undefined || (typeof attachmentId === 'string' && attachmentId.length <= 100))
      );
    }
    default:
      return false;
  }
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
