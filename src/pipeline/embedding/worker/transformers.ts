/**
 * transformers.js, loaded on first use (it costs ~250 ms and pulls in onnxruntime-node) and
 * configured never to touch the network: models come only from the absolute folder paths
 * we pass (an absolute path is never taken for a Hub id), nothing is cached, and the
 * default paths (which a CommonJS bundle resolves wrongly, its `import.meta` being empty)
 * are replaced by explicit ones. Always load it through here, so one copy of its global
 * `env` is configured (a static `import` elsewhere would, under tsx, load the CommonJS
 * build beside this ESM one).
 */
import * as os from 'node:os';
import * as path from 'node:path';

export type Transformers = typeof import('@huggingface/transformers', { with: { 'resolution-mode': 'import' } });

let transformers: Promise<Transformers> | undefined;

export function loadTransformers(): Promise<Transformers> {
  transformers ??= import('@huggingface/transformers').then(
    (library) => {
      const { env } = library;
      env.allowRemoteModels = false;
      env.allowLocalModels = true;
      env.useFSCache = false;
      env.useBrowserCache = false;
      const scratch = path.join(os.tmpdir(), 'local-rag-transformers');
      env.cacheDir = path.join(scratch, 'cache');
      env.localModelPath = path.join(scratch, 'models');
      env.logLevel = library.LogLevel.ERROR;
      env.backends.onnx.logLevel = 'error';
      return library;
    },
    (error: unknown) => {
      transformers = undefined;
      throw new Error(`The ONNX runtime (@huggingface/transformers, onnxruntime-node) could not be loaded: ${error instanceof Error ? error.message : String(error)}`, {
        cause: error,
      });
    },
  );
  return transformers;
}
