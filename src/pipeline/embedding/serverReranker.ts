/**
 * Reranking by an OpenAI-compatible server's `/v1/rerank` (llama-server started with
 * `--reranking` on a reranker model, vLLM, Jina- and Cohere-style APIs) instead of the ONNX
 * cross-encoder, with `localRag.server.rerankerModel`. The candidates go in one request (a
 * few dozen short passages); the request token closes the connection on Stop.
 */
import type { RequestToken } from '../cancellation';
import { serverFetch, ServerError, ServerHttpError, type ServerEndpoint } from '../llm/server/serverClient';

export interface ServerRerankerOptions {
  endpoint: ServerEndpoint;
  model: string;
}

interface RerankAnswer {
  results?: { index?: unknown; relevance_score?: unknown }[];
}

export class ServerReranker {
  readonly modelId: string;

  constructor(private readonly options: ServerRerankerOptions) {
    // What the search status shows ("reranked by …"): nothing is stored under it.
    this.modelId = options.model;
  }

  /** One relevance probability (0..1) per passage, in the order given. */
  async score(query: string, passages: string[], token: RequestToken): Promise<number[]> {
    token.throwIfCancelled();
    if (passages.length === 0) return [];
    const { endpoint, model } = this.options;
    let answer: RerankAnswer;
    try {
      const response = await serverFetch(endpoint, `${endpoint.apiBase}/rerank`, {
        body: { model, query, documents: passages, top_n: passages.length },
        signal: token.signal,
      });
      answer = (await response.json()) as RerankAnswer;
    } catch (error) {
      token.throwIfCancelled();
      if (error instanceof ServerHttpError && error.status === 404) {
        throw new ServerError(
          `The model server at ${endpoint.apiBase} has no /rerank endpoint. llama-server serves it when started with --reranking on a reranker model; or clear "localRag.server.rerankerModel".`,
        );
      }
      throw error;
    }
    token.throwIfCancelled();
    return probabilities(scoresInOrder(answer, passages.length, endpoint.apiBase));
  }

  async dispose(): Promise<void> {}
}

/** The results come sorted by score, each naming its passage: put them back in passage order. */
function scoresInOrder(answer: RerankAnswer, count: number, apiBase: string): number[] {
  const scores = new Array<number>(count).fill(Number.NaN);
  for (const result of answer.results ?? []) {
    const { index, relevance_score: score } = result;
    if (typeof index === 'number' && Number.isInteger(index) && index >= 0 && index < count && typeof score === 'number' && Number.isFinite(score)) scores[index] = score;
  }
  const missing = scores.filter((score) => Number.isNaN(score)).length;
  if (missing > 0) throw new ServerError(`The model server at ${apiBase} returned no rerank score for ${missing} of ${count} passages.`);
  return scores;
}

/**
 * llama-server returns the classifier's raw logit; vLLM, Jina and Cohere return a
 * probability already. Retrieval compares scores with even odds (0.5), so logits are read
 * as probabilities through the sigmoid, as the ONNX cross-encoder's are. A list with any
 * score outside 0..1 is logits; one wholly inside is taken as probabilities (logits that
 * all fall there keep their order either way).
 */
function probabilities(scores: number[]): number[] {
  if (scores.every((score) => score >= 0 && score <= 1)) return scores;
  return scores.map((score) => 1 / (1 + Math.exp(-score)));
}
