/**
 * The embedder and the reranker the settings name, loaded when they are on disk: a folder
 * the user chose, or a Hugging Face id already downloaded into the models folder. An id not
 * downloaded yet is reported as missing (the host asks the user before anything is fetched)
 * and search goes on without that model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MissingModel, ModelRole } from '../../protocol/models';
import type { PipelineSettings } from '../../protocol/settings';
import { describeError, type Logger } from '../log';
import { Embedder } from './embedder';
import type { PassageEmbedder } from './passageEmbedder';
import { ServerEmbedder } from './serverEmbedder';
import { endpointOf } from '../llm/server/serverChatModel';
import { HUB_DTYPE, hubModel, isDownloaded, isHubModelId } from './hubModel';
import { defaultThreads, type ModelDtype } from './modelFolder';
import type { PassageReranker } from './passageReranker';
import { Reranker } from './reranker';
import { ServerReranker } from './serverReranker';

type Resolved = { kind: 'off' } | { kind: 'missing'; id: string } | { kind: 'ready'; dir: string; dtype: ModelDtype };

/** What a setting's value points at now. */
export function resolveModel(value: string, modelsDir: string): Resolved {
  const trimmed = value.trim();
  if (!trimmed) return { kind: 'off' };
  if (path.isAbsolute(trimmed)) return { kind: 'ready', dir: trimmed, dtype: folderDtype(trimmed) };
  if (!isHubModelId(trimmed)) throw new Error(`"${trimmed}" is neither an absolute folder nor a Hugging Face model id (owner/name).`);
  const model = hubModel(trimmed, modelsDir);
  return isDownloaded(model) ? { kind: 'ready', dir: model.dir, dtype: HUB_DTYPE } : { kind: 'missing', id: trimmed };
}

/** A folder's full-precision weights when it has them, else its int8 ones (what hub downloads bring). */
function folderDtype(dir: string): ModelDtype {
  const has = (file: string) => fs.existsSync(path.join(dir, 'onnx', file));
  return !has('model.onnx') && has('model_quantized.onnx') ? 'q8' : 'fp32';
}

interface Slot<T> {
  model?: T;
  /** The settings the model was loaded for; a change reloads it. */
  key: string;
}

/** What became of the embedding model the settings name, for the host's search status. */
export type EmbeddingState = { kind: 'off' } | { kind: 'missing' | 'failed' | 'ready'; id: string };

export class OnnxModels {
  private readonly embedding: Slot<PassageEmbedder> = { key: '' };
  private embeddingState: EmbeddingState = { kind: 'off' };
  private readonly reranking: Slot<PassageReranker> = { key: '' };
  private readonly announced = new Set<string>();

  constructor(
    readonly modelsDir: string,
    private readonly logger: Logger,
    private readonly threads = defaultThreads(),
  ) {}

  get embedder(): PassageEmbedder | undefined {
    return this.embedding.model;
  }

  get reranker(): PassageReranker | undefined {
    return this.reranking.model;
  }

  /** The embedding setting's model: off, not downloaded, failed to load, or in use. */
  get embeddingStatus(): EmbeddingState {
    return this.embeddingState;
  }

  /**
   * Loads, swaps or drops models to match `settings`. Resolves with the models still to
   * download and whether the embedder changed (the index then embeds anew).
   */
  async apply(settings: PipelineSettings): Promise<{ missing: MissingModel[]; embedderChanged: boolean }> {
    const missing: MissingModel[] = [];
    const before = this.embedding.model;
    const onServer = settings.serverEmbeddingModel.trim() !== '' && settings.serverBaseUrl.trim() !== '';
    if (onServer) await this.useServerEmbedder(settings);
    else {
      await this.fill(this.embedding, 'embedding', settings.embeddingModel, [settings.embeddingQueryPrefix, settings.embeddingPassagePrefix], missing, (dir, dtype) =>
        Embedder.load(dir, { dtype, threads: this.threads, queryPrefix: settings.embeddingQueryPrefix, passagePrefix: settings.embeddingPassagePrefix }),
      );
    }
    if (settings.serverRerankerModel.trim() !== '' && settings.serverBaseUrl.trim() !== '') await this.useServerReranker(settings);
    else await this.fill(this.reranking, 'reranker', settings.rerankerModel, [], missing, (dir, dtype) => Reranker.load(dir, { dtype, threads: this.threads }));
    const id = onServer ? settings.serverEmbeddingModel.trim() : settings.embeddingModel.trim();
    this.embeddingState = !id
      ? { kind: 'off' }
      : missing.some((model) => model.role === 'embedding')
        ? { kind: 'missing', id }
        : { kind: this.embedding.model ? 'ready' : 'failed', id };
    return { missing, embedderChanged: this.embedding.model !== before };
  }

