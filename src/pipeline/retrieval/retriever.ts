import type { Source } from '../../protocol/events';
import type { CancellationToken } from '../cancellation';

/** Finds the passages a question draws on; checks the token between units of work. */
export interface Retriever {
  retrieve(query: string, token: CancellationToken): Promise<Source[]>;
}

/** The retriever of a workspace that has no index yet: it finds nothing, and says so. */
export class NoIndexRetriever implements Retriever {
  async retrieve(_query: string, token: CancellationToken): Promise<Source[]> {
    token.throwIfCancelled();
    return [];
  }
}
