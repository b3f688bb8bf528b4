/**
 * Search for agents (the `#docs` tool): the index's best passages for a query, optionally
 * only in files matching a path glob. Keyword and vector search fused as for a question,
 * without the chat's relevance gate: an agent reads the scores and decides.
 */
import picomatch from 'picomatch';
import type { Source } from '../../protocol/events';
import type { SearchParams } from '../../protocol/rpc';
import type { RequestToken } from '../cancellation';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';
import { toSource, withoutOverlaps } from './workspaceRetriever';

export const SEARCH_DEFAULT_K = 5;
export const SEARCH_MAX_K = 50;
/** Candidates read when a glob filters them, so that a narrow glob still finds k passages. */
const GLOB_CANDIDATES = 500;

export async function searchPassages(index: WorkspaceIndex, { query, k, path: glob }: SearchParams, token: RequestToken): Promise<Source[]> {
  const wanted = Math.min(SEARCH_MAX_K, Math.max(1, Math.floor(k ?? SEARCH_DEFAULT_K) || SEARCH_DEFAULT_K));
  const matches = glob ? picomatch(glob, { dot: true }) : undefined;
  token.throwIfCancelled();
  // Another window or the CLI may have saved files since: one stat tells.
  await index.refresh();
  const vector = await index.embedQuery(query, token);
  token.throwIfCancelled();
  let hits = index.search(query, matches ? GLOB_CANDIDATES : wanted * 3, vector);
  if (matches) hits = hits.filter((hit) => matches(hit.path));
  return withoutOverlaps(hits, wanted).map(toSource);
}
