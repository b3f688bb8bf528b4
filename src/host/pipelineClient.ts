/**
 * The extension host's handle on the pipeline child process: forks it, talks JSON-RPC over
 * the IPC channel, and starts a fresh one when it dies. A request in flight when the
 * process dies ends with an `{error}` event, never a hang.
 *
 * Deliberately free of `vscode` imports: tests and benchmarks drive the real client
 * against the real pipeline process from plain Node.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { CancellationToken, Disposable, type MessageConnection } from 'vscode-jsonrpc';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter } from 'vscode-jsonrpc/node';
import { isTerminalEvent, type ChatEvent, type ChatTurn, type Source, type TerminalEvent } from '../protocol/events';
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
  IndexWorkspaceRequest,
  IndexProgressNotification,
  IndexStatusRequest,
  InitializeRequest,
  ListChatModelsRequest,
  LogNotification,
  ModelSizeRequest,
  ModelsStateNotification,
  RemoveFilesRequest,
  SearchRequest,
  type ChatParams,
  type DeviceInfo,
  type LogLevel,
  type LogParams,
  type SearchParams,
} from '../protocol/rpc';
import type { ConversationSummary } from '../protocol/conversations';
import type { FileRef, IndexProgress, IndexReport, IndexStatus, WorkspaceRunReport, WorkspaceScope } from '../protocol/indexing';
import type { DownloadedChatModel, DownloadProgress, DownloadResult, DownloadSize, MissingModel, ModelsState } from '../protocol/models';
import type { PipelineSettings } from '../protocol/settings';

export interface PipelineClientOptions {
  /** The built pipeline bundle (dist/pipeline.js). */
  pipelineScript: string;
  storageDir: string;
  /** Where downloaded models live (the extension's global storage); default `<storageDir>/models`. */
  modelsDir?: string;
  settings(): PipelineSettings;
  /** `details` carries what the pipeline asks the host to show (a kept-aside file). */
  log(level: LogLevel, message: string, details?: Pick<LogParams, 'keptAside'>): void;
  onDevice?(device: DeviceInfo): void;
  /** After every change of settings: the models that wait for a download. */
  onModelsState?(state: ModelsState): void;
  /** Extra environment for the child (tests pin threads or GPU use here). */
  env?: NodeJS.ProcessEnv;
  /** What a question is told when the pipeline goes away, in the user's language (default English). */
  messages?: PipelineFailureMessages;
  /**
   * How long to wait for the pipeline to confirm a Stop before ending the request here.
   * The pipeline answers in milliseconds; this only guards against a wedged process.
   */
  stopGraceMs?: number;
}

interface Running {
  child: ChildProcess;
  connection: MessageConnection;
  ready: Promise<void>;
  /** Settles with what a request is told once the process has gone away. */
  exited: Promise<string>;
}

type Deliver = (event: ChatEvent) => void;

export interface PipelineFailureMessages {
  exited(code: number | null, signal: string | null): string;
  failed(reason: string): string;
}

const ENGLISH_FAILURES: PipelineFailureMessages = {
  exited: (code, signal) =>
    `The Local RAG pipeline process ${signal ? `was killed (${signal})` : `exited with code ${code}`}. Ask again to start a fresh one; the log (Local RAG: Show Log) has details.`,
  failed: (reason) => `The Local RAG pipeline could not answer (${reason}). Ask again to restart it; the log (Local RAG: Show Log) has details.`,
};

export class PipelineClient {
  private running: Running | undefined;
  private readonly inFlight = new Map<string, Deliver>();
  private indexProgress: ((progress: IndexProgress) => void) | undefined;
  private readonly downloadProgress = new Map<string, (progress: DownloadProgress) => void>();
  private disposed = false;

  constructor(private readonly options: PipelineClientOptions) {}

  get pid(): number | undefined {
    return this.running?.child.pid;
  }

  /**
   * Runs one chat request. Every event is passed to `onEvent`, the terminal one last; the
   * promise resolves with that terminal event. Cancelling `token` stops the request.
   * The pipeline notifies the events before the end and answers the request with the end;
   * `deliver` passes on one terminal event, whichever of the response, a dead process or
   * the Stop grace timer comes first.
   */
  async chat(params: ChatParams, token: CancellationToken, onEvent: (event: ChatEvent) => void): Promise<TerminalEvent> {
    return new Promise<TerminalEvent>((resolve) => {
      let terminal: TerminalEvent | undefined;
      let graceTimer: NodeJS.Timeout | undefined;
      const subscriptions: Disposable[] = [];
      const deliver: Deliver = (event) => {
        if (terminal) return;
        if (isTerminalEvent(event)) {
          terminal = event;
          this.inFlight.delete(params.requestId);
          clearTimeout(graceTimer);
          subscriptions.forEach((subscription) => subscription.dispose());
        }
        onEvent(event);
        if (terminal) resolve(terminal);
      };
      this.inFlight.set(params.requestId, deliver);

      let sent = false;
      const onCancel = () => {
        // Still waiting for the pipeline process to start: nothing ran, end it now.
        if (!sent) {
          deliver({ requestId: params.requestId, cancelled: true });
          return;
        }
        const grace = this.options.stopGraceMs ?? 3000;
        graceTimer = setTimeout(() => {
          this.options.log('warn', `The pipeline did not confirm Stop of ${params.requestId} within ${grace} ms; ending it here.`);
          deliver({ requestId: params.requestId, cancelled: true });
        }, grace);
      };
      if (token.isCancellationRequested) {
        deliver({ requestId: params.requestId, cancelled: true });
        return;
      }
      subscriptions.push(token.onCancellationRequested(onCancel));

      this.ensureStarted()
        .then((connection) => {
          if (terminal) return undefined;
          if (token.isCancellationRequested) {
            deliver({ requestId: params.requestId, cancelled: true });
            return undefined;
          }
          sent = true;
          return connection.sendRequest(ChatRequest, params, token).then(deliver);
        })
        .catch((error: unknown) => {
          deliver({ requestId: params.requestId, error: this.describeFailure(error), code: 'pipelineExited' });
        });
    });
  }

