/**
 * Dense sentence embeddings from a local Hugging Face ONNX folder (e5, bge, MiniLM…) through
 * transformers.js `feature-extraction` on onnxruntime-node: mean pooling over the attention
 * mask, L2-normalized, so a dot product is the cosine similarity. Fully offline.
 *
 * Passages are embedded in batches; the token is checked before every batch, so a cancel
 * stops the work at the next batch boundary (a batch already running finishes first).
 */
import type { FeatureExtractionPipeline } from '@huggingface/transformers' with { 'resolution-mode': 'import' };
import { createHash } from 'node:crypto';
import type { CancellationToken } from '../cancellation';
import { defaultThreads, loadFailure, loadTransformers, openModelFolder, type ModelDtype } from './modelFolder';

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
const PROBE_TEXT = 'ok';

export class Embedder {
  private disposed = false;

  private constructor(
    private readonly extractor: FeatureExtractionPipeline,
    /** Folder name plus a hash of its config, file sizes and passage prefix: changes when the vectors would. */
    readonly modelId: string,
    readonly modelDir: string,
    /** Length of every vector. */
    readonly dimension: number,
    private readonly queryPrefix: string,
    private readonly passagePrefix: string,
    private readonly batchSize: number,
  ) {}

  /** Loads the model in `modelDir`; a missing or broken folder fails with a `ModelLoadError` naming it. */
  static async load(modelDir: string, options: EmbedderOptions = {}): Promise<Embedder> {
    const dtype = options.dtype ?? 'fp32';
    const folder = openModelFolder(modelDir, dtype, 'embedding model');
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
    const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    const { pipeline } = await loadTransformers();
    let extractor: FeatureExtractionPipeline | undefined;
    try {
      extractor = await pipeline('feature-extraction', folder.dir, {
        // Passing config.json's content bypasses the library's per-path memo, so a model
        // replaced in the same folder is read afresh.
        config: folder.config as never,
        local_files_only: true,
        device: 'cpu',
        dtype,
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
      });
      // One tiny call proves the model runs and tells the dimension.
      const probe = await extractor([PROBE_TEXT], { pooling: 'mean', normalize: true });
      if (probe.dims.length !== 2 || !(probe.dims[1] > 0)) {
        throw new Error(`expected one vector per text, got output dims [${probe.dims.join(', ')}]`);
      }
      const passagePrefix = options.passagePrefix ?? 'passage: ';
      return new Embedder(
        extractor,
        withPassagePrefix(folder.modelId, passagePrefix),
        folder.dir,
        probe.dims[1],
        options.queryPrefix ?? 'query: ',
        passagePrefix,
        batchSize,
      );
    } catch (error) {
      await extractor?.dispose().catch(() => {});
      throw loadFailure(error, folder.dir, 'embedding model');
    }
  }

  /**
   * One normalized vector per text, in the order given. Texts of similar length are
   * batched together (less padding); the token is checked before each batch.
   */
  async embedPassages(texts: string[], token: CancellationToken, onBatch?: EmbedBatchCallback): Promise<Float32Array[]> {
    this.assertOpen();
    const order = texts.map((_, index) => index).sort((a, b) => texts[a].length - texts[b].length);
    const vectors = new Array<Float32Array>(texts.length);
    for (let start = 0; start < order.length; start += this.batchSize) {
      token.throwIfCancelled();
      const indexes = order.slice(start, start + this.batchSize);
      const batch = await this.embed(indexes.map((index) => this.passagePrefix + texts[index]));
      indexes.forEach((index, row) => (vectors[index] = batch[row]));
      onBatch?.(Math.min(start + this.batchSize, order.length), order.length);
    }
    return vectors;
  }

  async embedQuery(text: string, token?: CancellationToken): Promise<Float32Array> {
    this.assertOpen();
    token?.throwIfCancelled();
    const [vector] = await this.embed([this.queryPrefix + text]);
    return vector;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.extractor.dispose();
  }

  private async embed(texts: string[]): Promise<Float32Array[]> {
    const output = await this.extractor(texts, { pooling: 'mean', normalize: true });
    // fp16 exports may hand back half floats; vectors are always Float32Array.
    const data = output.data instanceof Float32Array ? output.data : Float32Array.from(output.data as ArrayLike<number>);
    const dimension = this.dimension;
    return texts.map((_, row) => data.slice(row * dimension, (row + 1) * dimension));
  }

  private assertOpen(): void {
    if (this.disposed) throw new Error(`The embedding model "${this.modelDir}" was disposed.`);
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
