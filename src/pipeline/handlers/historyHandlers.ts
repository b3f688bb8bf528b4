/** The chat history: conversations to list, reopen or start anew. Before `initialize` there is none. */
import type { MessageConnection } from 'vscode-jsonrpc';
import { ClearHistoryRequest, GetHistoryRequest, ListConversationsRequest, OpenConversationRequest } from '../../protocol/rpc';
import type { CurrentPipeline } from '../pipeline';

export function registerHistoryHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  connection.onRequest(GetHistoryRequest, () => current()?.history.all() ?? []);
  connection.onRequest(ClearHistoryRequest, () => {
    const pipeline = current();
    pipeline?.requests.cancelCurrent();
    pipeline?.history.startNew();
  });
  connection.onRequest(ListConversationsRequest, () => current()?.history.list() ?? []);
  connection.onRequest(OpenConversationRequest, ({ id }) => {
    const pipeline = current();
    pipeline?.requests.cancelCurrent();
    return pipeline?.history.reopen(id) ?? null;
  });
}
