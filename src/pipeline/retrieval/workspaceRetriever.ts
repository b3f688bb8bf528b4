import type { Source } from '../../protocol/events';
import { CancelledError, type RequestToken } from '../cancellation';
import type { Reranker } from '../embedding/reranker';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';
import type { Logger } from '../log';
import type { Retriever } from './retriever';

/** How many fused candidates the cross-encoder reads: it costs one model call per 8 of them. */
export const RERANK_CANDIDATES = 20;

/**
 * The workspace index: BM25, fused with vector search when an embedding model is in use,
 * the fused candidates reranked by a cross-encoder when one is.
 */
export class WorkspaceRetriever implements Retriever {
  private announced = false;
  private rerankFailed = false;

  constructor(
    private readonly index: () => WorkspaceIndex | undefined,
    private readonly logger: Logger,
    private readonly k = 5,
    private readonly reranker: () => Reranker | undefined = () => undefined,
  ) {}

  async isEmpty(): Promise<boolean> {
    const index = this.index();
    if (!index || index.newerFormat) return false;
    await index.refresh();
    const { files, failures } = index.status();
    return files === 0 && failures.length === 0;
  }

  async retrieve(query: string, token: RequestToken): Promise<Source[]> {
    token.throwIfCancelled();
    const index = this.index();
    if (!index) return [];
    if (!index.isHybrid && !this.announced) {
      this.announced = true;
      this.logger.log('info', 'Searching with keywords only (BM25): no embedding model is in use (localRag.embeddingModel).');
    }
    // Another window or the CLI may have saved files since: one stat tells.
    await index.refresh();
    const vector = await index.embedQuery(query, token);
    token.throwIfCancelled();
    const reranker = this.reranker();
    const wanted = reranker ? Math.max(this.k, RERANK_CANDIDATES) : this.k;
    let hits = withoutOverlaps(index.search(query, wanted * 3, vector), wanted);
    if (reranker) hits = (await this.rerank(reranker, query, hits, token)).slice(0, this.k);
    return hits.map(toSource);
  }

  /** Orders the candidates by the cross-encoder's score; on a model failure keeps the fused order. */
  private async rerank<T extends { text: string; score: number }>(reranker: Reranker, query: string, hits: T[], token: RequestToken): Promise<T[]> {
    if (hits.length < 2) return hits;
    try {
      const scores = await reranker.score(query, hits.map((hit) => hit.text), token);
      return hits.map((hit, i) => ({ ...hit, score: scores[i] })).sort((a, b) => b.score - a.score);
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      if (!this.rerankFailed) {
        this.rerankFailed = true;
        this.logger.log('warn', `The reranker failed (${error instanceof Error ? error.message : String(error)}); results keep the fused order.`);
      }
      return hits;
    }
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

/**
 * A scored chunk as a source. The excerpt is the whole passage (a chunk is bounded by
 * localRag.chunkSize): the model reads it, and the words that matched may sit anywhere in
 * it. The views shorten it for display.
 */
export function toSource(hit: { path: string; text: string; startLine: number; endLine: number; page?: number; heading?: string; score: number }): Source {
  return {
    path: hit.path,
    startLine: hit.startLine,
    endLine: hit.endLine,
    ...(hit.page !== undefined ? { page: hit.page } : {}),
    ...(hit.heading ? { heading: hit.heading } : {}),
    excerpt: hit.text,
    score: hit.score,
  };
}
