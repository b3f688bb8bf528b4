/**
 * Hugging Face ONNX models kept by the pipeline: `<modelsDir>/<owner>/<name>/` in the
 * transformers.js layout (the files `from_pretrained` would fetch), so a downloaded folder
 * loads exactly like a folder the user points at.
 *
 * A folder counts as downloaded only when its manifest lists every file with the size the
 * server announced and the files on disk have those sizes: a half-finished download is
 * never taken for a model. Every file of a download comes from one commit, is written under
 * a temporary name, resumed with HTTP Range and If-Range, and checked against the hash the
 * hub publishes before it takes its name (see resumableDownload.ts, and for why not a
 * library's downloader).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HUB_MODEL_ID, type DownloadProgress, type DownloadSize } from '../../protocol/models';
import type { RequestToken } from '../cancellation';
import { writeFileDurably } from '../durableFile';
import { acquireLock, type FileLock } from '../fileLock';
import { DTYPE_SUFFIX, type ModelDtype } from './modelFolder';
import { bytesOnDisk, downloadFile, type PublishedHash } from './resumableDownload';

/** Where model files come from; an environment variable only (tests point it at 127.0.0.1), never a workspace setting. */
export const MODEL_HOST_ENV = 'LOCAL_RAG_MODEL_HOST';
const DEFAULT_MODEL_HOST = 'https://huggingface.co';
const MANIFEST = 'local-rag-download.json';
/** Held while a process downloads into the folder: two windows never write the same part file. */
const DOWNLOAD_LOCK = 'local-rag-download.lock';
/** The int8 weights: a quarter of fp32's size and download, nearly the same vectors. */
export const HUB_DTYPE: ModelDtype = 'q8';
/** Speed is averaged over this window. */
const SPEED_WINDOW_MS = 5000;

export function modelHost(): string {
  return (process.env[MODEL_HOST_ENV] || DEFAULT_MODEL_HOST).replace(/\/+$/, '');
}

export interface HubModel {
  /** What the settings and the progress notifications call it. */
  id: string;
  /** The hub repository (`owner/name`) when it differs from `id` (a chat model's `hf:` URI). */
  repo?: string;
  /** `<modelsDir>/<owner>/<name>` */
  dir: string;
  /** Paths inside the folder, `/`-separated as on the hub. */
  files: string[];
}

export function isHubModelId(value: string): boolean {
  return HUB_MODEL_ID.test(value);
}

export function hubModel(id: string, modelsDir: string, dtype: ModelDtype = HUB_DTYPE): HubModel {
  if (!isHubModelId(id)) throw new Error(`"${id}" is not a Hugging Face model id (owner/name).`);
  const [owner, name] = id.split('/');
  return {
    id,
    dir: path.join(modelsDir, owner, name),
    files: ['config.json', 'tokenizer.json', 'tokenizer_config.json', `onnx/model${DTYPE_SUFFIX[dtype]}.onnx`],
  };
}

/** A file's address on the hub at `revision` (`main`, or the commit a download is pinned to). */
export function fileUrl(host: string, id: string, file: string, revision = 'main'): string {
  return `${host}/${id}/resolve/${encodeURIComponent(revision)}/${file.split('/').map(encodeURIComponent).join('/')}`;
}

interface Manifest {
  id: string;
  files: Record<string, number>;
  /** The commit the files were downloaded from. */
  revision?: string;
  /** The hash the hub published for each file, that it was checked against. */
  hashes?: Record<string, PublishedHash>;
}

