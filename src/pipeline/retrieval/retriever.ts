import type { Source } from '../../protocol/events';
import type { RequestToken } from '../cancellation';

/** Finds the passages a question draws on; checks the token between units of work. */
export interface Retriever {
  retrieve(query: string, token: RequestToken): Promise<Source[]>;
  /** Whether nothing was ever indexed (no file read, none failed): then there is nothing to search. */
  isEmpty?(): Promise<boolean>;
  /**
   * Whether a source it returned matches the question in meaning by its models' calibrated
   * evidence (an embedder, a cross-encoder), whatever words they share; the relevance gate
   * keeps such a source. Absent: keywords alone decide.
   */
  matchesInMeaning?(source: Source): boolean;
}
