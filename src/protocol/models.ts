/** Contracts for the ONNX models (embedder, reranker) that are downloaded on the user's consent. */

/** Which model a setting chooses: `localRag.embeddingModel` or `localRag.rerankerModel`. */
export type ModelRole = 'embedding' | 'reranker';

/**
 * What a Hugging Face model id looks like (`Xenova/multilingual-e5-small`): an owner and a
 * name, nothing that could climb out of the models folder. Anything else is a folder path.
 */
export const HUB_MODEL_ID = /^[A-Za-z0-9][\w.-]*\/(?!\.\.?$)[\w.-]+$/;

/** A model the settings name that is not downloaded yet. */
export interface MissingModel {
  role: ModelRole;
  /** The Hugging Face id. */
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
}

export interface DownloadResult {
  /** False when the download was cancelled; the partial files are kept for a resume. */
  completed: boolean;
}
