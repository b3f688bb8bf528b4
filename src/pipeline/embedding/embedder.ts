/**
 * Dense sentence embeddings from a local Hugging Face ONNX folder (e5, bge, MiniLM…),
 * computed in the ONNX worker thread (worker/onnxModels.ts): normalised vectors, so a dot
 * product is the cosine similarity. Fully offline.
 *
 * Passages are embedded in batches. The token is checked before every batch, and a cancel
 * during a batch releases the caller at once (the worker finishes that batch unobserved):
 * Stop never waits for the model.
 */
import { createHash } from 'node:crypto';
import type { RequestToken } from '../cancellation';
import { batchSizeOf, LoadedModel, type ModelInThread } from './loadedModel';
import { defaultThreads, loadFailure, openModelFolder, type ModelDtype } from './modelFolder';
import { OnnxThread } from './onnxThread';
import type { Embedded } from './worker/protocol';

export interface EmbedderOptions {
  /** ONNX Runtime intra-op threads (default: half the cores, 1 to 4). */
  threads?: number;
  /** Put before every query (default e5's `"query: "`; `""` for models without prefixes). */
  queryPrefix?: string;
  /** Put before every passage (default e5's `"passage: "`). */
  passagePrefix?: string;
  /** Passages per model call (default 16). */
  batchSize?: number;
  /** Which weights to load: `fp32` is `onnx/model.onnx` (default), `q8` `onnx/model_quantized.onnx`… */
  dtype?: ModelDtype;
}

/** Called after each batch with the number of passages embedded so far. */
export type EmbedBatchCallback = (done: number, total: number) => void;

const DEFAULT_BATCH_SIZE = 16;

export class Embedder extends LoadedModel {
  private constructor(
    /** Its modelId is the folder name plus a hash of its config, file sizes and passage prefix: it changes when the vectors would. */
    model: ModelInThread,
    /** Length of every vector. */
    readonly dimension: number,
    private readonly queryPrefix: string,
    private readonly passagePrefix: string,
  ) {
    super(model, 'embedding model');
  }

  /** Loads the model in `modelDir`; a missing or broken folder fails with a `ModelLoadError` naming it. */
  static async load(modelDir: string, options: EmbedderOptions = {}): Promise<Embedder> {
    const dtype = options.dtype ?? 'fp32';
    const folder = openModelFolder(modelDir, dtype, 'embedding model');
    const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    const { thread, loaded } = await OnnxThread.load({ type: 'loadEmbedder', dir: folder.dir, config: folder.config, dtype, threads }).catch((error: unknown) => {
      throw loadFailure(error, folder.dir, 'embedding model');
    });
    const passagePrefix = options.passagePrefix ?? 'passage: ';
    return new Embedder(
      {
        thread,
        handle: loaded.model,
        modelId: withPassagePrefix(folder.modelId, passagePrefix),
        modelDir: folder.dir,
        batchSize: batchSizeOf(options.batchSize, DEFAULT_BATCH_SIZE),
      },
      loaded.dimension!,
      options.queryPrefix ?? 'query: ',
      passagePrefix,
    );
  }

  /**
   * One normalized vector per text, in the order given. Texts of similar length are
   * batched together (less padding); the token is checked before each batch.
   */
  async embedPassages(texts: string[], token: RequestToken, onBatch?: EmbedBatchCallback): Promise<Float32Array[]> {
    this.assertOpen();
    const order = texts.map((_, index) => index).sort((a, b) => texts[a].length - texts[b].length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      token.throwIfCancelled();
      const indexes = order.slice(start, start + this.batchSize);
      const batch = await this.embed(
        indexes.map((index) => this.passagePrefix + texts[index]),
        token,
      );
      indexes.forEach((index, row) => (vectors[index] = batch[row]));
      onBatch?.(Math.min(start + this.batchSize, order.length), order.length);
    }
    return vectors;
  }

  async embedQuery(text: string, token?: RequestToken): Promise<Float32Array> {
    this.assertOpen();
    token?.throwIfCancelled();
    const [vector] = await this.embed([this.queryPrefix + text], token);
    return vector;
  }

  private async embed(texts: string[], token: RequestToken | undefined): Promise<Float32Array[]> {
    const { data, dimension } = await this.thread.request<Embedded>({ type: 'embed', model: this.handle, texts }, token);
    return texts.map((_, row) => data.subarray(row * dimension, (row + 1) * dimension));
  }
}

/** Passages embedded with another prefix are other vectors: the prefix is part of the identity. */
function withPassagePrefix(modelId: string, passagePrefix: string): string {
  const at = modelId.lastIndexOf('@');
  const hash = createHash('sha256').update(`${modelId.slice(at + 1)}\0${passagePrefix}`).digest('hex').slice(0, 16);
  return `${modelId.slice(0, at)}@${hash}`;
}

/** Dot product; for the embedder's normalized vectors, their cosine similarity. */
export function dot(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += a[i] * b[i];
  return sum;
}
