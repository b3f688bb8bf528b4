/** Indexing contracts shared by the host, the pipeline and the CLI. */

export interface FileRef {
  /** Where to read it. */
  absPath: string;
  /** How to show and cite it (workspace-relative where possible). */
  displayPath: string;
}

export type FailureReason =
  | 'encrypted'
  | 'noText'
  | 'corrupt'
  | 'tooLarge'
  | 'binary'
  | 'unreadable'
  | 'timeout'
  /** A FIFO, socket, device, folder, or a link to one: only regular files are read. */
  | 'notAFile'
  /** Its real path (links resolved) lies outside its workspace folder. */
  | 'outsideWorkspace'
  /** Past the cap on files per run (localRag.maxFiles, --max-files). */
  | 'tooMany';

export interface IndexFailure {
  path: string;
  reason: FailureReason;
  message: string;
}

export interface IndexProgress {
  done: number;
  total: number;
  current?: string;
  /** Another Local RAG process (a window, the CLI) is saving the same index; this run waits for it. */
  waitingForStore?: boolean;
}

export interface IndexReport {
  indexed: number;
  unchanged: number;
  failed: IndexFailure[];
  cancelled: boolean;
  /** Found but never sent to be read (links out of the workspace folder, FIFOs, devices): the host's list. */
  skipped?: IndexFailure[];
  /** Files past the cap on files per run, not indexed this time. */
  leftOut?: number;
}

export interface IndexStatus {
  files: number;
  chunks: number;
  failures: IndexFailure[];
  /** What a search uses now; absent where no pipeline told (nothing indexed yet). */
  search?: SearchMode;
  /** What was wrong with the saved index when it was read (a damaged part kept aside, a newer format refused), as the log says it. */
  storeProblems?: string[];
}

/**
 * Keywords and meaning (BM25 fused with the vectors of `embeddingModel`), or keywords only
 * and why: no embedding model set (`off`), not downloaded, failed to load, or still
 * embedding the index.
 */
export type SearchMode =
  | { kind: 'hybrid'; embeddingModel: string; reranker?: string }
  | { kind: 'keywords'; reason: 'off' | 'notDownloaded' | 'failed' | 'embedding'; embeddingModel?: string; reranker?: string };
