/**
 * The streamed chat events: the SSE schema of the Python original, one object per event,
 * each tagged with the request it belongs to. Exactly one of done / cancelled / error
 * ends a request.
 */

import type { FileRef } from './indexing';

export const PHASES = [
  'IDLE',
  'FILE_EXTRACTION',
  'SUMMARIZATION',
  'ANALYSIS',
  'RETRIEVAL',
  'GENERATION',
] as const;

export type ProcessingPhase = (typeof PHASES)[number];

/** A passage an answer draws on, precise enough to open the exact place. */
export interface Source {
  path: string;
  startLine?: number;
  endLine?: number;
  page?: number;
  heading?: string;
  excerpt: string;
  score: number;
}

export interface PhaseEvent {
  requestId: string;
  phase: ProcessingPhase;
  status: string;
}
export interface SourcesEvent {
  requestId: string;
  sources: Source[];
}
export interface ContentEvent {
  requestId: string;
  content: string;
}
export interface DoneEvent {
  requestId: string;
  done: true;
}
export interface CancelledEvent {
  requestId: string;
  cancelled: true;
}
/** Why a request failed, so the UI can offer the right fix (open settings, ask again). */
export type ErrorCode =
  | 'modelUnavailable'
  | 'pipelineExited'
  | 'failed'
  /** Nothing was ever indexed: the view offers to index the workspace, then answer. */
  | 'notIndexed';

export interface ErrorEvent {
  requestId: string;
  error: string;
  code?: ErrorCode;
}

export type TerminalEvent = DoneEvent | CancelledEvent | ErrorEvent;
export type ChatEvent = PhaseEvent | SourcesEvent | ContentEvent | TerminalEvent;

export function isTerminalEvent(event: ChatEvent): event is TerminalEvent {
  return 'done' in event || 'cancelled' in event || 'error' in event;
}

/** The marker a stopped answer keeps in history and on screen. */
export const STOPPED_MARKER = '[Stopped]';

export interface ChatTurn {
  question: string;
  answer: string;
  /** How the answer ended; a stopped or failed answer keeps its partial text. */
  outcome: 'done' | 'cancelled' | 'error';
  sources: Source[];
  /** Epoch milliseconds when the question was asked. */
  askedAt: number;
  /** The file the question was asked with: Retry and Regenerate ask with it again. */
  attachment?: FileRef;
}
