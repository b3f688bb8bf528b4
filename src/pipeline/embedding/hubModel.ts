/**
 * Hugging Face ONNX models kept by the pipeline: `<modelsDir>/<owner>/<name>/` in the
 * transformers.js layout (the files `from_pretrained` would fetch), so a downloaded folder
 * loads exactly like a folder the user points at.
 *
 * A folder counts as downloaded only when its manifest lists every file with the size the
 * server announced and the files on disk have those sizes: a half-finished download is
 * never taken for a model. Each file is written under a temporary name and resumed with
 * HTTP Range (see resumableDownload.ts for why not a library's downloader).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { HUB_MODEL_ID, type DownloadProgress, type DownloadSize } from '../../protocol/models';
import type { CancellationToken } from '../cancellation';
import { DTYPE_SUFFIX, type ModelDtype } from './modelFolder';
import { bytesOnDisk, downloadFile } from './resumableDownload';

/** Where model files come from; an environment variable only (tests point it at 127.0.0.1), never a workspace setting. */
export const MODEL_HOST_ENV = 'LOCAL_RAG_MODEL_HOST';
const DEFAULT_MODEL_HOST = 'https://huggingface.co';
const MANIFEST = 'local-rag-download.json';
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

export function fileUrl(host: string, id: string, file: string): string {
  return `${host}/${id}/resolve/main/${file.split('/').map(encodeURIComponent).join('/')}`;
}

interface Manifest {
  id: string;
  files: Record<string, number>;
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
}

/** Asks the host about every file with HEAD (nothing is downloaded), following the hub's redirects. */
async function probe(model: HubModel, host: string, signal?: AbortSignal): Promise<RemoteFile[]> {
  return Promise.all(
    model.files.map(async (file) => {
      const url = fileUrl(host, model.repo ?? model.id, file);
      const response = await fetch(url, { method: 'HEAD', redirect: 'follow', signal });
      if (!response.ok) throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
      const size = Number(response.headers.get('content-length') ?? response.headers.get('x-linked-size'));
      return { file, url: response.url || url, size: Number.isFinite(size) && size > 0 ? size : 0 };
    }),
  );
}

export async function downloadSize(model: HubModel, host = modelHost(), signal?: AbortSignal): Promise<DownloadSize> {
  const files = await probe(model, host, signal);
  const totalBytes = files.reduce((sum, file) => sum + file.size, 0);
  const onDisk = files.reduce((sum, file) => sum + Math.min(file.size, bytesOnDisk(path.join(model.dir, file.file))), 0);
  return { totalBytes, remainingBytes: totalBytes - onDisk, host: new URL(host).host };
}

export interface DownloadOptions {
  token: CancellationToken;
  onProgress?(progress: DownloadProgress): void;
  host?: string;
}

/**
 * Downloads the model's files into its folder, resuming partial files. Resolves `false`
 * when cancelled (partial files kept), `true` when the folder is complete and verified.
 */
export async function downloadHubModel(model: HubModel, options: DownloadOptions): Promise<boolean> {
  const { token } = options;
  if (isDownloaded(model)) return true;
  if (token.isCancelled) return false;
  try {
    const remote = await probe(model, options.host ?? modelHost(), token.signal);
    const totalBytes = remote.reduce((sum, file) => sum + file.size, 0);
    let transferredBytes = remote.reduce((sum, file) => sum + Math.min(file.size, bytesOnDisk(path.join(model.dir, file.file))), 0);
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
        speed: seconds > 0 ? (transferredBytes - samples[0].bytes) / seconds : 0,
      });
    };
    for (const { file, url, size } of remote) {
      const dest = path.join(model.dir, ...file.split('/'));
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      await downloadFile({ url, dest, size, signal: token.signal, onBytes });
    }
    writeManifest(model, remote.map((file) => file.size));
    return true;
  } catch (error) {
    if (token.isCancelled) return false;
    throw error;
  }
}

/** Checks every file against the size its server announced, then marks the folder complete (atomically). */
function writeManifest(model: HubModel, sizes: number[]): void {
  // Several models (chat model files of one repository) may share a folder and its manifest.
  const files: Record<string, number> = { ...readManifest(model)?.files };
  model.files.forEach((file, index) => {
    const actual = fs.statSync(path.join(model.dir, file)).size;
    if (sizes[index] > 0 && actual !== sizes[index]) {
      fs.rmSync(path.join(model.dir, file), { force: true });
      throw new Error(`${file} of ${model.id} has ${actual} bytes instead of ${sizes[index]}; it will be downloaded again.`);
    }
    files[file] = actual;
  });
  const temp = path.join(model.dir, `${MANIFEST}.tmp`);
  fs.writeFileSync(temp, JSON.stringify({ id: model.repo ?? model.id, files } satisfies Manifest, null, 2));
  fs.renameSync(temp, path.join(model.dir, MANIFEST));
}
