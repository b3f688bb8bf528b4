/**
 * Embeddings from an OpenAI-compatible server (`/v1/embeddings`) instead of the ONNX
 * worker, with `localRag.server.embeddingModel`. Passages go in batches, a few requests at
 * a time (the server has its own queue; more in flight only waits there), each retried with
 * backoff when the server says it is busy (429, 503). The request token stops it between
 * and inside requests. The model id names the server and model, so a change of either
 * re-embeds the index instead of mixing two vector spaces.
 */
import { createHash } from 'node:crypto';
import type { RequestToken } from '../cancellation';
import { serverFetch, ServerHttpError, type ServerEndpoint } from '../llm/server/serverClient';
import type { EmbedBatchCallback } from './embedder';

const BATCH_SIZE = 32;
const IN_FLIGHT = 2;
const ATTEMPTS = 5;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 8_000;

export interface ServerEmbedderOptions {
  endpoint: ServerEndpoint;
  model: string;
  queryPrefix: string;
  passagePrefix: string;
  /** Waits between attempts; tests make them short. */
  firstBackoffMs?: number;
}

export class ServerEmbedder {
  readonly modelId: string;

  constructor(private readonly options: ServerEmbedderOptions) {
    // Passages embedded with another prefix are other vectors: the prefix is part of the identity.
    const prefix = createHash('sha256').update(options.passagePrefix).digest('hex').slice(0, 8);
    this.modelId = `server:${options.endpoint.apiBase}#${options.model}@${prefix}`;
  }

  /** One normalized vector per text, in the order given. */
  async embedPassages(texts: string[], token: RequestToken, onBatch?: EmbedBatchCallback): Promise<Float32Array[]> {
    const vectors = new Array<Float32Array>(texts.length);
    const starts = Array.from({ length: Math.ceil(texts.length / BATCH_SIZE) }, (_, i) => i * BATCH_SIZE);
    let done = 0;
    const work = async () => {
      for (let start = starts.shift(); start !== undefined; start = starts.shift()) {
        token.throwIfCancelled();
        const batch = texts.slice(start, start + BATCH_SIZE).map((text) => this.options.passagePrefix + text);
        const embedded = await this.embed(batch, token);
        embedded.forEach((vector, row) => (vectors[start + row] = vector));
        done += batch.length;
        onBatch?.(done, texts.length);
      }
    };
    await Promise.all(Array.from({ length: Math.min(IN_FLIGHT, starts.length) }, work));
    token.throwIfCancelled();
    return vectors;
  }

  async embedQuery(text: string, token?: RequestToken): Promise<Float32Array> {
    token?.throwIfCancelled();
    const [vector] = await this.embed([this.options.queryPrefix + text], token);
    return vector;
  }

  async dispose(): Promise<void> {}

  private async embed(input: string[], token: RequestToken | undefined): Promise<Float32Array[]> {
    const { endpoint, model } = this.options;
    const signal = token?.signal;
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await serverFetch(endpoint, `${endpoint.apiBase}/embeddings`, { body: { model, input, encoding_format: 'float' }, signal });
        const { data } = (await response.json()) as { data?: { index: number; embedding: number[] }[] };
        if (!Array.isArray(data) || data.length !== input.length) {
          throw new Error(`The model server at ${endpoint.apiBase} returned ${data?.length ?? 'no'} embeddings for ${input.length} texts.`);
        }
        return [...data].sort((a, b) => a.index - b.index).map((row) => normalized(row.embedding));
      } catch (error) {
        token?.throwIfCancelled();
        const busy = error instanceof ServerHttpError && (error.status === 429 || error.status === 503);
        if (!busy || attempt >= ATTEMPTS) throw error;
        await sleep(backoff(attempt, this.options.firstBackoffMs ?? FIRST_BACKOFF_MS, error.retryAfterMs), signal);
      }
    }
  }
}

/** Doubling waits with jitter, or what the server's Retry-After asks (within reason). */
function backoff(attempt: number, first: number, retryAfterMs: number | undefined): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, MAX_BACKOFF_MS);
  return Math.min(first * 2 ** (attempt - 1), MAX_BACKOFF_MS) * (0.5 + Math.random() / 2);
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Unit length, so that the store's dot product is the cosine similarity. */
function normalized(values: number[]): Float32Array {
  const vector = Float32Array.from(values);
  let sum = 0;
  for (const value of vector) sum += value * value;
  const norm = Math.sqrt(sum);
  if (norm > 0) for (let i = 0; i < vector.length; i++) vector[i] /= norm;
  return vector;
}
