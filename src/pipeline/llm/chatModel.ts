/**
 * The chat model: loaded once, reused across requests, one generation at a time, every
 * generation stoppable through the request's token.
 */
import * as fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ChatHistoryItem, Llama, LlamaChatSession, LlamaContext, LlamaModel } from 'node-llama-cpp' with { 'resolution-mode': 'import' };
import type { DeviceInfo } from '../../protocol/rpc';
import type { PipelineSettings } from '../../protocol/settings';
import type { RequestToken } from '../cancellation';
import { describeError, type Logger } from '../log';
import { createLlama, describeDevice, loadNodeLlamaCpp } from './llamaRuntime';
import { chooseThreads } from './threads';
import { Mutex } from '../mutex';
import { ServerChatModel } from './server/serverChatModel';

import { ModelUnavailableError } from './modelErrors';

export { ModelUnavailableError };

export interface ChatMessage {
  role: 'user' | 'assistant';
  text: string;
}

/** What the model reads: a system prompt, earlier turns, and the question. */
export interface PromptParts {
  systemPrompt: string;
  history: ChatMessage[];
  prompt: string;
}

/** The model's own measure of a prompt, for fitting it into the context window. */
export interface PromptMeasure {
  /** Tokens `parts` take once rendered by the model's chat template (exact, its tokenizer). */
  count(parts: PromptParts): number;
  /** Tokens the prompt may take: the context window less the room kept for the answer. */
  budget: number;
}

export interface GenerateRequest extends PromptParts {
  maxTokens: number;
  token: RequestToken;
  onText(text: string): void;
  /**
   * Called once the model is loaded (its tokenizer and context size known): returns the
   * parts to send instead of the request's own, trimmed to `measure.budget`.
   */
  fit?(measure: PromptMeasure): PromptParts;
}

/**
 * Room kept for the answer: what it may use, but at most a quarter of the window, so that
 * a large maxAnswerTokens does not squeeze the sources out (past the window the session
 * shifts its context rather than fail).
 */
export function answerReserve(contextSize: number, maxTokens: number): number {
  return Math.max(1, Math.min(maxTokens, Math.floor(contextSize / 4)));
}

/**
 * The smallest context a memory-short machine is allowed to shrink to: below this, a
 * question with its sources no longer fits, and failing with node-llama-cpp's "too large
 * for the available RAM" says more than a useless answer.
 */
const MIN_CONTEXT_TOKENS = 512;

interface Loaded {
  key: string;
  llama: Llama;
  model: LlamaModel;
  context: LlamaContext;
  session: LlamaChatSession;
  device: DeviceInfo;
  /** The maxAnswerTokens already logged as clamped for this model (logged once, not per answer). */
  toldAnswerClamp?: number;
}

export class ChatModel {
  private loaded: Loaded | undefined;
  private loading: Promise<Loaded> | undefined;
  private readonly generationLock = new Mutex();
  /** Where answers come from when `localRag.chatProvider` is `openaiCompatible`. */
  private readonly server: ServerChatModel;

  constructor(
    private readonly logger: Logger,
    private readonly onDevice: (device: DeviceInfo) => void = () => {},
  ) {
    this.server = new ServerChatModel(logger);
  }

