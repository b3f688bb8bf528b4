/**
 * One chat request through the phases ANALYSIS → RETRIEVAL → GENERATION (guide §5.2),
 * streaming events and ending with exactly one of done / cancelled / error. The answer
 * comes from the model when one is set, from the passages themselves when none is, and
 * says plainly that nothing was found when retrieval found nothing relevant.
 *
 * `{cancelled}` is sent from the token's cancel callback itself, not after the work has
 * unwound: Stop is acknowledged at once in every phase, whatever the library doing the
 * work needs to settle. Events the request still produces after that are dropped, and the
 * answer saved with "[Stopped]" is exactly the text the user saw.
 */
import type { ChatEvent, ChatTurn, ProcessingPhase, Source, TerminalEvent } from '../../protocol/events';
import type { ChatParams } from '../../protocol/rpc';
import { hasChatModel, type PipelineSettings } from '../../protocol/settings';
import { CancelledError, type RequestToken } from '../cancellation';
import type { ChatMessage, ChatModel } from '../llm/chatModel';
import { ModelUnavailableError } from '../llm/chatModel';
import { describeError, type Logger } from '../log';
import type { Retriever } from '../retrieval/retriever';
import { readAttachment } from './attachment';
import type { ChatHistory } from './history';
import { ContentBatcher } from './contentBatcher';
import { citedNumbers } from '../../protocol/citations';
import { analyze } from './analysis';
import { extractiveAnswer } from './extractive';
import { chatMessages } from './messages';
import { buildSystemPrompt, packPrompt } from './prompt';
import { relevantSources } from './relevance';

/** Completed turns given to the model as conversation context. */
const HISTORY_TURNS_IN_PROMPT = 2;

export interface ChatServiceDeps {
  model: ChatModel;
  retriever: Retriever;
  history: ChatHistory;
  settings(): PipelineSettings;
  logger: Logger;
}

export class ChatService {
  constructor(private readonly deps: ChatServiceDeps) {}

  /**
   * Answers one question on `token`, which only its caller cancels: which question runs is
   * the caller's decision (the host's ChatController, or a RequestManager headless).
   * `emit` gets every event, the terminal one last; the promise resolves with that one
   * once the work has unwound.
   */
  async handle(params: ChatParams, token: RequestToken, emit: (event: ChatEvent) => void): Promise<TerminalEvent> {
    const { history, logger } = this.deps;
    const { requestId, question } = params;
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
      const turn: ChatTurn = { question, answer: answer + marker, outcome, sources, askedAt, ...(params.attachment ? { attachment: params.attachment } : {}) };
      if (params.replaceLast) history.replaceLast(turn);
      else history.add(turn);
      emit(event);
      return event;
    };
    const marker = chatMessages(this.deps.settings().language).stoppedMarker;
    const stop = () => finish({ requestId, cancelled: true }, 'cancelled', answer ? `\n\n${marker}` : marker);
    const onCancel = () => {
      stop();
      logger.log('info', `Request ${requestId} stopped during ${token.phase}.`);
    };

    const write = (text: string) => {
      answer += text;
      batcher.add(text);
    };

    // Regenerating, the answer being replaced is not part of what the model reads.
    const previousTurns = params.replaceLast ? history.all().slice(0, -1) : history.all();
    token.registerCallback(onCancel);
    try {
      // An attached file is read and summarized first; the answer then draws on it alone.
      const retriever = params.attachment
        ? await readAttachment(params.attachment, { model: this.deps.model, settings: this.deps.settings(), token, send, write })
        : this.deps.retriever;
      // Before anything was indexed an answer can only be "nothing found": say why instead.
      if (!params.attachment && (await retriever.isEmpty?.())) {
        token.throwIfCancelled();
        return finish({ requestId, error: chatMessages(this.deps.settings().language).notIndexed, code: 'notIndexed' }, 'error');
      }

      this.enterPhase(token, 'ANALYSIS', send);
      const settings = this.deps.settings();
      const query = await analyze(question, previousTurns, this.deps.model, settings, token, logger);

      this.enterPhase(token, 'RETRIEVAL', send);
      const found = await retriever.retrieve(query, token);
      token.throwIfCancelled();
      // An attached file is what the user asked about: its passages count whatever the words.
      sources = params.attachment ? found : relevantSources(query, found, (source) => retriever.matchesInMeaning?.(source) ?? false);
      send({ requestId, sources });

      if (sources.length === 0) {
        // Nothing to answer from: say so rather than let the model invent document content.
        this.enterPhase(token, 'GENERATION', send, chatMessages(settings.language).nothingFoundStatus);
        write(nothingFound(found.length > 0, settings.language));
      } else if (!hasChatModel(settings)) {
        this.enterPhase(token, 'GENERATION', send, chatMessages(settings.language).quotingStatus);
        write(extractiveAnswer(query, sources, settings.language));
      } else {
        this.enterPhase(token, 'GENERATION', send);
        await this.deps.model.generate(settings, {
          systemPrompt: buildSystemPrompt(sources),
          history: recentMessages(previousTurns),
          prompt: question,
          maxTokens: settings.maxAnswerTokens,
          token,
          onText: write,
          fit: (measure) => {
            const packed = packPrompt(question, sources, recentMessages(previousTurns), measure);
            if (packed.sources.length < sources.length || packed.sources.some((source, i) => source !== sources[i])) {
              logger.log('info', `Request ${requestId}: ${packed.sources.length} of ${sources.length} passages fit the context window.`);
              // The list shown is the list the model read, so every [n] it writes has a source.
              sources = packed.sources;
              send({ requestId, sources });
            }
            return packed.parts;
          },
        });
        token.throwIfCancelled();
        logInventedCitations(answer, sources.length, requestId, logger);
      }
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
    }
  }

  private enterPhase(token: RequestToken, phase: ProcessingPhase, send: (event: ChatEvent) => void, status?: string): void {
    token.throwIfCancelled();
    token.setPhase(phase);
    send({ requestId: token.requestId, phase, status: status ?? chatMessages(this.deps.settings().language).phase[phase] ?? phase });
  }
}

export function nothingFound(onlyWeakHits: boolean, language?: string): string {
  return chatMessages(language).nothingFound(onlyWeakHits);
}

/** Numbers with no source behind them are shown as plain text; the log says the model made them up. */
function logInventedCitations(answer: string, sourceCount: number, requestId: string, logger: Logger): void {
  const { invented } = citedNumbers(answer, sourceCount);
  if (invented.length) logger.log('info', `Request ${requestId}: the answer cites ${invented.map((n) => `[${n}]`).join(' ')} with no source behind; shown as plain text.`);
}

function recentMessages(turns: ChatTurn[]): ChatMessage[] {
  return turns
    .filter((turn) => turn.outcome === 'done')
    .slice(-HISTORY_TURNS_IN_PROMPT)
    .flatMap((turn): ChatMessage[] => [
      { role: 'user', text: turn.question },
      // Old [n] point at an older list: left in, they tempt the model to cite the wrong passage.
      { role: 'assistant', text: turn.answer.replace(/\s?\[\d{1,3}(?:\s*,\s*\d{1,3})*\]/g, '') },
    ]);
}
