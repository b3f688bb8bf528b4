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
  DownloadModelRequest,
  DownloadProgressNotification,
  GetHistoryRequest,
  ListConversationsRequest,
  OpenConversationRequest,
  IndexFilesRequest,
  IndexProgressNotification,
  IndexStatusRequest,
  InitializeRequest,
  ListChatModelsRequest,
  LogNotification,
  ModelSizeRequest,
  ModelsStateNotification,
  RemoveFilesRequest,
  StopRequest,
} from '../protocol/rpc';
import { chunkOptionsOf, DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../protocol/settings';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { CancellationToken, RequestManager } from './cancellation';
import { ChatHistory } from './chat/history';
import { ChatService } from './chat/chatService';
import { ChatModel } from './llm/chatModel';
import { chatModelState, ggufHubModel, listDownloadedChatModels, withChatModelFile } from './llm/modelDownload';
import { describeError, type Logger } from './log';
import { downloadHubModel, downloadSize, hubModel, type HubModel } from './embedding/hubModel';
import type { MissingModel } from '../protocol/models';
import { OnnxModels } from './embedding/onnxModels';
import { shutdownPdfWorkers } from './indexing/extract/pdf';
import { WorkspaceIndex } from './indexing/workspaceIndex';
import { Mutex } from './mutex';
import { searchMode } from './retrieval/searchMode';
import { WorkspaceRetriever } from './retrieval/workspaceRetriever';

export function servePipeline(connection: MessageConnection): { dispose(): Promise<void> } {
  const logger: Logger = {
    log(level, message, details) {
      connection.sendNotification(LogNotification, { level, message, ...details }).catch(() => {});
    },
  };
  let settings: PipelineSettings = { ...DEFAULT_PIPELINE_SETTINGS };
  const requests = new RequestManager((error) => logger.log('error', `A cancel callback failed: ${describeError(error)}`));
  const model = new ChatModel(logger, (device) =>
    connection.sendNotification(DeviceNotification, { ...device, modelPath: chatSettings().chatModel }).catch(() => {}),
  );
  let service: ChatService | undefined;
  let history: ChatHistory | undefined;
  let index: WorkspaceIndex | undefined;
  let models: OnnxModels | undefined;
  const downloads = new Set<string>();
  // One indexing run at a time; a second waits for the first.
  const indexLock = new Mutex();
  let indexRuns = 0;

  connection.onRequest(InitializeRequest, async (params) => {
    settings = { ...DEFAULT_PIPELINE_SETTINGS, ...params.settings };
    // A storage folder that cannot exist (a file in its place) fails the start with a clear
    // reason: the host then ends this process, and the next question starts a fresh one.
    await fs.mkdir(params.storageDir, { recursive: true }).catch((error: unknown) => {
      throw new Error(`The storage folder ${params.storageDir} cannot be used (${describeError(error)}).`);
    });
    history = await ChatHistory.open(path.join(params.storageDir, 'chat-history.json'), logger);
    index = await openIndex(path.join(params.storageDir, 'index'));
    models = new OnnxModels(params.modelsDir ?? path.join(params.storageDir, 'models'), logger);
    service = new ChatService({
      requests,
      model,
      retriever: new WorkspaceRetriever(() => index, logger, undefined, () => models?.reranker),
      history,
      settings: chatSettings,
      logger,
    });
    void applyModels();
    logger.log('info', `Pipeline process ${process.pid} ready (Node ${process.versions.node}).`);
    return { pid: process.pid };
  });

  /**
   * The saved index; whatever is wrong with it (damaged, from a newer version) is reported
   * in the log and never fails the start: at worst this session indexes into memory.
   */
  async function openIndex(dir: string): Promise<WorkspaceIndex> {
    try {
      return await WorkspaceIndex.open(dir, logger, chunkOptionsOf(settings));
    } catch (error) {
      logger.log('error', `The saved index in ${dir} could not be opened (${describeError(error)}); this session keeps its index in memory.`);
      return WorkspaceIndex.open(undefined, logger, chunkOptionsOf(settings));
    }
  }

  connection.onNotification(ConfigureNotification, (next) => {
    settings = { ...DEFAULT_PIPELINE_SETTINGS, ...next };
    void applyChunking();
    void applyModels();
  });

  /** New chunk options: files are cut again as the next indexing run reads them. */
  async function applyChunking(): Promise<void> {
    const release = await indexLock.acquire();
    try {
      await index?.setChunkOptions(chunkOptionsOf(settings));
    } finally {
      release();
    }
  }

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

  /**
   * Loads the models the settings name (when they changed and are on disk), embeds what
   * lacks vectors, and tells the host which models still wait for a download.
   */
  async function applyModels(): Promise<void> {
    if (!models) return;
    const release = await indexLock.acquire();
    try {
      const { missing, embedderChanged } = await models.apply(settings);
      const chat = chatModelState(settings.chatModel, models.modelsDir);
      if (chat.kind === 'missing') missing.push(chat.model);
      connection.sendNotification(ModelsStateNotification, { missing }).catch(() => {});
      if (!embedderChanged) return;
      await index?.useEmbedder(models.embedder, new CancellationToken(`embed-${++indexRuns}`), (done, total) => {
        if (done === total || done % 1024 === 0) logger.log('info', `Embedded ${done}/${total} chunks.`);
      });
    } catch (error) {
      logger.log('warn', `The models could not be applied (${describeError(error)}).`);
    } finally {
      release();
    }
  }

  connection.onRequest(ModelSizeRequest, (model) => downloadSize(hubModelOf(model)));

  connection.onRequest(DownloadModelRequest, async ({ role, id }, rpcToken) => {
    if (downloads.has(id)) throw new Error(`${id} is already being downloaded.`);
    downloads.add(id);
    const token = new CancellationToken(`download-${id}`);
    const subscription = rpcToken.onCancellationRequested(() => token.cancel());
    if (rpcToken.isCancellationRequested) token.cancel();
    let lastSent = 0;
    try {
      const completed = await downloadHubModel(hubModelOf({ role, id }), {
        token,
        onProgress(progress) {
          // A few updates a second are plenty for a progress bar.
          if (progress.transferredBytes < progress.totalBytes && Date.now() - lastSent < 200) return;
          lastSent = Date.now();
          connection.sendNotification(DownloadProgressNotification, progress).catch(() => {});
        },
      });
      logger.log('info', completed ? `Downloaded ${id}.` : `The download of ${id} was cancelled; the next one resumes where it stopped.`);
      // Loading (and embedding the index anew) can take long: the download is answered first.
      if (completed) void applyModels();
      return { completed };
    } finally {
      subscription.dispose();
      downloads.delete(id);
    }
  });

  /** A chat model is one GGUF file of a hub repository; the ONNX models are folders. */
  function hubModelOf(model: MissingModel): HubModel {
    return model.role === 'chat' ? ggufHubModel(model.id, modelsDir()) : hubModel(model.id, modelsDir());
  }

  connection.onRequest(ListChatModelsRequest, () => listDownloadedChatModels(modelsDir()));

  /** An `hf:` or empty chat model setting becomes the downloaded file (or empty until then). */
  function chatSettings(): PipelineSettings {
    return models ? withChatModelFile(settings, models.modelsDir) : settings;
  }

  function modelsDir(): string {
    if (!models) throw new Error('The pipeline process was not initialized.');
    return models.modelsDir;
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
  connection.onRequest(IndexStatusRequest, async () => {
    // What another window saved counts too.
    await index?.refresh().catch((error: unknown) => logger.log('warn', `The saved index could not be re-read (${describeError(error)}).`));
    const status = index?.status() ?? { files: 0, chunks: 0, failures: [] };
    return { ...status, ...(models ? { search: searchMode(models, index) } : {}) };
  });

  connection.onRequest(StopRequest, () => ({ cancelled: requests.cancelCurrent() }));
  connection.onRequest(GetHistoryRequest, () => history?.all() ?? []);
  connection.onRequest(ClearHistoryRequest, () => {
    requests.cancelCurrent();
    history?.startNew();
  });
  connection.onRequest(ListConversationsRequest, () => history?.list() ?? []);
  connection.onRequest(OpenConversationRequest, ({ id }) => {
    requests.cancelCurrent();
    return history?.reopen(id) ?? null;
  });

  return {
    async dispose() {
      requests.cancelCurrent();
      await Promise.all([history?.flush(), index?.close(), model.dispose(), shutdownPdfWorkers(), models?.dispose()]);
    },
  };
}
