/**
 * Cross-encoder reranking (ms-marco MiniLM, bge-reranker…) from a local Hugging Face ONNX
 * folder: the query and each passage are read together as one pair, and the model's
 * relevance logit becomes a score in 0..1 — the sigmoid of a single logit, or the
 * probability of the last label for a two-label model. Higher is more relevant.
 *
 * Pairs are scored in batches; the token is checked before every batch.
 */
import type { PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers' with { 'resolution-mode': 'import' };
import type { CancellationToken } from '../cancellation';
import { defaultThreads, loadFailure, loadTransformers, openModelFolder, type ModelDtype } from './modelFolder';

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

export class Reranker {
  private disposed = false;

  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    readonly modelId: string,
    readonly modelDir: string,
    private readonly batchSize: number,
    private readonly maxLength: number | null,
  ) {}

  /** Loads the cross-encoder in `modelDir`; a missing or broken folder fails with a `ModelLoadError` naming it. */
  static async load(modelDir: string, options: RerankerOptions = {}): Promise<Reranker> {
    const dtype = options.dtype ?? 'fp32';
    const folder = openModelFolder(modelDir, dtype, 'reranker model');
    const threads = Math.max(1, Math.floor(options.threads ?? defaultThreads()));
    const batchSize = Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE));
    const positions = folder.config.max_position_embeddings;
    const maxLength = options.maxLength ?? (typeof positions === 'number' && positions > 0 ? positions : null);
    const { AutoTokenizer, AutoModelForSequenceClassification } = await loadTransformers();
    let model: PreTrainedModel | undefined;
    try {
      const config = folder.config as never;
      const tokenizer = await AutoTokenizer.from_pretrained(folder.dir, { config, local_files_only: true });
      model = await AutoModelForSequenceClassification.from_pretrained(folder.dir, {
        config,
        local_files_only: true,
        device: 'cpu',
        dtype,
        session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
      });
      const reranker = new Reranker(tokenizer, model, folder.modelId, folder.dir, batchSize, maxLength);
      // One tiny pair proves the model runs and has a usable output.
      await reranker.scoreBatch('ok', ['ok']);
      return reranker;
    } catch (error) {
      await model?.dispose().catch(() => {});
      throw loadFailure(error, folder.dir, 'reranker model');
    }
  }

  /** One relevance score (0..1) per passage, in the order given. */
  async score(query: string, passages: string[], token: CancellationToken): Promise<number[]> {
    this.assertOpen();
    const scores: number[] = [];
    for (let start = 0; start < passages.length; start += this.batchSize) {
      token.throwIfCancelled();
      scores.push(...(await this.scoreBatch(query, passages.slice(start, start + this.batchSize))));
    }
    return scores;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.model.dispose();
  }

  private async scoreBatch(query: string, passages: string[]): Promise<number[]> {
    const inputs = this.tokenizer(
      passages.map(() => query),
      { text_pair: passages, padding: true, truncation: true, max_length: this.maxLength },
    );
    const { logits } = (await this.model(inputs)) as { logits?: Tensor };
    if (!logits || logits.dims.length !== 2 || logits.dims[0] !== passages.length) {
      throw new Error(`expected logits [${passages.length}, labels], got ${logits ? `[${logits.dims.join(', ')}]` : 'no logits'}`);
    }
    const labels = logits.dims[1];
    const data = Array.from(logits.data as ArrayLike<number>);
    return passages.map((_, row) => {
      const values = data.slice(row * labels, (row + 1) * labels);
      if (labels === 1) return sigmoid(values[0]);
      // Softmax probability of the last label ("relevant").
      const top = Math.max(...values);
      const exps = values.map((v) => Math.exp(v - top));
      return exps[labels - 1] / exps.reduce((a, b) => a + b, 0);
    });
  }

  private assertOpen(): void {
    if (this.disposed) throw new Error(`The reranker model "${this.modelDir}" was disposed.`);
  }
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}