  async getHistory(): Promise<ChatTurn[]> {
    return this.request((connection) => connection.sendRequest(GetHistoryRequest));
  }

  async clearHistory(): Promise<void> {
    await this.request((connection) => connection.sendRequest(ClearHistoryRequest));
  }

  async listConversations(): Promise<ConversationSummary[]> {
    return this.request((connection) => connection.sendRequest(ListConversationsRequest));
  }

  /** Continues an earlier conversation; undefined when it is gone. */
  async openConversation(id: string): Promise<ChatTurn[] | undefined> {
    return (await this.request((connection) => connection.sendRequest(OpenConversationRequest, { id }))) ?? undefined;
  }

  /** Indexes files (unchanged ones are skipped by the pipeline); Cancel keeps what was done. */
  indexFiles(files: FileRef[], token: CancellationToken, onProgress: (progress: IndexProgress) => void = () => {}): Promise<IndexReport> {
    const nothingDone: IndexReport = { indexed: 0, unchanged: 0, failed: [], cancelled: true };
    return this.indexRun((connection) => connection.sendRequest(IndexFilesRequest, { files }, token), nothingDone, token, onProgress);
  }

  /** Index Workspace: the pipeline finds the files of `scope` and indexes them; Cancel keeps what was done. */
  indexWorkspace(scope: WorkspaceScope, token: CancellationToken, onProgress: (progress: IndexProgress) => void): Promise<WorkspaceRunReport> {
    const nothingDone: WorkspaceRunReport = { indexed: 0, unchanged: 0, failed: [], cancelled: true, skippedFound: [], found: 0, leftOutFirst: [], searchCut: false };
    return this.indexRun((connection) => connection.sendRequest(IndexWorkspaceRequest, scope, token), nothingDone, token, onProgress);
  }

  private async indexRun<R>(send: (connection: MessageConnection) => Promise<R>, nothingDone: R, token: CancellationToken, onProgress: (progress: IndexProgress) => void): Promise<R> {
    // Cancelled while the pipeline process starts: nothing was read, end it now.
    let subscription: Disposable | undefined;
    const cancelled = new Promise<undefined>((resolve) => {
      subscription = token.onCancellationRequested(() => resolve(undefined));
      if (token.isCancellationRequested) resolve(undefined);
    });
    const connection = await Promise.race([this.ensureStarted(), cancelled]).finally(() => subscription?.dispose());
    if (!connection || token.isCancellationRequested) return nothingDone;
    this.indexProgress = onProgress;
    try {
      return await this.request(send);
    } finally {
      if (this.indexProgress === onProgress) this.indexProgress = undefined;
    }
  }

  /** How much the model's download would fetch. */
  async modelSize(model: MissingModel): Promise<DownloadSize> {
    return this.request((connection) => connection.sendRequest(ModelSizeRequest, model));
  }

  /** Downloads a model (resuming a partial one); Cancel keeps the partial files. */
  async downloadModel(model: MissingModel, token: CancellationToken, onProgress: (progress: DownloadProgress) => void = () => {}): Promise<DownloadResult> {
    await this.ensureStarted();
    if (token.isCancellationRequested) return { completed: false };
    this.downloadProgress.set(model.id, onProgress);
    try {
      return await this.request((connection) => connection.sendRequest(DownloadModelRequest, model, token));
    } finally {
      if (this.downloadProgress.get(model.id) === onProgress) this.downloadProgress.delete(model.id);
    }
  }

  /** The chat models downloaded into the models folder. */
  async listChatModels(): Promise<DownloadedChatModel[]> {
    return this.request((connection) => connection.sendRequest(ListChatModelsRequest));
  }

  async removeFiles(paths: string[]): Promise<number> {
    return this.request((connection) => connection.sendRequest(RemoveFilesRequest, { paths }));
  }

  async indexStatus(): Promise<IndexStatus> {
    return this.request((connection) => connection.sendRequest(IndexStatusRequest));
  }

