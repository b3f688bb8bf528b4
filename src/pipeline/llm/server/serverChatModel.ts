/**
 * Answers from an OpenAI-compatible model server instead of a model in this process. It
 * takes the same requests as the embedded ChatModel (which hands them over when
 * `localRag.chatProvider` is `openaiCompatible`), so phases, streaming, citations and Stop
 * reach the view exactly as before. Requests are not serialized here: the server has its
 * own slots, and a stopped request closes its connection, which frees its slot.
 */
import type { PipelineSettings } from '../../../protocol/settings';
import type { Logger } from '../../log';
import type { GenerateRequest, PromptMeasure, PromptParts } from '../chatModel';
import { ModelUnavailableError } from '../modelErrors';
import { streamChat, type ChatCompletionMessage } from './chatStream';
import { apiBaseOf, getJson, listModels, rootOf, serverFetch, ServerHttpError, withTimeout, type ServerEndpoint } from './serverClient';

/** How long a model list or context size stays trusted before it is asked again. */
const CACHE_MS = 30_000;
/** Tokens a chat template adds around each message (role markers, separators): generous. */
const TEMPLATE_TOKENS_PER_MESSAGE = 8;
/** Head-room over the measured tokens-per-byte of the unfitted prompt: trimmed text may tokenize denser. */
const ESTIMATE_MARGIN = 1.15;

interface Cached<T> {
  value: T;
  at: number;
}

export class ServerChatModel {
  private readonly modelLists = new Map<string, Cached<string[] | undefined>>();
  private readonly contextSizes = new Map<string, Cached<number | undefined>>();

  constructor(private readonly logger: Logger) {}

  /** Streams one answer; resolves with the text produced, partial when stopped. */
  async generate(settings: PipelineSettings, request: GenerateRequest): Promise<string> {
    const { token } = request;
    token.throwIfCancelled();
    const endpoint = endpointOf(settings);
    const signal = token.signal;
    let text = '';
    try {
      const timeoutMs = settings.serverFirstByteTimeoutMs;
      const model = await withTimeout(endpoint, signal, timeoutMs, (s) => this.chooseModel(endpoint, settings.serverChatModel, s));
      const served = await withTimeout(endpoint, signal, timeoutMs, (s) => this.servedContext(endpoint, s));
      const contextSize = served ?? fallbackContext(settings);
      const maxTokens = Math.min(request.maxTokens, contextSize);
      const measured = request.fit && (await withTimeout(endpoint, signal, timeoutMs, (s) => measure(endpoint, request, contextSize, maxTokens, s)));
      const parts: PromptParts = request.fit && measured ? request.fit(measured) : request;
      await streamChat({
        endpoint,
        model,
        messages: toMessages(parts),
        maxTokens,
        signal,
        firstByteTimeoutMs: timeoutMs,
        // Only llama-server answers /props with its context size.
        promptProgress: served !== undefined,
        onText: (chunk) => {
          if (token.isCancelled) return;
          text += chunk;
          request.onText(chunk);
        },
      });
    } catch (error) {
      token.throwIfCancelled();
      if (error instanceof ServerHttpError && error.status === 404) {
        this.modelLists.delete(endpoint.apiBase);
        await withTimeout(endpoint, signal, settings.serverFirstByteTimeoutMs, (s) => this.chooseModel(endpoint, settings.serverChatModel, s));
      }
      throw error;
    }
    token.throwIfCancelled();
    return text;
  }

  /** The context window a prompt must fit in (a `/props` question to llama-server, else the setting). */
  async contextTokens(settings: PipelineSettings, token: GenerateRequest['token']): Promise<number> {
    const endpoint = endpointOf(settings);
    return withTimeout(endpoint, token.signal, settings.serverFirstByteTimeoutMs, (signal) => this.contextSize(endpoint, settings, signal));
  }

  /** The model to ask for: the setting, checked against what the server lists; else the first it lists. */
  private async chooseModel(endpoint: ServerEndpoint, wanted: string, signal: AbortSignal): Promise<string> {
    const ids = await this.cached(this.modelLists, endpoint.apiBase, () => listModels(endpoint, signal));
    const name = wanted.trim();
    if (!name) {
      if (ids?.[0]) {
        this.logger.log('info', `"localRag.server.chatModel" is empty; using ${ids[0]}, the first model the server lists.`);
        return ids[0];
      }
      throw new ModelUnavailableError(`Set "localRag.server.chatModel" to the name of a chat model on the server at ${endpoint.apiBase}.`);
    }
    if (!ids || ids.length === 0 || ids.some((id) => sameModel(id, name))) return name;
    this.modelLists.delete(endpoint.apiBase);
    throw new ModelUnavailableError(
      `The model server at ${endpoint.apiBase} has no model "${name}". It lists: ${ids.slice(0, 20).join(', ')}${ids.length > 20 ? ', …' : ''}. Set "localRag.server.chatModel" to one of them.`,
    );
  }

