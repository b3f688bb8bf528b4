/** Contracts for the models (ONNX embedder and reranker, GGUF chat model) that are downloaded on the user's consent. */

/** Which model a setting chooses: `localRag.embeddingModel`, `localRag.rerankerModel` or `localRag.chatModel`. */
export type ModelRole = 'embedding' | 'reranker' | 'chat';

/**
 * What a Hugging Face model id looks like (`Xenova/multilingual-e5-small`): an owner and a
 * name, nothing that could climb out of the models folder. Anything else is a folder path.
 */
export const HUB_MODEL_ID = /^[A-Za-z0-9][\w.-]*\/(?!\.\.?$)[\w.-]+$/;

/**
 * A chat model file on the hub: `hf:<owner>/<repo>/<file>.gguf` (node-llama-cpp's URI form),
 * one file at the top of the repository's main branch, so it maps onto one local path.
 */
export const HF_GGUF_URI = /^hf:([A-Za-z0-9][\w.-]*\/(?!\.\.?\/)[\w.-]+)\/((?!\.)[\w.-]+\.gguf)$/i;

/**
 * Offered when `localRag.chatModel` is empty. Qwen2.5 1.5B Instruct: trained on 29+
 * languages including Vietnamese, Apache-2.0 (the 3B is not), 32k context; Q4_K_M is
 * ~1.1 GB, answers at reading speed on a laptop CPU and fits a 2 GB GPU.
 */
export const DEFAULT_CHAT_MODEL = 'hf:Qwen/Qwen2.5-1.5B-Instruct-GGUF/qwen2.5-1.5b-instruct-q4_k_m.gguf';

/** A model the settings name that is not downloaded yet. */
export interface MissingModel {
  role: ModelRole;
  /** The Hugging Face id (ONNX models) or `hf:` file URI (chat model). */
  id: string;
}

/** Sent after every change of model settings: what search waits for. Empty when nothing is missing. */
export interface ModelsState {
  missing: MissingModel[];
}

export interface DownloadSize {
  /** Bytes still to fetch (what a resumed download already has is not counted). */
  remainingBytes: number;
  totalBytes: number;
  /** Where the files come from, for the consent prompt (`huggingface.co`). */
  host: string;
}

export interface DownloadProgress {
  id: string;
  transferredBytes: number;
  totalBytes: number;
  /** 0..100 */
  percentage: number;
  /** Bytes per second, averaged over the last seconds. */
  speed: number;
  /** Another window (process) is downloading this model; this one waits for it, then goes on. */
  waitingForOtherWindow?: boolean;
}

export interface DownloadResult {
  /** False when the download was cancelled; the partial files are kept for a resume. */
  completed: boolean;
}

/** A chat model file downloaded into the models folder. */
export interface DownloadedChatModel {
  /** `hf:<owner>/<repo>/<file>.gguf`, what `localRag.chatModel` takes. */
  uri: string;
  path: string;
  bytes: number;
}
