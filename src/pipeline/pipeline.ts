/**
 * What `initialize` builds: the workspace's index, chat history, models and chat service,
 * with the locks that order work on them. The RPC handlers (handlers/) are given this
 * object; until it exists they answer as an uninitialized process does.
 */
import type { MessageConnection } from 'vscode-jsonrpc';
import { DeviceNotification, ModelsStateNotification, type InitializeParams } from '../protocol/rpc';
import { chunkOptionsOf, type PipelineSettings } from '../protocol/settings';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { RequestToken } from './cancellation';
import { ChatHistory } from './chat/history';
import { ChatService } from './chat/chatService';
import { OnnxModels } from './embedding/onnxModels';
import { shutdownPdfWorkers } from './indexing/extract/pdf';
import { WorkspaceIndex } from './indexing/workspaceIndex';
import { ChatModel } from './llm/chatModel';
import { chatModelState, withChatModelFile } from './llm/modelDownload';
import { describeError, type Logger } from './log';
import { Mutex } from './mutex';
import { WorkspaceRetriever } from './retrieval/workspaceRetriever';

/**
 * The settings as the host last sent them. A cell rather than a value: `configure` may
 * arrive while `initialize` is still opening things, and what opens next must see it.
 */
export interface SettingsCell {
  current: PipelineSettings;
}

/** The pipeline as handlers see it: undefined until `initialize` has finished. */
export type CurrentPipeline = () => Pipeline | undefined;

export const NOT_INITIALIZED = 'The pipeline process was not initialized.';

/** For the requests that cannot be answered at all before `initialize`. */
export function requirePipeline(current: CurrentPipeline): Pipeline {
  const pipeline = current();
  if (!pipeline) throw new Error(NOT_INITIALIZED);
  return pipeline;
}

export async function initializePipeline(
  params: InitializeParams,
  settings: SettingsCell,
  logger: Logger,
  connection: MessageConnection,
): Promise<Pipeline> {
  // A storage folder that cannot exist (a file in its place) fails the start with a clear
  // reason: the host then ends this process, and the next question starts a fresh one.
  await fs.mkdir(params.storageDir, { recursive: true }).catch((error: unknown) => {
    throw new Error(`The storage folder ${params.storageDir} cannot be used (${describeError(error)}).`);
  });
  const history = await ChatHistory.open(path.join(params.storageDir, 'chat-history.json'), logger);
  const index = await openIndex(path.join(params.storageDir, 'index'), settings, logger);
  const models = new OnnxModels(params.modelsDir ?? path.join(params.storageDir, 'models'), logger);
  return new Pipeline(settings, history, index, models, logger, connection);
}

/**
 * The saved index; whatever is wrong with it (damaged, from a newer version) is reported
 * in the log and never fails the start: at worst this session indexes into memory.
 */
async function openIndex(dir: string, settings: SettingsCell, logger: Logger): Promise<WorkspaceIndex> {
  try {
    return await WorkspaceIndex.open(dir, logger, chunkOptionsOf(settings.current));
  } catch (error) {
    logger.log('error', `The saved index in ${dir} could not be opened (${describeError(error)}); this session keeps its index in memory.`);
    return WorkspaceIndex.open(undefined, logger, chunkOptionsOf(settings.current));
  }
}

export class Pipeline {
  readonly model: ChatModel;
  readonly chat: ChatService;
  /** Model ids being downloaded: a second download of one is refused. */
  readonly downloads = new Set<string>();
  /** One indexing run at a time (embedding and re-chunking included); a second waits. */
  readonly indexLock = new Mutex();
  /** The questions being answered: one, unless a host asks again before the last ended. */
  private readonly questions = new Set<RequestToken>();
  private runs = 0;

  constructor(
    private readonly settings: SettingsCell,
    readonly history: ChatHistory,
    readonly index: WorkspaceIndex,
    readonly models: OnnxModels,
    readonly logger: Logger,
    private readonly connection: MessageConnection,
  ) {
    this.model = new ChatModel(logger, (device) =>
      connection.sendNotification(DeviceNotification, { ...device, modelPath: this.chatSettings().chatModel }).catch(() => {}),
    );
    this.chat = new ChatService({
      model: this.model,
      retriever: new WorkspaceRetriever(() => index, logger, undefined, () => models.reranker),
      history,
      settings: () => this.chatSettings(),
      logger,
    });
  }

  /** An `hf:` or empty chat model setting becomes the downloaded file (or empty until then). */
  chatSettings(): PipelineSettings {
    return withChatModelFile(this.settings.current, this.models.modelsDir);
  }

  /** A question's token, cancelled by the host or when the process ends. */
  startQuestion(requestId: string): RequestToken {
    const token = new RequestToken(requestId, (error) => this.logger.log('error', `A cancel callback failed: ${describeError(error)}`));
    this.questions.add(token);
    return token;
  }

  endQuestion(token: RequestToken): void {
    this.questions.delete(token);
  }

  /** A token for one indexing or embedding run, numbered across both. */
  newRunToken(kind: 'index' | 'embed'): RequestToken {
    return new RequestToken(`${kind}-${++this.runs}`);
  }

  /** New chunk options: files are cut again as the next indexing run reads them. */
  async applyChunking(): Promise<void> {
    const release = await this.indexLock.acquire();
    try {
      await this.index.setChunkOptions(chunkOptionsOf(this.settings.current));
    } finally {
      release();
    }
  }

  /**
   * Loads the models the settings name (when they changed and are on disk), embeds what
   * lacks vectors, and tells the host which models still wait for a download.
   */
  async applyModels(): Promise<void> {
    const release = await this.indexLock.acquire();
    try {
      const { missing, embedderChanged } = await this.models.apply(this.settings.current);
      // Read again: a `configure` that came in while the models loaded counts.
      const chat = chatModelState(this.settings.current.chatModel, this.models.modelsDir);
      // Answers from a model server need no chat model here: none is offered for download.
      if (chat.kind === 'missing' && this.settings.current.chatProvider !== 'openaiCompatible') missing.push(chat.model);
      this.connection.sendNotification(ModelsStateNotification, { missing }).catch(() => {});
      if (!embedderChanged) return;
      await this.index.useEmbedder(this.models.embedder, this.newRunToken('embed'), (done, total) => {
        if (done === total || done % 1024 === 0) this.logger.log('info', `Embedded ${done}/${total} chunks.`);
      });
    } catch (error) {
      this.logger.log('warn', `The models could not be applied (${describeError(error)}).`);
    } finally {
      release();
    }
  }

  /** Stops the running question (its partial answer is saved), saves, and lets go of every model and worker. */
  async dispose(): Promise<void> {
    for (const token of this.questions) token.cancel();
    await Promise.all([this.history.flush(), this.index.close(), this.model.dispose(), shutdownPdfWorkers(), this.models.dispose()]);
  }
}
