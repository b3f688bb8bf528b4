/** What a search uses now, said to the host so the user sees when search fell back to keywords only. */
import type { SearchMode } from '../../protocol/indexing';
import type { OnnxModels } from '../embedding/onnxModels';
import type { WorkspaceIndex } from '../indexing/workspaceIndex';

export function searchMode(models: OnnxModels, index: WorkspaceIndex | undefined): SearchMode {
  const state = models.embeddingStatus;
  const reranker = models.reranker ? { reranker: models.reranker.modelId } : {};
  if (state.kind === 'off') return { kind: 'keywords', reason: 'off', ...reranker };
  if (state.kind === 'missing') return { kind: 'keywords', reason: 'notDownloaded', embeddingModel: state.id, ...reranker };
  if (state.kind === 'failed') return { kind: 'keywords', reason: 'failed', embeddingModel: state.id, ...reranker };
  // An embedder in use whose vectors the index does not have yet is still embedding it.
  const embedding = index !== undefined && !index.isHybrid && index.status().chunks > 0;
  return embedding ? { kind: 'keywords', reason: 'embedding', embeddingModel: state.id, ...reranker } : { kind: 'hybrid', embeddingModel: state.id, ...reranker };
}
