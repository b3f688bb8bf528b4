import type { Embedder } from './embedder';

/**
 * What indexing and search need of an embedder: the ONNX one in the worker, or a model
 * server's (whose vector length is only known from its first answer).
 */
export type PassageEmbedder = Pick<Embedder, 'modelId' | 'embedPassages' | 'embedQuery' | 'dispose'> & { readonly dimension?: number };
