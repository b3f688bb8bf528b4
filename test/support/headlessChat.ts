/**
 * ChatService as a headless caller drives it (the CLI): a RequestManager decides which
 * question runs, so a newer question cancels the one before it.
 */
import type { RequestManager } from '../../src/pipeline/cancellation';
import type { ChatService } from '../../src/pipeline/chat/chatService';
import type { ChatEvent, TerminalEvent } from '../../src/protocol/events';
import type { ChatParams } from '../../src/protocol/rpc';

export interface HeadlessChat {
  handle(params: ChatParams, emit: (event: ChatEvent) => void): Promise<TerminalEvent>;
}

export function headlessChat(service: ChatService, requests: RequestManager): HeadlessChat {
  return { handle: (params, emit) => requests.run(params.requestId, (token) => service.handle(params, token, emit)) };
}
