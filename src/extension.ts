/** activate(): wires the host parts together, nothing else. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { AgentHandlers } from './host/agentEntryPoints';
import { AskQuickPick } from './host/askQuickPick';
import { ChatController } from './host/chatController';
import { ChatViewProvider, CHAT_VIEW_ID } from './host/chatViewProvider';
import { registerCommands } from './host/commands';
import { IndexController } from './host/indexController';
import { DocsParticipant } from './host/docsParticipant';
import { DocsTool } from './host/docsTool';
import { createLog, writeLog } from './host/log';
import { registerMcpServerProvider } from './host/mcpServerProvider';
import { ModelDownloads } from './host/modelDownloads';
import { ModelPicker } from './host/modelPicker';
import { ModelStatus } from './host/modelStatus';
import { reportFailure, reportKeptAside } from './host/notifications';
import { PipelineClient } from './host/pipelineClient';
import { affectsPipeline, readPipelineSettings } from './host/settings';
import { ServerApiKey } from './host/serverApiKey';
import { workspaceStorageDir } from './host/storageLocation';
import type { PipelineSettings } from './protocol/settings';

export interface LocalRagApi {
  /** The pipeline process's id, for tests that check restarts. */
  pipelinePid(): number | undefined;
  /** The index's folder (this workspace's), for tests that hold its lock as another window would. */
  indexDir: string;
  controller: ChatController;
  indexing: IndexController;
  models: ModelDownloads;
  /** Ask About Workspace Docs' quick-pick sessions (a test drives the real widget through them). */
  askQuickPick: AskQuickPick;
  /** Select Model's items and choice (a test cannot click a quick-pick). */
  modelPicker: ModelPicker;
  /** The chat model's status bar item: the device it runs on. */
  modelStatus: ModelStatus;
  /** The chat view's provider: src/activation.ts hands it a view opened before the host loaded. */
  view: ChatViewProvider;
  /** What src/activation.ts's #docs tool and @docs participant call; `unavailable`: why any agent entry point is missing (also logged). */
  agents: AgentHandlers & { unavailable: string[] };
}

let pipeline: PipelineClient | undefined;

