/**
 * The pipeline's side of the ONNX worker (worker/onnxWorker.ts): one worker thread for every
 * embedding and reranking model, started with the first model and ended with the last, so
 * an idle pipeline gives its memory back. A request can be abandoned through a cancellation
 * token: the caller is released at once and the worker's answer, when it comes, is dropped.
 * If the worker dies, what was pending fails with the reason, and the next model starts a
 * new worker.
 */
import { Worker } from 'node:worker_threads';
import { CancelledError, type RequestToken } from '../cancellation';
import { findWorkerScript } from '../workerScript';
import type { Loaded, OnnxRequest, OnnxResponse } from './worker/protocol';

export const ONNX_WORKER_ENV = 'LOCAL_RAG_ONNX_WORKER';
const WORKER_FILE = 'onnxWorker.js';

type Pending = { resolve(value: unknown): void; reject(error: Error): void };
type Request = OnnxRequest extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

export class OnnxThread {
  private static current: OnnxThread | undefined;

  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private users = 0;
  private dead: Error | undefined;

  private constructor(private readonly worker: Worker) {
    // Only a request in flight keeps the process alive: a model left loaded must not.
    worker.unref();
    worker.on('message', (response: OnnxResponse) => {
      const pending = this.pending.get(response.id);
      this.forget(response.id);
      if (!pending) return;
      if (response.ok) pending.resolve(response.value);
      else pending.reject(new Error(response.message));
    });
    worker.on('error', (error) => this.fail(error));
    worker.on('exit', (code) => this.fail(new Error(`the ONNX worker exited (code ${code})`)));
  }

  /**
   * Loads a model in the worker (started if need be); the model keeps the worker in use
   * until `unload`. A failed load releases it again.
   */
  static async load(request: Extract<Request, { type: 'loadEmbedder' | 'loadReranker' }>): Promise<{ thread: OnnxThread; loaded: Loaded }> {
    const thread = OnnxThread.acquire();
    try {
      return { thread, loaded: await thread.request<Loaded>(request) };
    } catch (error) {
      await thread.release();
      throw error;
    }
  }

  /** Frees a loaded model, and the worker with the last one. */
  async unload(model: number): Promise<void> {
    await this.request({ type: 'dispose', model }).catch(() => {});
    await this.release();
  }

  /** The worker, started if need be, counted as used until `release`. */
  private static acquire(): OnnxThread {
    if (!OnnxThread.current || OnnxThread.current.dead) {
      OnnxThread.current = new OnnxThread(new Worker(findWorkerScript(WORKER_FILE, ONNX_WORKER_ENV, 'ONNX worker')));
    }
    OnnxThread.current.users++;
    return OnnxThread.current;
  }

  /** One user less; the last one ends the worker. */
  private async release(): Promise<void> {
    if (--this.users > 0 || this.dead) return;
    if (OnnxThread.current === this) OnnxThread.current = undefined;
    this.dead = new Error('the ONNX worker was ended');
    await this.worker.terminate();
  }

  request<T>(request: Request, token?: RequestToken): Promise<T> {
    if (this.dead) return Promise.reject(new Error(`The embedding models are unavailable: ${this.dead.message}.`));
    token?.throwIfCancelled();
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const onCancel = () => {
        this.forget(id);
        reject(new CancelledError(token!.requestId, token!.phase));
      };
      this.pending.set(id, {
        resolve: (value) => {
          token?.unregisterCallback(onCancel);
          resolve(value as T);
        },
        reject: (error) => {
          token?.unregisterCallback(onCancel);
          reject(error);
        },
      });
      token?.registerCallback(onCancel);
      if (this.pending.size === 1) this.worker.ref();
      this.worker.postMessage({ ...request, id });
    });
  }

  private forget(id: number): void {
    if (this.pending.delete(id) && this.pending.size === 0) this.worker.unref();
  }

  private fail(error: Error): void {
    this.dead ??= error;
    if (OnnxThread.current === this) OnnxThread.current = undefined;
    const pending = [...this.pending.values()];
    this.pending.clear();
    for (const { reject } of pending) reject(new Error(`The embedding models are unavailable: ${error.message}.`));
  }
}
