/**
 * Cross-encoder reranking (ms-marco MiniLM, bge-reranker…) from a local Hugging Face ONNX
 * folder, computed in the ONNX worker thread (worker/onnxModels.ts): the query and each
 * passage are read together as one pair and scored 0..1, higher more relevant.
 *
 * Pairs are scored in batches; the token is checked before every batch, and a cancel
 * during a batch releases the caller at once.
 */
import type { RequestToken } from '../cancellation';
import { batchSizeOf, LoadedModel, type ModelInThread } from './loadedModel';
import { defaultThreads, loadFailure, openModelFolder, type ModelDtype } from './modelFolder';
import { OnnxThread } from './onnxThread';

export interface RerankerOptions {
  /** ONNX Runtime intra-op threads (default: half the cores, 1 to 4). */
  threads?: number;
  /** Pairs per model call (default 8). */
  batchSize?: number;
  /** Which weights to load (default `fp32`, `onnx/model.onnx`). */
  dtype?: ModelDtype;
  /** Longest pair in tokens; longer passages are cut at the end (default: the model's limit). */
  maxLength?: number;
}

const DEFAULT_BATCH_SIZE = 8;

export class Reranker extends LoadedModel {
  private constructor(model: ModelInThread) {
    super(model, 'reranker model');
  }

  /** Loads the cross-encoder in `modelDir`; a missing or broken folder fails with a `ModelLoadError` naming it. */
  static async load(modelDir: string, options: RerankerOptions = {}): Promise<Reranker> {
    const dtype = options.dtype ?? 'fp32';
    const folder = openModelFolder(modelDir, dtype, 'reranker model');
    const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    const positions = folder.config.max_position_embeddings;
    const maxLength = options.maxLength ?? (typeof positions === 'number' && positions > 0 ? positions : null);
    const { thread, loaded } = await OnnxThread.load({ type: 'loadReranker', dir: folder.dir, config: folder.config, dtype, threads, maxLength }).catch((error: unknown) => {
      throw loadFailure(error, folder.dir, 'reranker model');
    });
    return new Reranker({ thread, handle: loaded.model, modelId: folder.modelId, modelDir: folder.dir, batchSize: batchSizeOf(options.batchSize, DEFAULT_BATCH_SIZE) });
  }

  /** One relevance score (0..1) per passage, in the order given. */
  async score(query: string, passages: string[], token: RequestToken): Promise<number[]> {
    this.assertOpen();
    const scores: number[] = [];
    for (let start = 0; start < passages.length; start += this.batchSize) {
      token.throwIfCancelled();
      const batch = passages.slice(start, start + this.batchSize);
      scores.push(...(await this.thread.request<number[]>({ type: 'score', model: this.handle, query, passages: batch }, token)));
    }
    return scores;
  }
}
