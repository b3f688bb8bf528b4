/**
 * The host ⇄ pipeline contract (JSON-RPC over the fork IPC channel). Cancellation of a
 * chat request travels as vscode-jsonrpc's `$/cancelRequest`.
 */
import { NotificationType, RequestType, RequestType0 } from 'vscode-jsonrpc';
import type { ConversationSummary } from './conversations';
import type { ChatEvent, ChatTurn, Source, TerminalEvent } from './events';
import type { FileRef, IndexProgress, IndexReport, IndexStatus, WorkspaceRunReport, WorkspaceScope } from './indexing';
import type { DownloadedChatModel, DownloadProgress, DownloadResult, DownloadSize, MissingModel, ModelsState } from './models';
import type { PipelineSettings } from './settings';

export interface InitializeParams {
  /** Folder for this workspace's state (chat history, later the index). */
  storageDir: string;
  /** Where downloaded models live, shared by all workspaces (default: `<storageDir>/models`). */
  modelsDir?: string;
  settings: PipelineSettings;
}
export interface InitializeResult {
  pid: number;
}
export const InitializeRequest = new RequestType<InitializeParams, InitializeResult, void>('initialize');

export const ConfigureNotification = new NotificationType<PipelineSettings>('configure');

export interface ChatParams {
  /** Chosen by the host so it can route events before the pipeline answers. */
  requestId: string;
  question: string;
  /**
   * A file attached to the question: read (FILE_EXTRACTION) and summarized (SUMMARIZATION)
   * before the question is answered from it, citing it.
   */
  attachment?: FileRef;
  /** Regenerate: the answer replaces the conversation's last turn instead of following it. */
  replaceLast?: boolean;
}
/**
 * The request resolves with the terminal event (done, cancelled or error), which is sent
 * no other way; the events before it are `chat/event` notifications, which the one channel
 * delivers before the response.
 */
export const ChatRequest = new RequestType<ChatParams, TerminalEvent, void>('chat');

/** A chat request's events before its end: phases, sources, content. */
export const ChatEventNotification = new NotificationType<Exclude<ChatEvent, TerminalEvent>>('chat/event');

export const GetHistoryRequest = new RequestType0<ChatTurn[], void>('history/get');
/** New Chat: the current conversation is kept among the earlier ones, and a fresh one begins. */
export const ClearHistoryRequest = new RequestType0<void, void>('history/clear');
/** The earlier conversations, newest first. */
export const ListConversationsRequest = new RequestType0<ConversationSummary[], void>('history/list');
/** Continues an earlier conversation; resolves with its turns, null when there is no such id. */
export const OpenConversationRequest = new RequestType<{ id: string }, ChatTurn[] | null, void>('history/open');

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
export interface LogParams {
  level: LogLevel;
  message: string;
  /**
   * A damaged file the pipeline moved aside instead of overwriting (chat history): the host
   * tells the user which file was kept, not only the log.
   */
  keptAside?: { file: string; movedTo: string };
}
export const LogNotification = new NotificationType<LogParams>('log');

/** What the pipeline found about the compute device, for the log and the status bar. */
export interface DeviceInfo {
  gpu: string | false;
  deviceNames: string[];
  threads: number;
  gpuLayers: number;
  /** The GGUF file that was loaded. */
  modelPath?: string;
  /** The model's own name from its GGUF metadata (general.name), e.g. "Qwen2.5 1.5B Instruct". */
  modelName?: string;
  /** Set when the GPU was wanted but the model runs on the CPU: why (the host warns visibly). */
  fallback?: string;
}
export const DeviceNotification = new NotificationType<DeviceInfo>('device');

/** Indexes (or re-indexes when changed) these files; cancellable, progress as notifications. */
export const IndexFilesRequest = new RequestType<{ files: FileRef[] }, IndexReport, void>('index/files');
/**
 * Index Workspace: the pipeline finds the files (include, exclude, each folder's .gitignore,
 * links that stay inside their folder), drops what became unreadable, then indexes them.
 * The host never holds the list: finding 50,000 files there stalled the editor for seconds.
 */
export const IndexWorkspaceRequest = new RequestType<WorkspaceScope, WorkspaceRunReport, void>('index/workspace');
export const IndexProgressNotification = new NotificationType<IndexProgress>('index/progress');
/** Forgets files by display path; resolves with how many were indexed. */
export const RemoveFilesRequest = new RequestType<{ paths: string[] }, number, void>('index/remove');
export const IndexStatusRequest = new RequestType0<IndexStatus, void>('index/status');

export interface SearchParams {
  query: string;
  /** How many passages (default 5, at most 50). */
  k?: number;
  /** Only files whose display path matches this glob (`docs/**`, `**\/*.md`). */
  path?: string;
}
/** The index's best passages for a query, for agents (the `#docs` tool); cancellable. */
export const SearchRequest = new RequestType<SearchParams, Source[], void>('index/search');

/** What the model settings wait for; sent after every change of settings. */
export const ModelsStateNotification = new NotificationType<ModelsState>('models/state');
/** How much a model's download would fetch (asks its host; nothing is written). */
export const ModelSizeRequest = new RequestType<MissingModel, DownloadSize, void>('models/size');
/**
 * Downloads a model into the models folder (resuming a partial one), then loads it if the
 * settings still name it. Cancellable (`$/cancelRequest`); progress as notifications.
 */
export const DownloadModelRequest = new RequestType<MissingModel, DownloadResult, void>('models/download');
export const DownloadProgressNotification = new NotificationType<DownloadProgress>('models/progress');
/** The chat models downloaded completely into the models folder, for Select Model. */
export const ListChatModelsRequest = new RequestType0<DownloadedChatModel[], void>('models/chat/list');