  /**
   * `localRag.server.embeddingModel` set: vectors come from the model server. Nothing to
   * load; a new server, model, key or prefix is a new embedder (and server or model or
   * passage prefix a new model id, so the index embeds anew).
   */
  private async useServerEmbedder(settings: PipelineSettings): Promise<void> {
    const key = JSON.stringify(['server', settings.serverBaseUrl, settings.serverEmbeddingModel, settings.serverApiKey ?? '', settings.embeddingQueryPrefix, settings.embeddingPassagePrefix]);
    await this.useServerModel(this.embedding, key, 'embedding model', 'searching with keywords only', () => {
      const embedder = new ServerEmbedder({
        endpoint: endpointOf(settings),
        model: settings.serverEmbeddingModel.trim(),
        queryPrefix: settings.embeddingQueryPrefix,
        passagePrefix: settings.embeddingPassagePrefix,
      });
      return { model: embedder, said: `Embeddings come from the model server: ${embedder.modelId}.` };
    });
  }

  /** `localRag.server.rerankerModel` set: the server's `/v1/rerank` reorders the candidates instead of the ONNX cross-encoder. */
  private async useServerReranker(settings: PipelineSettings): Promise<void> {
    const key = JSON.stringify(['server', settings.serverBaseUrl, settings.serverRerankerModel, settings.serverApiKey ?? '']);
    await this.useServerModel(this.reranking, key, 'reranker model', 'results are not reranked', () => {
      const endpoint = endpointOf(settings);
      const model = settings.serverRerankerModel.trim();
      return { model: new ServerReranker({ endpoint, model }), said: `Reranking by the model server: ${model} at ${endpoint.apiBase}.` };
    });
  }

  /** A server model has nothing to load: a new key (server, model, API key…) is a new client. */
  private async useServerModel<T extends { dispose(): Promise<void> }>(slot: Slot<T>, key: string, what: string, without: string, make: () => { model: T; said: string }): Promise<void> {
    if (key === slot.key) return;
    const previous = slot.model;
    slot.key = key;
    slot.model = undefined;
    await previous?.dispose();
    try {
      const { model, said } = make();
      slot.model = model;
      this.logger.log('info', said);
    } catch (error) {
      slot.key = '';
      this.logger.log('warn', `The server ${what} could not be used (${describeError(error)}); ${without}.`);
    }
  }

  async dispose(): Promise<void> {
    await Promise.all([this.embedding.model?.dispose(), this.reranking.model?.dispose()]);
  }

  private async fill<T extends { dispose(): Promise<void>; modelId: string }>(
    slot: Slot<T>,
    role: ModelRole,
    value: string,
    options: string[],
    missing: MissingModel[],
    load: (dir: string, dtype: ModelDtype) => Promise<T>,
  ): Promise<void> {
    const what = role === 'embedding' ? 'embedding model' : 'reranker model';
    let resolved: Resolved;
    try {
      resolved = resolveModel(value, this.modelsDir);
    } catch (error) {
      resolved = { kind: 'off' };
      this.announce(`bad:${value}`, 'warn', `The ${what} setting is not usable: ${describeError(error)}`);
    }
    const without = role === 'embedding' ? 'searching with keywords only' : 'results are not reranked';
    if (resolved.kind === 'missing') {
      missing.push({ role, id: resolved.id });
      this.announce(`missing:${role}:${resolved.id}`, 'info', `The ${what} ${resolved.id} is not downloaded yet; ${without}.`);
    }
    const key = resolved.kind === 'ready' ? JSON.stringify([resolved.dir, ...options]) : '';
    if (key === slot.key) return;
    const previous = slot.model;
    slot.model = undefined;
    slot.key = key;
    await previous?.dispose();
    if (resolved.kind !== 'ready') return;
    try {
      slot.model = await load(resolved.dir, resolved.dtype);
      const dimension = slot.model instanceof Embedder ? ` (${slot.model.dimension} dimensions)` : '';
      this.logger.log('info', `${role === 'embedding' ? 'Embedding' : 'Reranker'} model ${slot.model.modelId} loaded${dimension}.`);
    } catch (error) {
      // The next change of settings tries again.
      slot.key = '';
      this.logger.log('warn', `The ${what} could not be used (${describeError(error)}); ${without}.`);
    }
  }

  /** Says a thing once per process, however often the settings are applied. */
  private announce(key: string, level: 'info' | 'warn', message: string): void {
    if (this.announced.has(key)) return;
    this.announced.add(key);
    this.logger.log(level, message);
  }
}
