/**
 * ChatService as a headless caller drives it (the CLI): a RequestManager decides which
 * question runs, so a newer question cancels the one before it.
 */
import assert from 'node:assert/strict';
import type { RequestManager } from '../../src/pipeline/cancellation';
import type { ChatService } from '../../src/pipeline/chat/chatService';
import { isTerminalEvent, type ChatEvent, type TerminalEvent } from '../../src/protocol/events';
import type { ChatParams } from '../../src/protocol/rpc';

export interface HeadlessChat {
  handle(params: ChatParams, emit: (event: ChatEvent) => void): Promise<TerminalEvent>;
}

export function headlessChat(service: ChatService, requests: RequestManager): HeadlessChat {
  return { handle: (params, emit) => requests.run(params.requestId, (token) => service.handle(params, token, emit)) };
}

export interface Asked {
  events: ChatEvent[];
  terminal: TerminalEvent;
}

/** Asks one question and collects its events; `onEvent` may act mid-stream (press Stop, say). */
export async function askHeadless(
  chat: HeadlessChat,
  params: ChatParams,
  onEvent: (event: ChatEvent, events: ChatEvent[]) => void = () => {},
): Promise<Asked> {
  const events: ChatEvent[] = [];
  const terminal = await chat.handle(params, (event) => {
    events.push(event);
    onEvent(event, events);
  });
  return { events, terminal };
}

/** Exactly one terminal event, the last one, equal to what handle() resolved with. */
export function assertOneTerminal(asked: Asked, expected: TerminalEvent): void {
  assert.deepEqual(asked.events.filter(isTerminalEvent), [expected]);
  assert.deepEqual(asked.events.at(-1), expected);
  assert.deepEqual(asked.terminal, expected);
}
