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
  /**
   * The ONNX embedding model: an absolute folder (transformers.js layout) or a Hugging Face
   * id (`Xenova/multilingual-e5-small`) downloaded into the models folder; empty: keyword
   * search only. The extension's own default (package.json) is the multilingual e5 id.
   */
  embeddingModel: string;
  /** Put before every query (e5: `"query: "`). */
  embeddingQueryPrefix: string;
  /** Put before every passage (e5: `"passage: "`); part of the vectors' identity. */
  embeddingPassagePrefix: string;
  /** A cross-encoder that reranks the fused candidates: folder or Hugging Face id; empty: off. */
  rerankerModel: string;
  /** Target size of a chunk in characters. */
  chunkSize: number;
  /** Characters a chunk repeats from the end of the one before it. */
  chunkOverlap: number;
  /**
   * Where answers come from: `embedded` runs `chatModel` in the pipeline; `openaiCompatible`
   * streams them from the model server at `serverBaseUrl` (llama-server, Ollama, LM Studio, vLLM).
   */
  chatProvider: ChatProvider;
  /** The server's OpenAI-compatible root, e.g. `http://127.0.0.1:8080/v1`; `/v1` is added when missing. */
  serverBaseUrl: string;
  /** The server's name for the chat model; empty: the first model the server lists. */
  serverChatModel: string;
  /** The server's name for an embedding model (`/v1/embeddings`); empty: embed in the pipeline. */
  serverEmbeddingModel: string;
  /** The server's name for a reranking model (`/v1/rerank`); empty: rerank in the pipeline, if at all. */
  serverRerankerModel: string;
  /** How long the server may stay silent before the first byte of an answer, in milliseconds. */
  serverFirstByteTimeoutMs: number;
  /**
   * The server's API key, from VS Code's SecretStorage (never from settings). Never logged and
   * never part of a message: only the Authorization header carries it.
   */
  serverApiKey?: string;
  /** VS Code's display language (`vscode.env.language`): the pipeline's own words follow it (`vi…`: Vietnamese, else English). */
  language?: string;
}

export type ChatProvider = 'embedded' | 'openaiCompatible';

export const DEFAULT_PIPELINE_SETTINGS: PipelineSettings = {
  chatModel: '',
  gpuLayers: 'auto',
  threads: 0,
  contextSize: 4096,
  maxAnswerTokens: 1024,
  embeddingModel: '',
  embeddingQueryPrefix: 'query: ',
  embeddingPassagePrefix: 'passage: ',
  rerankerModel: '',
  chunkSize: 1200,
  chunkOverlap: 200,
  chatProvider: 'embedded',
  serverBaseUrl: '',
  serverChatModel: '',
  serverEmbeddingModel: '',
  serverRerankerModel: '',
  serverFirstByteTimeoutMs: 60_000,
};

/**
 * Whether answers come from a model rather than quoted passages. A server provider always
 * counts: without a URL the answer fails saying which setting to fill in, which tells the
 * user more than a quoted passage would.
 */
export function hasChatModel(settings: Pick<PipelineSettings, 'chatProvider' | 'chatModel'>): boolean {
  return settings.chatProvider === 'openaiCompatible' || settings.chatModel !== '';
}

/** Chunk options the indexer can use: sizes within sane bounds, the overlap below the size. */
export function chunkOptionsOf(settings: Pick<PipelineSettings, 'chunkSize' | 'chunkOverlap'>): { chunkSize: number; overlap: number } {
  const chunkSize = Math.min(20_000, Math.max(200, Math.floor(settings.chunkSize) || DEFAULT_PIPELINE_SETTINGS.chunkSize));
  const overlap = Math.min(Math.floor(chunkSize / 2), Math.max(0, Math.floor(settings.chunkOverlap) || 0));
  return { chunkSize, overlap };
}
