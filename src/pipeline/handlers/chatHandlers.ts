/**
 * Asking a question. The host decides which question runs (it stops one before asking the
 * next); here each request runs on its own token, which only the host's `$/cancelRequest`
 * cancels, so a second request sent early (a second client) runs beside the first
 * instead of cancelling it. Events travel as `chat/event` notifications, except the
 * terminal one: it is the request's response, on the same channel and so after them.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { isTerminalEvent, type TerminalEvent } from '../../protocol/events';
import { ChatEventNotification, ChatRequest } from '../../protocol/rpc';
import { requirePipeline, type CurrentPipeline } from '../pipeline';
import { cancelOnRpc } from '../rpcCancellation';

export function registerChatHandlers(connection: MessageConnection, current: CurrentPipeline): void {
  connection.onRequest(ChatRequest, (params, rpcToken) => {
    const pipeline = requirePipeline(current);
    const token = pipeline.startQuestion(params.requestId);
    const subscription = cancelOnRpc(rpcToken, token);
    return new Promise<TerminalEvent>((resolve, reject) => {
      // Answered as soon as the end is known (a Stop's {cancelled} at once), not once the
      // work has unwound.
      const work = pipeline.chat.handle(params, token, (event) => {
        if (isTerminalEvent(event)) resolve(event);
        else connection.sendNotification(ChatEventNotification, event).catch(() => {});
      });
      work.then(resolve, reject).finally(() => {
        subscription.dispose();
        pipeline.endQuestion(token);
      });
    });
  });
}
