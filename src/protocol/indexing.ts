/** Indexing contracts shared by the host, the pipeline and the CLI. */

export interface FileRef {
  /** Where to read it. */
  absPath: string;
  /** How to show and cite it (workspace-relative where possible). */
  displayPath: string;
}

export type FailureReason = 'encrypted' | 'noText' | 'corrupt' | 'tooLarge' | 'binary' | 'unreadable' | 'timeout';

export interface IndexFailure {
  path: string;
  reason: FailureReason;
  message: string;
}

export interface IndexProgress {
  done: number;
  total: number;
  current?: string;
}

export interface IndexReport {
  indexed: number;
  unchanged: number;
  failed: IndexFailure[];
  cancelled: boolean;
}

export interface IndexStatus {
  files: number;
  chunks: number;
  failures: IndexFailure[];
}