function readManifest(model: HubModel): Manifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(model.dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

export function isDownloaded(model: HubModel): boolean {
  const manifest = readManifest(model);
  if (!manifest) return false;
  try {
    return model.files.every((file) => {
      const size = manifest.files[file];
      return typeof size === 'number' && fs.statSync(path.join(model.dir, file)).size === size;
    });
  } catch {
    return false;
  }
}

/** The files of a folder's manifest that are complete on disk (what a picker may offer). */
export function downloadedFiles(dir: string): string[] {
  const manifest = readManifest({ id: '', dir, files: [] });
  if (!manifest) return [];
  return Object.keys(manifest.files).filter((file) => isDownloaded({ id: '', dir, files: [file] }));
}

interface RemoteFile {
  file: string;
  /** Where the bytes are: the hub sends large files on to its CDN. */
  url: string;
  size: number;
  hash: PublishedHash;
}

interface RemoteModel {
  /** The commit every file is fetched from, resolved once per download. */
  revision: string;
  files: RemoteFile[];
}

/**
 * Asks the hub about every file without downloading anything, as huggingface_hub's
 * get_hf_file_metadata does: `main` is resolved to a commit once (`X-Repo-Commit`), and every
 * file is then asked for at that commit, so a push to the repository in the middle of a
 * download cannot mix two revisions. Redirects are not followed: the hub's own headers
 * (`X-Linked-Etag`, `X-Linked-Size`) describe an LFS file, and `Location` is where its bytes are.
 */
async function probe(model: HubModel, host: string, signal?: AbortSignal): Promise<RemoteModel> {
  const repo = model.repo ?? model.id;
  const first = await head(fileUrl(host, repo, model.files[0]), signal);
  const revision = first.headers.get('x-repo-commit');
  if (!revision || !/^[0-9a-f]{40}$/.test(revision)) {
    throw new Error(`${host} did not say which revision of ${repo} it serves (no X-Repo-Commit header); is it a Hugging Face hub?`);
  }
  const files = await Promise.all(
    model.files.map(async (file) => {
      const url = fileUrl(host, repo, file, revision);
      const response = await head(url, signal);
      const size = Number(response.headers.get('x-linked-size') ?? response.headers.get('content-length'));
      const etag = (response.headers.get('x-linked-etag') ?? response.headers.get('etag') ?? '').replace(/^W\//, '').replace(/"/g, '');
      const hash: PublishedHash | undefined = /^[0-9a-f]{64}$/.test(etag)
        ? { algorithm: 'sha256', hex: etag }
        : /^[0-9a-f]{40}$/.test(etag)
          ? { algorithm: 'git-sha1', hex: etag }
          : undefined;
      if (!hash) throw new Error(`${url} has no published hash (ETag "${etag}"), so a download could not be verified.`);
      if (!(Number.isSafeInteger(size) && size >= 0)) throw new Error(`${url} did not announce its size.`);
      const location = response.headers.get('location');
      return { file, url: location ? new URL(location, url).href : url, size, hash };
    }),
  );
  return { revision, files };
}

async function head(url: string, signal?: AbortSignal): Promise<Response> {
  const response = await fetch(url, { method: 'HEAD', redirect: 'manual', signal, headers: { 'accept-encoding': 'identity' } });
  if (response.status >= 400) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
  return response;
}

export async function downloadSize(model: HubModel, host = modelHost(), signal?: AbortSignal): Promise<DownloadSize> {
  const { files } = await probe(model, host, signal);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const onDisk = files.reduce((sum, file) => sum + Math.min(file.size, bytesOnDisk(path.join(model.dir, file.file))), 0);
  return { totalBytes, remainingBytes: totalBytes - onDisk, host: new URL(host).host };
}

export interface DownloadOptions {
  token: RequestToken;
  onProgress?(progress: DownloadProgress): void;
  host?: string;
}

/**
 * Downloads the model's files into its folder, resuming partial files. Resolves `false`
 * when cancelled (partial files kept), `true` when the folder is complete and verified.
 *
 * Another process (a second window) downloading the same model holds the folder's lock: this
 * one reports that it waits, then finds the files complete, or carries on where it stopped.
 */
export async function downloadHubModel(model: HubModel, options: DownloadOptions): Promise<boolean> {
  const { token } = options;
  if (isDownloaded(model)) return true;
  if (token.isCancelled) return false;
  let lock: FileLock | undefined;
  try {
    fs.mkdirSync(model.dir, { recursive: true });
    lock = await acquireLock(path.join(model.dir, DOWNLOAD_LOCK), {
      token,
      onWaiting: () => options.onProgress?.({ id: model.id, transferredBytes: 0, totalBytes: 0, percentage: 0, speed: 0, waitingForOtherWindow: true }),
    });
    if (isDownloaded(model)) return true;
    const remote = await probe(model, options.host ?? modelHost(), token.signal);
    const totalBytes = remote.files.reduce((sum, file) => sum + file.size, 0);
    let transferredBytes = remote.files.reduce((sum, file) => sum + Math.min(file.size, bytesOnDisk(path.join(model.dir, file.file))), 0);
    const samples: Array<{ at: number; bytes: number }> = [{ at: Date.now(), bytes: transferredBytes }];
    const onBytes = (count: number) => {
      transferredBytes += count;
      const now = Date.now();
      samples.push({ at: now, bytes: transferredBytes });
      while (samples.length > 2 && now - samples[0].at > SPEED_WINDOW_MS) samples.shift();
      const seconds = (now - samples[0].at) / 1000;
      options.onProgress?.({
        id: model.id,
        transferredBytes,
        totalBytes,
        percentage: totalBytes > 0 ? Math.min(100, (100 * transferredBytes) / totalBytes) : 0,
        speed: seconds > 0 ? Math.max(0, (transferredBytes - samples[0].bytes) / seconds) : 0,
      });
    };
    for (const { file, url, size, hash } of remote.files) {
      const dest = path.join(model.dir, ...file.split('/'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      await downloadFile({ url, dest, size, hash, signal: token.signal, onBytes });
    }
    await writeManifest(model, remote);
    return true;
  } catch (error) {
    if (token.isCancelled) return false;
    throw error;
  } finally {
    await lock?.release();
  }
}

/** Checks every file against the size its server announced, then marks the folder complete (durably). */
async function writeManifest(model: HubModel, remote: RemoteModel): Promise<void> {
  // Several models (chat model files of one repository) may share a folder and its manifest.
  const previous = readManifest(model);
  const files: Record<string, number> = { ...previous?.files };
  const hashes: Record<string, PublishedHash> = { ...previous?.hashes };
  for (const { file, size, hash } of remote.files) {
    const actual = fs.statSync(path.join(model.dir, file)).size;
    if (actual !== size) {
      fs.rmSync(path.join(model.dir, file), { force: true });
      throw new Error(`${file} of ${model.id} has ${actual} bytes instead of ${size}; it will be downloaded again.`);
    }
    files[file] = actual;
    hashes[file] = hash;
  }
  const manifest: Manifest = { id: model.repo ?? model.id, files, revision: remote.revision, hashes };
  await writeFileDurably(path.join(model.dir, MANIFEST), JSON.stringify(manifest, null, 2));
}
