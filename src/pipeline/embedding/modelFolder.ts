/**
 * What the embedder and the reranker share: checking a Hugging Face ONNX model folder
 * before handing it to the ONNX worker (so a bad folder fails with its name in the message,
 * not with a library's riddle), and a model identity that changes when the model does.
 * File system only: transformers.js itself runs in the worker (worker/transformers.ts).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

/** ONNX weight variants of a folder, by transformers.js `dtype` (file `onnx/model<suffix>.onnx`). */
export const DTYPE_SUFFIX = {
  fp32: '',
  fp16: '_fp16',
  int8: '_int8',
  uint8: '_uint8',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
} as const;

export type ModelDtype = keyof typeof DTYPE_SUFFIX;

/** A model folder that is missing, incomplete or unreadable; the message names the folder. */
export class ModelLoadError extends Error {
  constructor(
    message: string,
    readonly modelDir: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ModelLoadError';
  }
}

/** ONNX Runtime threads when the caller does not say: half the cores, 1 to 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, Math.floor(os.availableParallelism() / 2)));
}

export interface ModelFolder {
  /** Absolute path of the folder. */
  dir: string;
  /** Parsed config.json. */
  config: Record<string, unknown>;
  /** Folder name plus a hash of config.json and the sizes of the tokenizer and weights. */
  modelId: string;
}

/**
 * Checks that `modelDir` holds what transformers.js needs for `dtype` and computes its
 * identity. `what` names the model in messages ("embedding model", "reranker model").
 */
export function openModelFolder(modelDir: string, dtype: ModelDtype, what: string): ModelFolder {
  const dir = path.resolve(modelDir);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelLoadError(`The ${what} folder "${dir}" does not exist.`, dir);
  }
  const weights = path.join('onnx', `model${DTYPE_SUFFIX[dtype]}.onnx`);
  const required = ['config.json', 'tokenizer.json', 'tokenizer_config.json', weights];
  const missing = required.filter((file) => !fs.existsSync(path.join(dir, file)));
  if (missing.length > 0) {
    throw new ModelLoadError(
      `The ${what} folder "${dir}" is incomplete: ${missing.join(', ')} missing. ` +
        'It needs a Hugging Face ONNX export (config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx).',
      dir,
    );
  }
  const configText = fs.readFileSync(path.join(dir, 'config.json'), 'utf8');
  let config: Record<string, unknown>;
  try {
    config = JSON.parse(configText) as Record<string, unknown>;
  } catch (error) {
    throw new ModelLoadError(`The ${what} folder "${dir}" has an unreadable config.json: ${describe(error)}`, dir, { cause: error });
  }
  const hash = createHash('sha256').update(configText);
  const sized = ['tokenizer.json', weights, `${weights}_data`, `${weights}.data`];
  for (const file of sized) {
    const full = path.join(dir, file);
    if (fs.existsSync(full)) hash.update(`\0${file}\0${fs.statSync(full).size}`);
  }
  return { dir, config, modelId: `${path.basename(dir)}@${hash.digest('hex').slice(0, 16)}` };
}

/** Wraps a library failure while loading a folder in an error that names the folder. */
export function loadFailure(error: unknown, dir: string, what: string): ModelLoadError {
  if (error instanceof ModelLoadError) return error;
  return new ModelLoadError(`Could not load the ${what} in "${dir}": ${describe(error)}`, dir, { cause: error });
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
