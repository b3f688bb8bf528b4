import type { Source } from '../../protocol/events';
import type { RequestToken } from '../cancellation';

/** Finds the passages a question draws on; checks the token between units of work. */
export interface Retriever {
  retrieve(query: string, token: RequestToken): Promise<Source[]>;
  /** Whether nothing was ever indexed (no file read, none failed): then there is nothing to search. */
  isEmpty?(): Promise<boolean>;
}
