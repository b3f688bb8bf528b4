/**
 * The chat history: conversations to list, reopen or start anew. Before `initialize` there
 * is none. Nothing here stops a question: the host has stopped it, and waited for its end,
 * before it clears or reopens.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { ClearHistoryRequest, GetHistoryRequest, ListConversationsRequest, OpenConversationRequest } from '../../protocol/rpc';
import type { CurrentPipeline } from '../pipeline';

export function registerHistoryHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  connection.onRequest(GetHistoryRequest, () => current()?.history.all() ?? []);
  connection.onRequest(ClearHistoryRequest, () => current()?.history.startNew());
  connection.onRequest(ListConversationsRequest, () => current()?.history.list() ?? []);
  connection.onRequest(OpenConversationRequest, ({ id }) => current()?.history.reopen(id) ?? null);
}
