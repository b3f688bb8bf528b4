import type { Source } from '../../protocol/events';
import type { CancellationToken } from '../cancellation';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';
import type { Logger } from '../log';
import type { Retriever } from './retriever';

const EXCERPT_CHARS = 600;

/** BM25 over the workspace index; the hybrid (vector) half arrives with an embedding model. */
export class KeywordRetriever implements Retriever {
  private announced = false;

  constructor(
    private readonly index: () => WorkspaceIndex | undefined,
    private readonly logger: Logger,
    private readonly k = 5,
  ) {}

  async retrieve(query: string, token: CancellationToken): Promise<Source[]> {
    token.throwIfCancelled();
    const index = this.index();
    if (!index) return [];
    if (!this.announced) {
      this.announced = true;
      this.logger.log('info', 'Searching with keywords only (BM25): no embedding model is set up yet.');
    }
    return index.search(query, this.k).map((hit) => ({
      path: hit.path,
      startLine: hit.startLine,
      endLine: hit.endLine,
      ...(hit.page !== undefined ? { page: hit.page } : {}),
      ...(hit.heading ? { heading: hit.heading } : {}),
      excerpt: hit.text.length > EXCERPT_CHARS ? `${hit.text.slice(0, EXCERPT_CHARS)}…` : hit.text,
      score: hit.score,
    }));
  }
}
