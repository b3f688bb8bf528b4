import type { Source } from '../../protocol/events';
import type { CancellationToken } from '../cancellation';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';
import type { Logger } from '../log';
import type { Retriever } from './retriever';

const EXCERPT_CHARS = 600;

/** The workspace index: BM25, fused with vector search when an embedding model is in use. */
export class WorkspaceRetriever implements Retriever {
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
    if (!index.isHybrid && !this.announced) {
      this.announced = true;
      this.logger.log('info', 'Searching with keywords only (BM25): no embedding model is in use (localRag.embeddingModel).');
    }
    const vector = await index.embedQuery(query, token);
    token.throwIfCancelled();
    return withoutOverlaps(index.search(query, this.k * 3, vector), this.k).map((hit) => ({
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

/** Keeps the best of chunks that overlap (the chunker repeats a little context). */
export function withoutOverlaps<T extends { path: string; startLine: number; endLine: number; page?: number }>(hits: T[], k: number): T[] {
  const kept: T[] = [];
  for (const hit of hits) {
    const overlaps = kept.some(
      (other) => other.path === hit.path && other.page === hit.page && hit.startLine <= other.endLine && other.startLine <= hit.endLine,
    );
    if (!overlaps) kept.push(hit);
    if (kept.length === k) break;
  }
  return kept;
}