  private async contextSize(endpoint: ServerEndpoint, settings: PipelineSettings, signal: AbortSignal): Promise<number> {
    return (await this.servedContext(endpoint, signal)) ?? fallbackContext(settings);
  }

  /** llama-server's per-slot context; undefined from other servers. */
  private async servedContext(endpoint: ServerEndpoint, signal: AbortSignal): Promise<number | undefined> {
    return this.cached(this.contextSizes, endpoint.apiBase, () => servedContextSize(endpoint, signal));
  }

  private async cached<T>(cache: Map<string, Cached<T>>, key: string, load: () => Promise<T>): Promise<T> {
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = await load();
    cache.set(key, { value, at: Date.now() });
    return value;
  }
}

export function endpointOf(settings: PipelineSettings): ServerEndpoint {
  return { apiBase: apiBaseOf(settings.serverBaseUrl), ...(settings.serverApiKey ? { apiKey: settings.serverApiKey } : {}) };
}

/** Servers that do not say their context get the setting's (they may hold less: then they say so in an error). */
function fallbackContext(settings: PipelineSettings): number {
  return settings.contextSize > 0 ? settings.contextSize : 4096;
}

/** Ollama lists `llama3.2:latest` for `llama3.2`; llama-server lists the model's file path. */
function sameModel(id: string, wanted: string): boolean {
  return id === wanted || id === `${wanted}:latest` || id.split(/[\\/]/).pop() === wanted;
}

/** llama-server's per-slot context (`/props`); undefined from servers that do not say. */
async function servedContextSize(endpoint: ServerEndpoint, signal: AbortSignal): Promise<number | undefined> {
  try {
    const props = await getJson<{ default_generation_settings?: { n_ctx?: number } }>(endpoint, `${rootOf(endpoint.apiBase)}/props`, signal);
    const size = props.default_generation_settings?.n_ctx;
    return typeof size === 'number' && size > 0 ? size : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

/**
 * The prompt's size as the server will count it, for packPrompt (which measures
 * synchronously, many times). llama-server's `/tokenize` counts the unfitted prompt exactly
 * once; trimmed versions are then estimated at that tokens-per-byte plus a margin. Servers
 * without `/tokenize` get the conservative estimate of one token per UTF-8 byte: with byte
 * fallback no tokenizer makes more, so the prompt always fits, at the cost of sending less.
 */
async function measure(endpoint: ServerEndpoint, request: GenerateRequest, contextSize: number, maxTokens: number, signal: AbortSignal): Promise<PromptMeasure> {
  const full = toMessages(request);
  const bytes = contentBytes(full);
  // The same room for the answer the embedded model keeps: what it may use, at most a quarter.
  const reserve = Math.max(1, Math.min(maxTokens, Math.floor(contextSize / 4)));
  const budget = contextSize - reserve;
  // At one token a byte it fits already: no need to ask (a round trip before every answer).
  const fitsAnyway = bytes + TEMPLATE_TOKENS_PER_MESSAGE * (full.length + 1) <= budget;
  const exact = fitsAnyway ? undefined : await tokenCount(endpoint, full.map((message) => message.content).join('\n'), signal);
  const tokensPerByte = exact === undefined || bytes === 0 ? 1 : Math.min(1, (exact / bytes) * ESTIMATE_MARGIN);
  return {
    budget,
    count(parts) {
      const messages = toMessages(parts);
      return Math.ceil(contentBytes(messages) * tokensPerByte) + TEMPLATE_TOKENS_PER_MESSAGE * (messages.length + 1);
    },
  };
}

async function tokenCount(endpoint: ServerEndpoint, content: string, signal: AbortSignal): Promise<number | undefined> {
  try {
    const response = await serverFetch(endpoint, `${rootOf(endpoint.apiBase)}/tokenize`, { body: { content, add_special: false }, signal });
    const { tokens } = (await response.json()) as { tokens?: unknown[] };
    return Array.isArray(tokens) ? tokens.length : undefined;
  } catch (error) {
    if (signal.aborted) throw error;
    return undefined;
  }
}

function contentBytes(messages: ChatCompletionMessage[]): number {
  return messages.reduce((sum, message) => sum + Buffer.byteLength(message.content, 'utf8'), 0);
}

function toMessages(parts: PromptParts): ChatCompletionMessage[] {
  return [
    { role: 'system', content: parts.systemPrompt },
    ...parts.history.map((message): ChatCompletionMessage => ({ role: message.role, content: message.text })),
    { role: 'user', content: parts.prompt },
  ];
}
