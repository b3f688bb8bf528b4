/** What extraction and chunking produce, and what the indexes store. */
import type { FailureReason } from '../../protocol/indexing';

/** The text of a document, in pieces that keep where they came from. */
export interface ExtractedDocument {
  /** Workspace-relative path with forward slashes (absolute when outside the workspace). */
  path: string;
  kind: 'markdown' | 'text' | 'code' | 'pdf';
  /** Text files: one unit, starting at line 1. PDFs: one unit per page. */
  units: ExtractedUnit[];
}

export interface ExtractedUnit {
  text: string;
  /** 1-based page of a PDF. */
  page?: number;
}

export interface Chunk {
  /** Stable id: path, then a position. */
  id: string;
  path: string;
  text: string;
  startLine: number;
  endLine: number;
  page?: number;
  /** Markdown heading path, "Guide › Install". */
  heading?: string;
}

/** Why a file could not be indexed, in words a user can act on. */
export class ExtractionError extends Error {
  constructor(
    message: string,
    readonly reason: FailureReason,
  ) {
    super(message);
    this.name = 'ExtractionError';
  }
}
