/**
 * The one current question of the window. Every way of stopping — the webview's Stop and
 * Esc, `localRag.stop`, a cancelled progress notification or quick-pick, a newer question
 * — cancels the same token, and the pipeline hears it as `$/cancelRequest`.
 *
 * Free of `vscode` imports (VS Code's CancellationToken has the same shape as
 * vscode-jsonrpc's), so tests drive it against the real pipeline from plain Node.
 */
import { randomUUID } from 'node:crypto';
import { CancellationTokenSource, type CancellationToken, type Disposable } from 'vscode-jsonrpc';
import { isTerminalEvent, type ChatEvent, type ChatTurn, type ProcessingPhase, type Source, type TerminalEvent } from '../protocol/events';
import type { ConversationSummary } from '../protocol/conversations';
import type { FileRef, IndexStatus } from '../protocol/indexing';
import type { PipelineClient } from './pipelineClient';

export type ChatUpdate =
  | { type: 'started'; requestId: string; question: string; attachment?: FileRef; replaceLast?: boolean }
  | { type: 'event'; event: ChatEvent }
  /** The conversation shown changed (New Chat, an earlier one reopened). */
  | { type: 'history'; turns: ChatTurn[] };

/** What the view needs to redraw a request that is still streaming (after a reload). */
export interface ActiveRequest {
  requestId: string;
  question: string;
  /** The file attached to the question. */
  attachment?: FileRef;
  phase: ProcessingPhase;
  status: string;
  answer: string;
  sources: Source[];
}

interface Active extends ActiveRequest {
  source: CancellationTokenSource;
  /** Settles once the request has ended, whichever way. */
  finished: Promise<void>;
}

export class ChatController {
  private active: Active | undefined;
  private asked = 0;
  private readonly listeners = new Set<(update: ChatUpdate) => void>();

  constructor(private readonly client: PipelineClient) {}

  onUpdate(listener: (update: ChatUpdate) => void): Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  get current(): ActiveRequest | undefined {
    if (!this.active) return undefined;
    const { source: _source, finished: _finished, ...snapshot } = this.active;
    return snapshot;
  }

  get isBusy(): boolean {
    return this.active !== undefined;
  }

  /**
   * Asks a question, first stopping the one still running. `token` (a progress
   * notification's, say) stops it too; `onEvent` sees this question's events only;
   * `attachment` is a file to read and summarize before answering from it.
   *
   * The old question is finished (its `{cancelled}` received, a few milliseconds) before
   * the new one starts, so the chat never shows the two interleaved.
   */
  async ask(
    question: string,
    token?: CancellationToken,
    onEvent?: (event: ChatEvent) => void,
    attachment?: FileRef,
    replaceLast = false,
  ): Promise<TerminalEvent> {
    const ticket = ++this.asked;
    await this.stopAndWait();
    const requestId = randomUUID();
    // Superseded while waiting: an even newer question (or a cancel) came in meanwhile.
    if (ticket !== this.asked || token?.isCancellationRequested) return { requestId, cancelled: true };

    const source = new CancellationTokenSource();
    const link = token?.onCancellationRequested(() => source.cancel());
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const active: Active = { requestId, question, attachment, phase: 'IDLE', status: '', answer: '', sources: [], source, finished };
    this.active = active;
    this.broadcast({ type: 'started', requestId, question, ...(attachment ? { attachment } : {}), ...(replaceLast ? { replaceLast } : {}) });
    try {
      const params = { requestId, question, ...(attachment ? { attachment } : {}), ...(replaceLast ? { replaceLast } : {}) };
      return await this.client.chat(params, source.token, (event) => {
        if ('status' in event) {
          active.phase = event.phase;
          active.status = event.status;
        }
        if ('content' in event) active.answer += event.content;
        if ('sources' in event) active.sources = event.sources;
        if (isTerminalEvent(event) && this.active === active) this.active = undefined;
        onEvent?.(event);
        this.broadcast({ type: 'event', event });
      });
    } finally {
      link?.dispose();
      source.dispose();
      if (this.active === active) this.active = undefined;
      finish();
    }
  }

  /** Stops the current question; reports whether one was running. */
  stop(): boolean {
    if (!this.active) return false;
    this.active.source.cancel();
    return true;
  }

  /**
   * Stops the current question and waits for its end ({cancelled}, a few milliseconds), so
   * that its partial answer is saved where it was asked before the conversation changes.
   */
  private async stopAndWait(): Promise<void> {
    const active = this.active;
    if (!active) return;
    active.source.cancel();
    await active.finished;
  }

  async history(): Promise<ChatTurn[]> {
    return this.client.getHistory();
  }

  /** Starts a fresh conversation; the one left behind can be reopened. */
  async newChat(): Promise<void> {
    await this.stopAndWait();
    await this.client.clearHistory();
    this.broadcast({ type: 'history', turns: [] });
  }

  async indexStatus(): Promise<IndexStatus> {
    return this.client.indexStatus();
  }

  async conversations(): Promise<ConversationSummary[]> {
    return this.client.listConversations();
  }

  /** Continues an earlier conversation; reports whether it still existed. */
  async openConversation(id: string): Promise<boolean> {
    await this.stopAndWait();
    const turns = await this.client.openConversation(id);
    if (turns) this.broadcast({ type: 'history', turns });
    return turns !== undefined;
  }

  private broadcast(update: ChatUpdate): void {
    for (const listener of this.listeners) listener(update);
  }
}
