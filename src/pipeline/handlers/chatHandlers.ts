/** Asking a question, and the Stop that ends the one running. */
import type { MessageConnection } from 'vscode-jsonrpc';
import { ChatEventNotification, ChatRequest, StopRequest } from '../../protocol/rpc';
import { requirePipeline, type CurrentPipeline } from '../pipeline';
import { onRpcCancel } from '../rpcCancellation';

export function registerChatHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  connection.onRequest(ChatRequest, (params, rpcToken) => {
    const { chat, requests } = requirePipeline(current);
    const pending = chat.handle(params, (event) => {
      connection.sendNotification(ChatEventNotification, event).catch(() => {});
    });
    // Only this request's token: by the time the cancel lands, a newer question may run.
    const subscription = onRpcCancel(rpcToken, () => {
      if (requests.currentToken?.requestId === params.requestId) requests.cancelCurrent();
    });
    return pending.finally(() => subscription.dispose());
  });

  connection.onRequest(StopRequest, () => ({ cancelled: current()?.requests.cancelCurrent() ?? false }));
}
