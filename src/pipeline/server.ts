/**
 * The pipeline process's RPC surface: wires the JSON-RPC connection to the services.
 * Kept apart from main.ts so that the connection can be any vscode-jsonrpc transport.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import {
  ChatEventNotification,
  ChatRequest,
  ClearHistoryRequest,
  ConfigureNotification,
  DeviceNotification,
  GetHistoryRequest,
  IndexFilesRequest,
  IndexProgressNotification,
  IndexStatusRequest,
  InitializeRequest,
  LogNotification,
  RemoveFilesRequest,
  StopRequest,
} from '../protocol/rpc';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../protocol/settings';
import * as path from 'node:path';
import { CancellationToken, RequestManager } from './cancellation';
import { ChatHistory } from './chat/history';
import { ChatService } from './chat/chatService';
import { ChatModel } from './llm/chatModel';
import { describeError, type Logger } from './log';
import * as os from 'node:os';
import { Embedder } from './embedding/embedder';
import { shutdownPdfWorkers } from './indexing/extract/pdf';
import { WorkspaceIndex } from './indexing/workspaceIndex';
import { Mutex } from './mutex';
import { WorkspaceRetriever } from './retrieval/workspaceRetriever';

export function servePipeline(connection: MessageConnection): { dispose(): Promise<void> } {
  const logger: Logger = {
    log(level, message) {
      connection.sendNotification(LogNotification, { level, message }).catch(() => {});
    },
  };
  let settings: PipelineSettings = { ...DEFAULT_PIPELINE_SETTINGS };
  const requests = new RequestManager((error) => logger.log('error', `A cancel callback failed: ${describeError(error)}`));
  const model = new ChatModel(logger, (device) => connection.sendNotification(DeviceNotification, device).catch(() => {}));
  let service: ChatService | undefined;
  let history: ChatHistory | undefined;
  let index: WorkspaceIndex | undefined;
  // One indexing run at a time; a second waits for the first.
  const indexLock = new Mutex();
  let indexRuns = 0;

  connection.onRequest(InitializeRequest, async (params) => {
    settings = { ...DEFAULT_PIPELINE_SETTINGS, ...params.settings };
    history = await ChatHistory.open(path.join(params.storageDir, 'chat-history.json'), logger);
    index = await WorkspaceIndex.open(path.join(params.storageDir, 'index'), logger);
    service = new ChatService({
      requests,
      model,
      retriever: new WorkspaceRetriever(() => index, logger),
      history,
      settings: () => settings,
      logger,
    });
    void applyEmbeddingModel();
    logger.log('info', `Pipeline process ${process.pid} ready (Node ${process.versions.node}).`);
    return { pid: process.pid };
  });

  connection.onNotification(ConfigureNotification, (next) => {
    settings = { ...DEFAULT_PIPELINE_SETTINGS, ...next };
    void applyEmbeddingModel();
  });

  connection.onRequest(ChatRequest, (params, rpcToken) => {
    if (!service) throw new Error('The pipeline process was not initialized.');
    const pending = service.handle(params, (event) => {
      connection.sendNotification(ChatEventNotification, event).catch(() => {});
    });
    // `$/cancelRequest` from the host lands here; it maps onto the request's own token.
    const cancelThis = () => {
      if (requests.currentToken?.requestId === params.requestId) requests.cancelCurrent();
    };
    if (rpcToken.isCancellationRequested) cancelThis();
    const subscription = rpcToken.onCancellationRequested(cancelThis);
    return pending.finally(() => subscription.dispose());
  });

  /** Loads the embedding model the settings name (if it changed) and embeds what lacks vectors. */
  let embedder: Embedder | undefined;
  async function applyEmbeddingModel(): Promise<void> {
    const wanted = settings.embeddingModel;
    if ((embedder?.modelDir ?? '') === wanted) return;
    const release = await indexLock.acquire();
    try {
      const previous = embedder;
      embedder = wanted ? await Embedder.load(wanted, { threads: Math.max(1, Math.min(4, Math.floor(os.availableParallelism() / 2))) }) : undefined;
      await previous?.dispose();
      if (embedder) logger.log('info', `Embedding model ${embedder.modelId} loaded (${embedder.dimension} dimensions).`);
      await index?.useEmbedder(embedder, new CancellationToken(`embed-${++indexRuns}`), (done, total) => {
        if (done === total || done % 1024 === 0) logger.log('info', `Embedded ${done}/${total} chunks.`);
      });
    } catch (error) {
      embedder = undefined;
      await index?.useEmbedder(undefined, new CancellationToken('none'));
      logger.log('warn', `The embedding model could not be used (${describeError(error)}); searching with keywords only.`);
    } finally {
      release();
    }
  }

  connection.onRequest(IndexFilesRequest, async ({ files }, rpcToken) => {
    const release = await indexLock.acquire();
    const token = new CancellationToken(`index-${++indexRuns}`);
    const subscription = rpcToken.onCancellationRequested(() => token.cancel());
    if (rpcToken.isCancellationRequested) token.cancel();
    try {
      if (!index) throw new Error('The pipeline process was not initialized.');
      return await index.indexFiles(files, token, (progress) => {
        connection.sendNotification(IndexProgressNotification, progress).catch(() => {});
      });
    } finally {
      subscription.dispose();
      release();
    }
  });
  connection.onRequest(RemoveFilesRequest, async ({ paths }) => {
    const release = await indexLock.acquire();
    try {
      return (await index?.removeFiles(paths)) ?? 0;
    } finally {
      release();
    }
  });
  connection.onRequest(IndexStatusRequest, () => index?.status() ?? { files: 0, chunks: 0, failures: [] });

  connection.onRequest(StopRequest, () => ({ cancelled: requests.cancelCurrent() }));
  connection.onRequest(GetHistoryRequest, () => history?.all() ?? []);
  connection.onRequest(ClearHistoryRequest, () => {
    requests.cancelCurrent();
    history?.clear();
  });

  return {
    async dispose() {
      requests.cancelCurrent();
      await Promise.all([history?.flush(), index?.close(), model.dispose(), shutdownPdfWorkers(), embedder?.dispose()]);
    },
  };
}