  /** Streams one answer; resolves with the text produced, partial when stopped. */
  async generate(settings: PipelineSettings, request: GenerateRequest): Promise<string> {
    if (settings.chatProvider === 'openaiCompatible') return this.server.generate(settings, request);
    const release = await this.generationLock.acquire();
    try {
      request.token.throwIfCancelled();
      const loaded = await this.ensureLoaded(settings, request.token);
      request.token.throwIfCancelled();
      const { session } = loaded;
      const maxTokens = this.answerLimit(loaded, request.maxTokens);
      const parts = request.fit ? request.fit(measureOf(loaded, maxTokens)) : request;
      session.setChatHistory(toChatHistory(parts));
      let text = '';
      // The model's own share of the time to the first token (prompt evaluation and the
      // first sampled token), for the trace log and the first-token benchmark.
      const promptStarted = performance.now();
      await session.prompt(parts.prompt, {
        maxTokens,
        signal: request.token.signal,
        stopOnAbortSignal: true,
        onTextChunk: (chunk) => {
          if (request.token.isCancelled || !chunk) return;
          if (!text) this.logger.log('trace', `${request.token.requestId}: the model took ${(performance.now() - promptStarted).toFixed(1)} ms to its first token.`);
          text += chunk;
          request.onText(chunk);
        },
      });
      request.token.throwIfCancelled();
      return text;
    } catch (error) {
      // node-llama-cpp rejects with its own AbortError when stopped before the first token.
      request.token.throwIfCancelled();
      throw error;
    } finally {
      release();
    }
  }

  /**
   * An answer can never be longer than the context that holds it; past it the session would
   * shift its context and generate on without end (1e9 tokens is a valid setting value).
   */
  private answerLimit(loaded: Loaded, requested: number): number {
    const limit = loaded.context.contextSize;
    if (requested <= limit) return requested;
    if (loaded.toldAnswerClamp !== requested) {
      loaded.toldAnswerClamp = requested;
      this.logger.log('warn', `localRag.maxAnswerTokens ${requested} is more than the model's context of ${limit} tokens; using ${limit}.`);
    }
    return limit;
  }

  /**
   * The context window the model runs with, loading it if need be: what a prompt must fit
   * in once the setting is clamped to the model and to memory (the setting itself may say 1e6).
   */
  async contextTokens(settings: PipelineSettings, token: RequestToken): Promise<number> {
    if (settings.chatProvider === 'openaiCompatible') return this.server.contextTokens(settings, token);
    const release = await this.generationLock.acquire();
    try {
      return (await this.ensureLoaded(settings, token)).context.contextSize;
    } finally {
      release();
    }
  }

  get device(): DeviceInfo | undefined {
    return this.loaded?.device;
  }

  async dispose(): Promise<void> {
    const loaded = this.loaded;
    this.loaded = undefined;
    await loaded?.llama.dispose().catch(() => {});
  }

  private async ensureLoaded(settings: PipelineSettings, token: RequestToken): Promise<Loaded> {
    const key = JSON.stringify([settings.chatModel, settings.gpuLayers, settings.threads, settings.contextSize]);
    if (this.loaded?.key === key) return this.loaded;
    // Checked before unloading: a typo in the setting must not throw away a working model.
    checkModelFile(settings.chatModel);
    if (this.loaded) await this.dispose();
    // Loading is not tied to one request's token: a stopped request must not leave a
    // half-loaded model behind, so the load finishes and the next request reuses it.
    this.loading ??= this.load(settings, key).finally(() => (this.loading = undefined));
    const loaded = await this.loading;
    token.throwIfCancelled();
    return loaded;
  }

