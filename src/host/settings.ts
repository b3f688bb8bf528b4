/**
 * `localRag.*` settings as the pipeline needs them. In an untrusted workspace only the
 * user's own (global) values may choose a model file or size the work (threads, context,
 * answer length): a cloned repository must not be able to make the extension load a file
 * of its choosing or exhaust the machine. package.json lists the same settings under
 * `restrictedConfigurations`, so VS Code already drops their workspace values in Restricted
 * Mode; reading them through trustedValue keeps that true whatever the host does.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { HF_GGUF_URI, HUB_MODEL_ID } from '../protocol/models';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../protocol/settings';

const SECTION = 'localRag';

function trustedValue<T>(config: vscode.WorkspaceConfiguration, key: string): T | undefined {
  if (vscode.workspace.isTrusted) return config.get<T>(key);
  const inspected = config.inspect<T>(key);
  return inspected?.globalValue ?? inspected?.defaultValue;
}

export function resolveModelPath(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  if (!trimmed) return '';
  const expanded = trimmed.startsWith('~') ? path.join(os.homedir(), trimmed.slice(1)) : trimmed;
  if (path.isAbsolute(expanded)) return expanded;
  const folder = vscode.workspace.isTrusted ? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath : undefined;
  return folder ? path.resolve(folder, expanded) : path.resolve(os.homedir(), expanded);
}

/** The chat model setting: an `hf:` URI stays an URI (the pipeline downloads it on consent), anything else is a path. */
export function resolveChatModel(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  return HF_GGUF_URI.test(trimmed) ? trimmed : resolveModelPath(trimmed);
}

/**
 * An ONNX model setting: a Hugging Face id (`owner/name`) stays an id, unless a trusted
 * workspace has a folder of that relative path; anything else is a folder path.
 */
export function resolveOnnxModel(value: string | undefined): string {
  const trimmed = (value ?? '').trim();
  if (!HUB_MODEL_ID.test(trimmed)) return resolveModelPath(trimmed);
  const folder = vscode.workspace.isTrusted ? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath : undefined;
  const local = folder ? path.resolve(folder, trimmed) : undefined;
  return local && fs.existsSync(path.join(local, 'config.json')) ? local : trimmed;
}

export function readPipelineSettings(): PipelineSettings {
  const config = vscode.workspace.getConfiguration(SECTION);
  const gpuLayers = trustedValue<'auto' | number>(config, 'gpuLayers');
  return {
    chatModel: resolveChatModel(trustedValue<string>(config, 'chatModel')),
    gpuLayers: gpuLayers === 'auto' || (typeof gpuLayers === 'number' && gpuLayers >= 0) ? gpuLayers : DEFAULT_PIPELINE_SETTINGS.gpuLayers,
    threads: positiveInt(trustedValue<number>(config, 'threads'), DEFAULT_PIPELINE_SETTINGS.threads),
    contextSize: positiveInt(trustedValue<number>(config, 'contextSize'), DEFAULT_PIPELINE_SETTINGS.contextSize),
    embeddingModel: resolveOnnxModel(trustedValue<string>(config, 'embeddingModel')),
    embeddingQueryPrefix: config.get<string>('embeddingQueryPrefix') ?? DEFAULT_PIPELINE_SETTINGS.embeddingQueryPrefix,
    embeddingPassagePrefix: config.get<string>('embeddingPassagePrefix') ?? DEFAULT_PIPELINE_SETTINGS.embeddingPassagePrefix,
    rerankerModel: resolveOnnxModel(trustedValue<string>(config, 'rerankerModel')),
    maxAnswerTokens: positiveInt(trustedValue<number>(config, 'maxAnswerTokens'), DEFAULT_PIPELINE_SETTINGS.maxAnswerTokens) || DEFAULT_PIPELINE_SETTINGS.maxAnswerTokens,
    chunkSize: positiveInt(config.get<number>('chunkSize'), DEFAULT_PIPELINE_SETTINGS.chunkSize),
    chunkOverlap: positiveInt(config.get<number>('chunkOverlap'), DEFAULT_PIPELINE_SETTINGS.chunkOverlap),
    language: vscode.env.language,
    ...readServerSettings(config),
  };
}

/**
 * The model server settings. Restricted like the model files: a cloned repository must not
 * be able to send the user's questions, documents and API key to a server of its choosing.
 */
function readServerSettings(config: vscode.WorkspaceConfiguration): Pick<PipelineSettings, 'chatProvider' | 'serverBaseUrl' | 'serverChatModel' | 'serverEmbeddingModel' | 'serverRerankerModel' | 'serverFirstByteTimeoutMs'> {
  const seconds = trustedValue<number>(config, 'server.firstByteTimeout');
  return {
    chatProvider: trustedValue<string>(config, 'chatProvider') === 'openaiCompatible' ? 'openaiCompatible' : 'embedded',
    serverBaseUrl: (trustedValue<string>(config, 'server.baseUrl') ?? '').trim(),
    serverChatModel: (trustedValue<string>(config, 'server.chatModel') ?? '').trim(),
    serverEmbeddingModel: (trustedValue<string>(config, 'server.embeddingModel') ?? '').trim(),
    serverRerankerModel: (trustedValue<string>(config, 'server.rerankerModel') ?? '').trim(),
    serverFirstByteTimeoutMs: typeof seconds === 'number' && seconds > 0 ? seconds * 1000 : DEFAULT_PIPELINE_SETTINGS.serverFirstByteTimeoutMs,
  };
}

function positiveInt(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 ? value : fallback;
}

export function affectsPipeline(event: vscode.ConfigurationChangeEvent): boolean {
  return event.affectsConfiguration(SECTION);
}