/** `entryUnavailable`: the agent entry points the entry point could not register, and why. */
export function activate(context: vscode.ExtensionContext, entryUnavailable: readonly string[] = []): LocalRagApi {
  const log = createLog();
  const storageDir = workspaceStorageDir(context);
  const apiKey = new ServerApiKey(context.secrets, () => readPipelineSettings().serverBaseUrl);
  const pipelineSettings = (): PipelineSettings => ({ ...readPipelineSettings(), ...(apiKey.current ? { serverApiKey: apiKey.current } : {}) });
  const client = new PipelineClient({
    pipelineScript: path.join(context.extensionPath, 'dist', 'pipeline.js'),
    storageDir,
    // Downloaded models are shared by every workspace.
    modelsDir: path.join(context.globalStorageUri.fsPath, 'models'),
    settings: pipelineSettings,
    log: (level, message, details) => {
      writeLog(log, level, message);
      if (details?.keptAside) reportKeptAside(details.keptAside, log);
    },
    messages: {
      exited: (code, signal) =>
        signal
          ? vscode.l10n.t('The Local RAG pipeline process was killed ({0}). Ask again to start a fresh one; the log (Local RAG: Show Log) has details.', signal)
          : vscode.l10n.t('The Local RAG pipeline process exited with code {0}. Ask again to start a fresh one; the log (Local RAG: Show Log) has details.', String(code)),
      failed: (reason) => vscode.l10n.t('The Local RAG pipeline could not answer ({0}). Ask again to restart it; the log (Local RAG: Show Log) has details.', reason),
    },
    onModelsState: (state) => {
      models.onState(state);
      // What search uses follows the models: the index item's tooltip says it.
      void indexing.refresh();
    },
    onDevice: (device) => modelStatus.onDevice(device),
  });
  const models = new ModelDownloads(client, context.globalState, log);
  // The key comes from SecretStorage, asynchronously: the pipeline hears it once it is read.
  apiKey.onDidChange(() => client.configure(pipelineSettings()));
  const modelStatus = new ModelStatus(log, () => readPipelineSettings().chatModel, () => {
    const settings = readPipelineSettings();
    return settings.chatProvider === 'openaiCompatible' ? { baseUrl: settings.serverBaseUrl, model: settings.serverChatModel } : undefined;
  });
  const modelPicker = new ModelPicker(client, models, () => apiKey.current);
  pipeline = client;
  const controller = new ChatController(client);
  const view = new ChatViewProvider(context.extensionUri, controller, log);
  const askQuickPick = new AskQuickPick(controller, view, log);
  const indexFile = path.join(storageDir, 'index', 'manifest.json');
  const indexing = new IndexController(client, log, () => fs.existsSync(indexFile));
  void indexing.refresh();
  const mcp = registerMcpServerProvider({
    extensionPath: context.extensionPath,
    version: String((context.extension.packageJSON as { version?: string }).version ?? ''),
    store: path.join(storageDir, 'index'),
    settings: readPipelineSettings,
  });
  const agents = {
    tool: new DocsTool((params, token) => client.search(params, token)),
    participant: new DocsParticipant(controller),
    unavailable: [...entryUnavailable, ...(mcp.unavailable ? [mcp.unavailable] : [])],
  };
  agents.unavailable.forEach((reason) => log.info(reason));
  // A workspace opened for the first time can be indexed at once, so the first question finds its files.
  if (vscode.workspace.getConfiguration('localRag').get<boolean>('indexOnOpen') && vscode.workspace.workspaceFolders?.length && !fs.existsSync(indexFile)) {
    void indexing.indexWorkspace();
  }

  context.subscriptions.push(
    log,
    view,
    vscode.window.registerWebviewViewProvider(CHAT_VIEW_ID, view),
    indexing,
    indexing.onDidChangeStatus((status) => view.showIndexState(status)),
    askQuickPick,
    ...registerCommands(controller, view, log, askQuickPick),
    vscode.commands.registerCommand('localRag.indexWorkspace', () => indexing.indexWorkspace()),
    vscode.commands.registerCommand('localRag.indexFile', (uri?: vscode.Uri) => indexing.indexFile(uri)),
    vscode.commands.registerCommand('localRag.showIndexSummary', () => indexing.showSummary()),
    vscode.commands.registerCommand('localRag.downloadModels', () => models.downloadMissing()),
    modelStatus,
    apiKey,
    // A key given as the argument (scripts, the integration test) skips the input box.
    vscode.commands.registerCommand('localRag.setServerApiKey', (key?: unknown) => apiKey.set(typeof key === 'string' ? key : undefined)),
    vscode.commands.registerCommand('localRag.selectModel', (choice?: string | vscode.Uri) => modelPicker.run(choice)),
    vscode.commands.registerCommand('localRag.downloadChatModel', () => modelPicker.downloadDefault()),
    controller.onUpdate((update) => {
      if (update.type === 'event' && 'error' in update.event) reportFailure(update.event, log);
    }),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('localRag.server.baseUrl')) apiKey.follow();
      if (affectsPipeline(event)) client.configure(pipelineSettings());
      if (['localRag.chatModel', 'localRag.chatProvider', 'localRag.server'].some((key) => event.affectsConfiguration(key))) modelStatus.render();
      // New chunk sizes mean new chunks: the indexed workspace is cut again (unchanged files too).
      const rechunk = event.affectsConfiguration('localRag.chunkSize') || event.affectsConfiguration('localRag.chunkOverlap');
      if (rechunk && fs.existsSync(indexFile)) void indexing.indexWorkspace();
    }),
    vscode.workspace.onDidGrantWorkspaceTrust(() => client.configure(pipelineSettings())),
    ...(mcp.disposable ? [mcp.disposable] : []),
  );
  return { pipelinePid: () => client.pid, indexDir: path.join(storageDir, 'index'), controller, indexing, models, askQuickPick, modelPicker, modelStatus, view, agents };
}

/** Lets the pipeline save its history and exit before the extension host goes. */
export async function deactivate(): Promise<void> {
  await pipeline?.dispose();
  pipeline = undefined;
}
