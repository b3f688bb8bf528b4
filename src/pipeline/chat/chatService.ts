/**
 * One chat request through the phases ANALYSIS → RETRIEVAL → GENERATION (guide §5.2),
 * streaming events and ending with exactly one of done / cancelled / error.
 *
 * `{cancelled}` is sent from the token's cancel callback itself, not after the work has
 * unwound: Stop is acknowledged at once in every phase, whatever the library doing the
 * work needs to settle. Events the request still produces after that are dropped, and the
 * answer saved with "[Stopped]" is exactly the text the user saw.
 */
import type { ChatEvent, ChatTurn, ProcessingPhase, Source, TerminalEvent } from '../../protocol/events';
import { STOPPED_MARKER } from '../../protocol/events';
import type { ChatParams } from '../../protocol/rpc';
import type { PipelineSettings } from '../../protocol/settings';
import { CancelledError, type CancellationToken, type RequestManager } from '../cancellation';
import type { ChatMessage, ChatModel } from '../llm/chatModel';
import { ModelUnavailableError } from '../llm/chatModel';
import { describeError, type Logger } from '../log';
import type { Retriever } from '../retrieval/retriever';
import type { ChatHistory } from './history';
import { ContentBatcher } from './contentBatcher';
import { buildSystemPrompt } from './prompt';

const PHASE_STATUS: Partial<Record<ProcessingPhase, string>> = {
  ANALYSIS: 'Analyzing…',
  RETRIEVAL: 'Searching…',
  GENERATION: 'Generating…',
};

/** Completed turns given to the model as conversation context. */
const HISTORY_TURNS_IN_PROMPT = 2;

export interface ChatServiceDeps {
  requests: RequestManager;
  model: ChatModel;
  retriever: Retriever;
  history: ChatHistory;
  settings(): PipelineSettings;
  logger: Logger;
}

export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  async handle(params: ChatParams, emit: (event: ChatEvent) => void): Promise<TerminalEvent> {
    const { requests, history, logger } = this.deps;
    const { requestId, question } = params;
    const token = requests.startRequest(requestId);
    const askedAt = Date.now();
    let answer = '';
    let sources: Source[] = [];
    let terminal: TerminalEvent | undefined;

    const batcher = new ContentBatcher((content) => {
      if (!terminal) emit({ requestId, content });
    });
    const send = (event: ChatEvent) => {
      batcher.flush();
      if (!terminal) emit(event);
    };
    const finish = (event: TerminalEvent, outcome: ChatTurn['outcome'], marker = ''): TerminalEvent => {
      if (terminal) return terminal;
      // Tokens produced before the end are part of the answer the user sees and keeps.
      batcher.flush();
      terminal = event;
      history.add({ question, answer: answer + marker, outcome, sources, askedAt });
      emit(event);
      return event;
    };
    const stop = () => finish({ requestId, cancelled: true }, 'cancelled', answer ? `\n\n${STOPPED_MARKER}` : STOPPED_MARKER);
    const onCancel = () => {
      stop();
      logger.log('info', `Request ${requestId} stopped during ${token.phase}.`);
    };

    const previousTurns = history.all();
    token.registerCallback(onCancel);
    try {
      this.enterPhase(token, 'ANALYSIS', send);
      const query = analyze(question);

      this.enterPhase(token, 'RETRIEVAL', send);
      sources = await this.deps.retriever.retrieve(query, token);
      token.throwIfCancelled();
      send({ requestId, sources });

      this.enterPhase(token, 'GENERATION', send);
      await this.deps.model.generate(this.deps.settings(), {
        systemPrompt: buildSystemPrompt(sources),
        history: recentMessages(previousTurns),
        prompt: question,
        maxTokens: this.deps.settings().maxAnswerTokens,
        token,
        onText: (text) => {
          answer += text;
          batcher.add(text);
        },
      });
      token.throwIfCancelled();
      return finish({ requestId, done: true }, 'done');
    } catch (error) {
      if (error instanceof CancelledError || token.isCancelled) {
        return stop();
      }
      logger.log('error', `Request ${requestId} failed during ${token.phase}: ${describeError(error)}`);
      const failure: TerminalEvent =
        error instanceof ModelUnavailableError
          ? { requestId, error: error.message, code: 'modelUnavailable' }
          : { requestId, error: `The answer failed: ${describeError(error)}`, code: 'failed' };
      return finish(failure, 'error');
    } finally {
      token.unregisterCallback(onCancel);
      token.setPhase('IDLE');
      requests.finishRequest(token);
    }
  }

  private enterPhase(token: CancellationToken, phase: ProcessingPhase, send: (event: ChatEvent) => void): void {
    token.throwIfCancelled();
    token.setPhase(phase);
    send({ requestId: token.requestId, phase, status: PHASE_STATUS[phase] ?? phase });
  }
}

/** The search query for a question; follow-up rewriting from history comes with a later issue. */
function analyze(question: string): string {
  return question.trim();
}

function recentMessages(turns: ChatTurn[]): ChatMessage[] {
  return turns
    .filter((turn) => turn.outcome === 'done')
    .slice(-HISTORY_TURNS_IN_PROMPT)
    .flatMap((turn): ChatMessage[] => [
      { role: 'user', text: turn.question },
      { role: 'assistant', text: turn.answer },
    ]);
}