  private async load(settings: PipelineSettings, key: string): Promise<Loaded> {
    const started = Date.now();
    const useGpu = settings.gpuLayers !== 0;
    let llama = await createLlama({ useGpu }, this.logger);
    const { threads, clamped: threadsClamped } = chooseThreads(settings.threads, llama.cpuMathCores);
    if (threadsClamped) this.logger.log('warn', threadsClamped);
    let model: LlamaModel;
    try {
      model = await llama.loadModel({ modelPath: settings.chatModel, gpuLayers: settings.gpuLayers });
    } catch (error) {
      if (llama.gpu === false) throw modelLoadError(settings.chatModel, error);
      this.logger.log('warn', `Loading the chat model on the GPU (${llama.gpu}) failed: ${describeError(error)}. Falling back to the CPU.`);
      await llama.dispose().catch(() => {});
      llama = await createLlama({ useGpu: false }, this.logger);
      model = await llama.loadModel({ modelPath: settings.chatModel, gpuLayers: 0 }).catch((cpuError: unknown) => {
        throw modelLoadError(settings.chatModel, cpuError);
      });
    }
    const context = await createContextWithin(model, settings.contextSize, threads, this.logger);
    const { LlamaChatSession } = await loadNodeLlamaCpp();
    const session = new LlamaChatSession({ contextSequence: context.getSequence() });
    const modelName = model.fileInfo.metadata?.general?.name?.trim();
    const device: DeviceInfo = { ...(await describeDevice(llama, threads, model.gpuLayers)), ...(modelName ? { modelName } : {}) };
    const where = device.gpu === false ? 'CPU' : `${device.gpu} GPU (${device.deviceNames.join(', ') || 'unknown device'})`;
    this.logger.log(
      'info',
      `Chat model ${settings.chatModel} loaded in ${Date.now() - started} ms on ${where}; ${model.gpuLayers} layers offloaded, ${threads} threads, context ${context.contextSize} tokens.`,
    );
    this.onDevice(device);
    this.loaded = { key, llama, model, context, session, device };
    return this.loaded;
  }
}

/**
 * Never more than the model was trained on (past it, answers degrade into noise), and no more
 * than free memory holds: given a range, node-llama-cpp picks the largest size that fits
 * rather than failing or swapping. Each clamp is logged with the setting's value.
 */
async function createContextWithin(model: LlamaModel, requested: number, threads: number, logger: Logger): Promise<LlamaContext> {
  if (!(requested > 0)) return model.createContext({ threads });
  const trained = model.trainContextSize;
  const max = Math.min(requested, trained);
  if (requested > trained) logger.log('warn', `localRag.contextSize ${requested} is more than the model's trained context of ${trained} tokens; using ${trained}.`);
  const context = await model.createContext({ contextSize: { min: Math.min(max, MIN_CONTEXT_TOKENS), max }, threads });
  if (context.contextSize < max) logger.log('warn', `localRag.contextSize ${max} does not fit in free memory; using ${context.contextSize} tokens.`);
  return context;
}

function toChatHistory(parts: PromptParts): ChatHistoryItem[] {
  return [
    { type: 'system', text: parts.systemPrompt },
    ...parts.history.map((message): ChatHistoryItem =>
      message.role === 'user' ? { type: 'user', text: message.text } : { type: 'model', response: [message.text] },
    ),
  ];
}

function measureOf(loaded: Loaded, maxTokens: number): PromptMeasure {
  const { session, model, context } = loaded;
  return {
    budget: context.contextSize - answerReserve(context.contextSize, maxTokens),
    count(parts) {
      // Rendered as the session will render it, the answer's opening included.
      const history = [...toChatHistory(parts), { type: 'user', text: parts.prompt }, { type: 'model', response: [] }] satisfies ChatHistoryItem[];
      return session.chatWrapper.generateContextState({ chatHistory: history }).contextText.tokenize(model.tokenizer).length;
    },
  };
}

function checkModelFile(modelPath: string): void {
  if (!modelPath) {
    throw new ModelUnavailableError(
      'No chat model is set. Set "localRag.chatModel" to the path of a GGUF model file (for example a Qwen2.5 Instruct Q4_K_M .gguf), then ask again.',
    );
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(modelPath);
  } catch {
    throw new ModelUnavailableError(
      `The chat model file "${modelPath}" does not exist. Set "localRag.chatModel" to the path of a GGUF model file.`,
    );
  }
  if (!stat.isFile()) {
    throw new ModelUnavailableError(`"${modelPath}" is not a file. Set "localRag.chatModel" to the path of a GGUF model file.`);
  }
}

function modelLoadError(modelPath: string, error: unknown): ModelUnavailableError {
  return new ModelUnavailableError(
    `The chat model "${modelPath}" could not be loaded (${describeError(error)}). Check that "localRag.chatModel" points to a valid GGUF file.`,
  );
}
