/**
 * The ONNX worker thread: runs the embedding and reranking models. onnxruntime-node runs a
 * model synchronously on the thread that calls it (its promise only defers the call), so on
 * the pipeline's main thread a batch would block the RPC for its whole length — a Stop
 * included. Here the main thread stays free, and a cancelled request simply stops waiting.
 */
import { parentPort } from 'node:worker_threads';
import { CrossEncoder, EmbeddingModel, type WorkerModel } from './onnxModels';
import type { Loaded, OnnxRequest, OnnxResponse } from './protocol';

const models = new Map<number, WorkerModel>();
let nextModel = 1;

function model<T extends WorkerModel>(handle: number, is: (model: WorkerModel) => model is T): T {
  const found = models.get(handle);
  if (!found || !is(found)) throw new Error(`model ${handle} is not loaded in the ONNX worker`);
  return found;
}

const isEmbedder = (model: WorkerModel): model is EmbeddingModel => model instanceof EmbeddingModel;
const isCrossEncoder = (model: WorkerModel): model is CrossEncoder => model instanceof CrossEncoder;

async function handle(request: OnnxRequest): Promise<{ value: unknown; transfer?: ArrayBuffer[] }> {
  switch (request.type) {
    case 'loadEmbedder': {
      const loaded = await EmbeddingModel.load(request.dir, request.config, request.dtype, request.threads);
      models.set(nextModel, loaded);
      return { value: { model: nextModel++, dimension: loaded.dimension } satisfies Loaded };
    }
    case 'loadReranker': {
      const loaded = await CrossEncoder.load(request.dir, request.config, request.dtype, request.threads, request.maxLength);
      models.set(nextModel, loaded);
      return { value: { model: nextModel++ } satisfies Loaded };
    }
    case 'embed': {
      const embedded = await model(request.model, isEmbedder).embed(request.texts);
      return { value: embedded, transfer: [embedded.data.buffer as ArrayBuffer] };
    }
    case 'score':
      return { value: await model(request.model, isCrossEncoder).score(request.query, request.passages) };
    case 'dispose': {
      const found = models.get(request.model);
      models.delete(request.model);
      await found?.dispose();
      return { value: null };
    }
  }
}

// One request at a time, in order: the models are not re-entrant, and order is fairness.
let queue: Promise<void> = Promise.resolve();
parentPort!.on('message', (request: OnnxRequest) => {
  queue = queue.then(async () => {
    let response: OnnxResponse;
    let transfer: ArrayBuffer[] | undefined;
    try {
      const result = await handle(request);
      response = { id: request.id, ok: true, value: result.value };
      transfer = result.transfer;
    } catch (error) {
      response = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    parentPort!.postMessage(response, transfer);
  });
});
