/**
 * The models as the ONNX worker runs them, through transformers.js on onnxruntime-node: a
 * sentence embedder (`feature-extraction`, mean pooling over the attention mask, L2
 * normalised, so a dot product is the cosine) and a cross-encoder (query and passage read
 * as one pair; the relevance logit becomes a score in 0..1 — the sigmoid of a single
 * logit, or the probability of the last label for a two-label model).
 */
import type { FeatureExtractionPipeline, PreTrainedModel, PreTrainedTokenizer, Tensor } from '@huggingface/transformers' with { 'resolution-mode': 'import' };
import type { ModelDtype } from '../modelFolder';
import type { Embedded } from './protocol';
import { loadTransformers } from './transformers';

const PROBE_TEXT = 'ok';

export interface WorkerModel {
  dispose(): Promise<void>;
}

export class EmbeddingModel implements WorkerModel {
  private constructor(
    private readonly extractor: FeatureExtractionPipeline,
    readonly dimension: number,
  ) {}

  static async load(dir: string, config: Record<string, unknown>, dtype: ModelDtype, threads: number): Promise<EmbeddingModel> {
    const { pipeline } = await loadTransformers();
    const extractor = await pipeline('feature-extraction', dir, {
      // Passing config.json's content bypasses the library's per-path memo, so a model
      // replaced in the same folder is read afresh.
      config: config as never,
      local_files_only: true,
      device: 'cpu',
      dtype,
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    try {
      // One tiny call proves the model runs and tells the dimension.
      const probe = await extractor([PROBE_TEXT], { pooling: 'mean', normalize: true });
      if (probe.dims.length !== 2 || !(probe.dims[1] > 0)) throw new Error(`expected one vector per text, got output dims [${probe.dims.join(', ')}]`);
      return new EmbeddingModel(extractor, probe.dims[1]);
    } catch (error) {
      await extractor.dispose().catch(() => {});
      throw error;
    }
  }

  async embed(texts: string[]): Promise<Embedded> {
    const output = await this.extractor(texts, { pooling: 'mean', normalize: true });
    // fp16 exports may hand back half floats; vectors are always Float32Array, and a copy
    // of their own, so that the buffer can be transferred.
    const data = Float32Array.from(output.data as ArrayLike<number>);
    return { data, dimension: this.dimension };
  }

  async dispose(): Promise<void> {
    await this.extractor.dispose();
  }
}

export class CrossEncoder implements WorkerModel {
  private constructor(
    private readonly tokenizer: PreTrainedTokenizer,
    private readonly model: PreTrainedModel,
    private readonly maxLength: number | null,
  ) {}

  static async load(dir: string, config: Record<string, unknown>, dtype: ModelDtype, threads: number, maxLength: number | null): Promise<CrossEncoder> {
    const { AutoTokenizer, AutoModelForSequenceClassification } = await loadTransformers();
    const tokenizer = await AutoTokenizer.from_pretrained(dir, { config: config as never, local_files_only: true });
    const model = await AutoModelForSequenceClassification.from_pretrained(dir, {
      config: config as never,
      local_files_only: true,
      device: 'cpu',
      dtype,
      session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 },
    });
    const encoder = new CrossEncoder(tokenizer, model, maxLength);
    try {
      // One tiny pair proves the model runs and has a usable output.
      await encoder.score(PROBE_TEXT, [PROBE_TEXT]);
      return encoder;
    } catch (error) {
      await model.dispose().catch(() => {});
      throw error;
    }
  }

  async score(query: string, passages: string[]): Promise<number[]> {
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
      if (labels === 1) return 1 / (1 + Math.exp(-values[0]));
      // Softmax probability of the last label ("relevant").
      const top = Math.max(...values);
      const exps = values.map((v) => Math.exp(v - top));
      return exps[labels - 1] / exps.reduce((a, b) => a + b, 0);
    });
  }

  async dispose(): Promise<void> {
    await this.model.dispose();
  }
}