  /** The index's best passages for a query (the `#docs` tool); cancelling `token` stops the search. */
  async search(params: SearchParams, token: CancellationToken): Promise<Source[]> {
    return this.request((connection) => connection.sendRequest(SearchRequest, params, token));
  }

  configure(settings: PipelineSettings): void {
    this.running?.connection.sendNotification(ConfigureNotification, settings).catch(() => {});
  }

  /** Starts the pipeline process now (it otherwise starts with the first request). */
  async start(): Promise<void> {
    await this.ensureStarted();
  }

  /** Ends the pipeline process; resolves when it has exited (killed if it lingers). */
  async dispose(): Promise<void> {
    this.disposed = true;
    const running = this.running;
    this.running = undefined;
    if (!running) return;
    const { child, connection } = running;
    const exited = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    // Closing the IPC channel is the pipeline's signal to save and exit on its own.
    connection.dispose();
    child.disconnect?.();
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }

  /**
   * Sends a request on the running process. When the process dies under it, the caller is
   * told so in the user's words, not with the RPC library's "connection got disposed".
   */
  private async request<R>(send: (connection: MessageConnection) => Promise<R>): Promise<R> {
    await this.ensureStarted();
    const running = this.running!;
    try {
      return await send(running.connection);
    } catch (error) {
      const gone = running.child.exitCode !== null || running.child.signalCode !== null || !running.child.connected;
      const message = gone ? await Promise.race([running.exited, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 1000))]) : undefined;
      throw message ? new Error(message) : error;
    }
  }

  private async ensureStarted(): Promise<MessageConnection> {
    if (this.disposed) throw new Error('Local RAG is shutting down.');
    this.running ??= this.spawn();
    await this.running.ready;
    return this.running.connection;
  }

  private spawn(): Running {
    const { log } = this.options;
    const child = fork(this.options.pipelineScript, [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      execArgv: [],
      // Inside the editor process.execPath is Electron; this makes it behave as Node.
      env: { ...process.env, ELECTRON_RUN_AS_NODE: '1', ...this.options.env },
    });
    // Libraries print their own warnings to stderr (node-llama-cpp says there why a GPU
    // backend was not usable), so stderr lines are logged as warnings, not lost as noise.
    if (child.stdout) createInterface({ input: child.stdout }).on('line', (line) => log('info', `[pipeline] ${line}`));
    if (child.stderr) createInterface({ input: child.stderr }).on('line', (line) => log('warn', `[pipeline] ${line}`));
    const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    connection.onNotification(ChatEventNotification, (event) => this.inFlight.get(event.requestId)?.(event));
    connection.onNotification(LogNotification, ({ level, message, keptAside }) => log(level, message, keptAside ? { keptAside } : undefined));
    connection.onNotification(IndexProgressNotification, (progress) => this.indexProgress?.(progress));
    connection.onNotification(DeviceNotification, (device) => this.options.onDevice?.(device));
    connection.onNotification(ModelsStateNotification, (state) => this.options.onModelsState?.(state));
    connection.onNotification(DownloadProgressNotification, (progress) => this.downloadProgress.get(progress.id)?.(progress));
    connection.onError(([error]) => log('warn', `Pipeline connection: ${error.message}`));
    connection.listen();

    let exited!: (message: string) => void;
    const running: Running = {
      child,
      connection,
      exited: new Promise<string>((resolve) => (exited = resolve)),
      ready: connection
        .sendRequest(InitializeRequest, { storageDir: this.options.storageDir, modelsDir: this.options.modelsDir, settings: this.options.settings() })
        .then(({ pid }) => log('info', `Pipeline process ${pid} started.`)),
    };
    // A failed start (initialize rejected, or the child gone before it answered) ends and
    // forgets this child, so the next request starts a fresh one instead of failing forever.
    let startFailed = false;
    running.ready.catch((error: unknown) => {
      if (this.running !== running) return;
      this.running = undefined;
      startFailed = true;
      log('error', `The pipeline process ${child.pid} could not start: ${error instanceof Error ? error.message : String(error)}`);
      connection.dispose();
      child.kill('SIGKILL');
    });

    // A failed `send` to a dead child is reported here instead of being thrown.
    child.on('error', (error) => log('warn', `Pipeline process: ${error.message}`));
    child.on('exit', (code, signal) => {
      if (this.running === running) this.running = undefined;
      const message = (this.options.messages ?? ENGLISH_FAILURES).exited(code, signal);
      // Before the connection is disposed: the requests it rejects then read this message.
      exited(message);
      connection.dispose();
      // After a failed start the requests in flight belong to the next process, not this one.
      if (this.disposed || startFailed) return;
      const how = signal ? `was killed (${signal})` : `exited with code ${code}`;
      log(code === 0 && !signal ? 'info' : 'error', `Pipeline process ${child.pid} ${how}.`);
      for (const [requestId, deliver] of [...this.inFlight]) deliver({ requestId, error: message, code: 'pipelineExited' });
    });
    return running;
  }

  private describeFailure(error: unknown): string {
    const reason = error instanceof Error ? error.message : String(error);
    return (this.options.messages ?? ENGLISH_FAILURES).failed(reason);
  }
}
