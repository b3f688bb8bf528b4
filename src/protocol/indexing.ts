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

/** A workspace folder on disk, as the pipeline walks it for Index Workspace. */
export interface WorkspaceFolderRef {
  /** Its name, which prefixes display paths when the workspace has several folders. */
  name: string;
  path: string;
}

/** Which files Index Workspace reads: the host's settings, for the pipeline to walk by. */
export interface WorkspaceScope {
  folders: WorkspaceFolderRef[];
  /** localRag.include: a glob on paths relative to each folder. */
  include: string;
  /** localRag.exclude plus files.exclude: a glob matching a folder covers everything in it. */
  exclude: string[];
  /** localRag.maxFiles: files past it are left out. */
  maxFiles: number;
  /** The walk stops after this many matches (`searchCut` then says it did). */
  searchLimit: number;
}

/** Found by the walk but not read: the host words the message in the user's language. */
export interface WorkspaceSkip {
  /** Display path; a linked folder ends with `/`. */
  path: string;
  reason: 'outsideWorkspace' | 'notAFile';
  /** Where a link out leads. */
  target?: string;
}

export interface WorkspaceRunReport extends IndexReport {
  skippedFound: WorkspaceSkip[];
  /** Files found (after include, exclude and .gitignore) that may be read. */
  found: number;
  /** The first few of the files left out past maxFiles, in order. */
  leftOutFirst: string[];
  searchCut: boolean;
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
