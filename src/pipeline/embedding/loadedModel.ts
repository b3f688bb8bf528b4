/**
 * What the embedder and the reranker share once loaded: their model's handle in the ONNX
 * worker thread, its folder, the size of their batches, and unloading it once.
 */
import type { OnnxThread } from './onnxThread';

export interface ModelInThread {
  thread: OnnxThread;
  /** The model's number in the worker. */
  handle: number;
  modelId: string;
  modelDir: string;
  /** Texts or pairs per model call, at least 1. */
  batchSize: number;
}

/** The batch size asked for, or `fallback`: a whole number of at least 1. */
export function batchSizeOf(asked: number | undefined, fallback: number): number {
  return Math.max(1, Math.floor(asked ?? fallback));
}

export abstract class LoadedModel {
  private disposed = false;
  protected readonly thread: OnnxThread;
  protected readonly handle: number;
  readonly modelId: string;
  readonly modelDir: string;
  protected readonly batchSize: number;

  /** `what` names the model in errors: "embedding model", "reranker model". */
  protected constructor(model: ModelInThread, private readonly what: string) {
    ({ thread: this.thread, handle: this.handle, modelId: this.modelId, modelDir: this.modelDir, batchSize: this.batchSize } = model);
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.thread.unload(this.handle);
  }

  protected assertOpen(): void {
    if (this.disposed) throw new Error(`The ${this.what} "${this.modelDir}" was disposed.`);
  }
}
