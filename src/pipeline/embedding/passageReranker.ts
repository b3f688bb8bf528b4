import type { Reranker } from './reranker';

/**
 * What retrieval needs of a reranker: the ONNX cross-encoder in the worker, or a model
 * server's `/v1/rerank`. Scores are probabilities (0..1, higher more relevant), one per
 * passage in the order given.
 */
export type PassageReranker = Pick<Reranker, 'modelId' | 'score' | 'dispose'>;
