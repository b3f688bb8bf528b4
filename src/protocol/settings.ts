/** The settings the pipeline process needs, resolved by the host from `localRag.*`. */
export interface PipelineSettings {
  /** Absolute path of the chat model (GGUF); empty when the user has not chosen one. */
  chatModel: string;
  /** 'auto' offloads what fits to a detected GPU; 0 forces the CPU; n offloads n layers. */
  gpuLayers: 'auto' | number;
  /** Generation threads; 0 picks from the real core count. */
  threads: number;
  /** Context window of the chat model in tokens; 0 lets the model decide. */
  contextSize: number;
  /** Most tokens one answer may produce. */
  maxAnswerTokens: number;
  /** Folder of an ONNX embedding model (transformers.js layout); empty: keyword search only. */
  embeddingModel: string;
}

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  chatModel: '',
  gpuLayers: 'auto',
  threads: 0,
  contextSize: 4096,
  maxAnswerTokens: 1024,
  embeddingModel: '',
};
