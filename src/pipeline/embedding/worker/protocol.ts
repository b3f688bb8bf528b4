/** Messages between the pipeline's main thread (onnxThread.ts) and the ONNX worker thread. */
import type { ModelDtype } from '../modelFolder';

export type OnnxRequest =
  | { id: number; type: 'loadEmbedder'; dir: string; config: Record<string, unknown>; dtype: ModelDtype; threads: number }
  | { id: number; type: 'loadReranker'; dir: string; config: Record<string, unknown>; dtype: ModelDtype; threads: number; maxLength: number | null }
  /** Mean-pooled, normalised vectors, `dimension` floats per text, concatenated. */
  | { id: number; type: 'embed'; model: number; texts: string[] }
  /** One relevance score (0..1) per passage. */
  | { id: number; type: 'score'; model: number; query: string; passages: string[] }
  | { id: number; type: 'dispose'; model: number };

export interface Loaded {
  model: number;
  /** Vector length (embedders). */
  dimension?: number;
}

export interface Embedded {
  data: Float32Array;
  dimension: number;
}

export type OnnxResponse = { id: number; ok: true; value: unknown } | { id: number; ok: false; message: string };
