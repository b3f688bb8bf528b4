/**
 * The chat model as a download: `localRag.chatModel` holds a GGUF path or an `hf:` file URI.
 * An URI is fetched, on the user's consent, by the same resumable hub download as the ONNX
 * models (hubModel.ts) into `<modelsDir>/<owner>/<repo>/<file>`; an empty setting means the
 * default model (DEFAULT_CHAT_MODEL) once it is downloaded, and offers it until then.
 *
 * Why not node-llama-cpp's createModelDownloader (ipull): measured here with
 * `deleteTempFileOnCancel: false`, a cancelled download left nothing on disk and the next
 * one fetched the file from its first byte — no resume, which a 1 GB file needs.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_CHAT_MODEL, HF_GGUF_URI, type DownloadedChatModel, type MissingModel } from '../../protocol/models';
import type { PipelineSettings } from '../../protocol/settings';
import { downloadedFiles, isDownloaded, type HubModel } from '../embedding/hubModel';

export function isChatModelUri(value: string): boolean {
  return HF_GGUF_URI.test(value.trim());
}

/** The one-file hub model an `hf:owner/repo/file.gguf` URI names. */
export function ggufHubModel(uri: string, modelsDir: string): HubModel {
  const match = HF_GGUF_URI.exec(uri.trim());
  if (!match) throw new Error(`"${uri}" is not a chat model URI of the form hf:<owner>/<repo>/<file>.gguf.`);
  const [, repo, file] = match;
  return { id: uri.trim(), repo, dir: path.join(modelsDir, ...repo.split('/')), files: [file] };
}

export type ChatModelState = { kind: 'file'; path: string } | { kind: 'missing'; model: MissingModel; isDefault: boolean };

/** What `localRag.chatModel` points at now: a file to load, or a download to offer. */
export function chatModelState(value: string, modelsDir: string): ChatModelState {
  const trimmed = value.trim();
  const uri = trimmed || DEFAULT_CHAT_MODEL;
  if (trimmed && !isChatModelUri(trimmed)) return { kind: 'file', path: trimmed };
  const hub = ggufHubModel(uri, modelsDir);
  if (isDownloaded(hub)) return { kind: 'file', path: path.join(hub.dir, hub.files[0]) };
  return { kind: 'missing', model: { role: 'chat', id: uri }, isDefault: !trimmed };
}

/** Every chat model file downloaded completely into `<modelsDir>/<owner>/<repo>/`. */
export function listDownloadedChatModels(modelsDir: string): DownloadedChatModel[] {
  const found: DownloadedChatModel[] = [];
  for (const owner of subfolders(modelsDir)) {
    for (const repo of subfolders(path.join(modelsDir, owner))) {
      const dir = path.join(modelsDir, owner, repo);
      for (const file of downloadedFiles(dir)) {
        const uri = `hf:${owner}/${repo}/${file}`;
        if (!isChatModelUri(uri)) continue;
        const filePath = path.join(dir, file);
        found.push({ uri, path: filePath, bytes: fs.statSync(filePath).size });
      }
    }
  }
  return found;
}

function subfolders(dir: string): string[] {
  try {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => (entry.isDirectory() ? [entry.name] : []));
  } catch {
    return [];
  }
}

/**
 * The settings as the chat service needs them: `chatModel` is the file to load, or empty
 * while the model is still to be downloaded (answers then quote passages and say how to
 * get a model).
 */
export function withChatModelFile(settings: PipelineSettings, modelsDir: string): PipelineSettings {
  const state = chatModelState(settings.chatModel, modelsDir);
  return { ...settings, chatModel: state.kind === 'file' ? state.path : '' };
}
