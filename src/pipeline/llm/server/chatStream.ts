/**
 * One streamed `/v1/chat/completions` request, read as server-sent events.
 *
 * Why eventsource-parser on fetch rather than the official `openai` package: we need
 * control the SDK hides — a time-out to the first byte (the SDK only has a whole-request
 * timeout), no retries of our own making (the SDK retries twice by default, which would
 * resend a prompt the user stopped), a stream that ends without `[DONE]` reported as cut
 * rather than as a short answer, and llama-server's own endpoints beside `/v1`
 * (`/tokenize`, `/props`). eventsource-parser is a small, dependency-free, maintained
 * parser of the SSE wire format (the one the Vercel AI SDK uses); everything else is fetch.
 *
 * Aborting `signal` closes the HTTP connection, which is how a server learns to stop:
 * llama-server cancels the task and frees its slot when the connection closes. While it
 * reads a long prompt it sends nothing, though, and so never noticed the closed connection
 * (measured here: 2 s after Stop the slot was still reading a 3,400-token prompt to the
 * end; ggml-org/llama.cpp#11720, #15232). `return_progress` makes it send a progress event
 * after each prompt batch: the write to the closed connection fails and the task is
 * cancelled mid-prompt. Only sent to llama-server: a strict server may refuse the field.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { ServerError, redact, serverFetch, silentServer, type ServerEndpoint } from './serverClient';

export interface ChatCompletionMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatStreamRequest {
  endpoint: ServerEndpoint;
  model: string;
  messages: ChatCompletionMessage[];
  maxTokens: number;
  /** Stops the request (Stop, a newer question): the connection is closed. */
  signal: AbortSignal;
  /** How long the server may send nothing, before its first byte or between two, before the request fails. */
  firstByteTimeoutMs: number;
  /** The server is llama-server: ask for prompt progress events (see above). */
  promptProgress?: boolean;
  onText(text: string): void;
}

/** The server ended the stream before the answer was complete; the text so far stays. */
export class StreamCutError extends ServerError {
  constructor(message: string) {
    super(message);
    this.name = 'StreamCutError';
  }
}

/**
 * A server that ignores `max_tokens` would stream until Stop, and the answer would grow in
 * memory and in the history: past this many characters a token the answer ends as if the
 * server had stopped at the limit (the connection closes, so it stops generating).
 */
const MAX_CHARS_PER_TOKEN = 32;
/** The same for the raw stream (an event never ended by a blank line is buffered whole). */
const MAX_BYTES_PER_TOKEN = 256;
const MAX_STREAM_SLACK_BYTES = 4 << 20;

interface ChunkPayload {
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
  error?: { message?: string } | string;
}

/** Streams the answer into `onText`; resolves when the server says it is finished. */
export async function streamChat(request: ChatStreamRequest): Promise<void> {
  const { endpoint } = request;
  const timeout = new AbortController();
  let timer = setTimeout(() => timeout.abort(), request.firstByteTimeoutMs);
  const maxChars = request.maxTokens * MAX_CHARS_PER_TOKEN;
  const maxBytes = request.maxTokens * MAX_BYTES_PER_TOKEN + MAX_STREAM_SLACK_BYTES;
  let chars = 0;
  let bytes = 0;
  const signal = AbortSignal.any([request.signal, timeout.signal]);
  const timedOut = () => silentServer(endpoint, request.firstByteTimeoutMs);
  let finished = false;
  try {
    let response: Response;
    try {
      response = await serverFetch(endpoint, `${endpoint.apiBase}/chat/completions`, {
        body: { model: request.model, messages: request.messages, max_tokens: request.maxTokens, stream: true, ...(request.promptProgress ? { return_progress: true } : {}) },
        signal,
      });
    } catch (error) {
      if (timeout.signal.aborted && !request.signal.aborted) throw timedOut();
      throw error;
    }
    if (!response.body) throw new ServerError(`The model server at ${endpoint.apiBase} answered without a body.`);
    let failure: Error | undefined;
    const parser = createParser({
      onEvent(event: EventSourceMessage) {
        if (finished || failure) return;
        if (event.data === '[DONE]') {
          finished = true;
          return;
        }
        let payload: ChunkPayload;
        try {
          payload = JSON.parse(event.data) as ChunkPayload;
        } catch {
          failure = new ServerError(`The model server at ${endpoint.apiBase} sent a stream event that is not JSON.`);
          return;
        }
        if (payload.error) {
          const message = typeof payload.error === 'string' ? payload.error : (payload.error.message ?? 'unknown error');
          failure = new ServerError(`The model server at ${endpoint.apiBase} failed mid-answer: ${redact(message, endpoint.apiKey)}`);
          return;
        }
        const choice = payload.choices?.[0];
        let text = choice?.delta?.content;
        if (text && chars + text.length >= maxChars) {
          text = text.slice(0, maxChars - chars);
          finished = true;
        }
        if (text) {
          chars += text.length;
          request.onText(text);
        }
        if (choice?.finish_reason) finished = true;
      },
    });
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        clearTimeout(timer);
        if (done) break;
        // A server that goes quiet mid-answer fails like one that never starts, the text so far kept.
        timer = setTimeout(() => timeout.abort(), request.firstByteTimeoutMs);
        bytes += value.byteLength;
        if (bytes > maxBytes) throw new StreamCutError(`The model server at ${endpoint.apiBase} sent more than ${Math.round(maxBytes / (1 << 20))} MB for an answer of at most ${request.maxTokens} tokens; the answer was stopped there.`);
        parser.feed(decoder.decode(value, { stream: true }));
        if (failure) throw failure;
        // Some servers keep the connection open after [DONE]; the answer is complete.
        if (finished) break;
      }
    } catch (error) {
      if (request.signal.aborted || failure || error instanceof StreamCutError) throw error;
      if (timeout.signal.aborted && bytes === 0) throw timedOut();
      if (timeout.signal.aborted) {
        const seconds = Math.max(1, Math.round(request.firstByteTimeoutMs / 1000));
        throw new StreamCutError(`The model server at ${endpoint.apiBase} sent nothing more for ${seconds} s mid-answer ("localRag.server.firstByteTimeout" sets how long to wait).`);
      }
      throw new StreamCutError(`The model server at ${endpoint.apiBase} closed the connection mid-answer (${describe(error)}).`);
    } finally {
      // Closes the connection when we stop reading early, so the server stops generating.
      reader.cancel().catch(() => {});
    }
    if (!finished) throw new StreamCutError(`The model server at ${endpoint.apiBase} ended the answer stream before the answer was complete.`);
  } finally {
    clearTimeout(timer);
  }
}

function describe(error: unknown): string {
  const cause = (error as { cause?: { code?: string } }).cause;
  return cause?.code ?? (error instanceof Error ? error.message : String(error));
}
