import type { Source } from '../../protocol/events';
import { CancelledError, type RequestToken } from '../cancellation';
import type { PassageReranker } from '../embedding/passageReranker';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';
import type { Logger } from '../log';
import type { Retriever } from './retriever';

/** How many fused candidates the cross-encoder reads: it costs one model call per 8 of them. */
export const RERANK_CANDIDATES = 20;
/** A cross-encoder's probability from which a passage counts as relevant: the model's own even odds (a logit of 0). */
export const RERANK_RELEVANT = 0.5;
/**
 * The calibrated vector confidence from which a passage counts as relevant on meaning alone:
 * full (1.5 standard deviations past the expected best of noise). The fusion weighs every
 * degree of confidence; the relevance gate is yes or no, so it asks for the clear case.
 */
export const VECTOR_RELEVANT = 1;

/**
 * The workspace index: BM25, fused with vector search when an embedding model is in use,
 * the fused candidates reranked by a cross-encoder when one is.
 */
export class WorkspaceRetriever implements Retriever {
  private announced = false;
  private rerankFailed = false;
  /** The sources returned that the models vouched for (see matchesInMeaning). */
  private readonly meaningful = new WeakSet<Source>();

  constructor(
    private readonly index: () => WorkspaceIndex | undefined,
    private readonly logger: Logger,
    private readonly k = 5,
    private readonly reranker: () => PassageReranker | undefined = () => undefined,
  ) {}

  async isEmpty(): Promise<boolean> {
    const index = this.index();
    if (!index || index.newerFormat) return false;
    await index.refresh();
    return index.isEmpty;
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
    const fused = withoutOverlaps(index.search(query, wanted * 3, vector), wanted);
    const reranked = reranker ? await this.rerank(reranker, query, fused, token) : undefined;
    const hits = (reranked ?? fused).slice(0, this.k);
    const sources = hits.map(toSource);
    hits.forEach((hit, i) => {
      if ((hit.confidence ?? 0) >= VECTOR_RELEVANT || (reranked && hit.score >= RERANK_RELEVANT)) this.meaningful.add(sources[i]);
    });
    return sources;
  }

  /**
   * Whether the models vouched for a source this retriever returned, whatever words it
   * shares with the question: vector search found it a clear outlier (full calibrated
   * confidence, store/vectorConfidence.ts), or the cross-encoder gave it even odds or better.
   */
  matchesInMeaning(source: Source): boolean {
    return this.meaningful.has(source);
  }

  /** The candidates by the cross-encoder's probability; undefined on a model failure (the fused order stands). */
  private async rerank<T extends { text: string; score: number }>(reranker: PassageReranker, query: string, hits: T[], token: RequestToken): Promise<T[] | undefined> {
    try {
      const scores = await reranker.score(query, hits.map((hit) => hit.text), token);
      return hits.map((hit, i) => ({ ...hit, score: scores[i] })).sort((a, b) => b.score - a.score);
    } catch (error) {
      if (error instanceof CancelledError) throw error;
      if (!this.rerankFailed) {
        this.rerankFailed = true;
        this.logger.log('warn', `The reranker failed (${error instanceof Error ? error.message : String(error)}); results keep the fused order.`);
      }
      return undefined;
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
