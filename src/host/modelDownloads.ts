/**
 * Downloads of the ONNX models the settings name, on the user's consent: asked once per
 * model with its size; "Not now" is remembered (search then does without that model, and
 * the log says so once); "Local RAG: Download Models" downloads without asking again.
 * The pipeline process does the download; this side shows a cancellable progress
 * notification with percent and speed.
 */
import * as vscode from 'vscode';
import type { MissingModel, ModelsState } from '../protocol/models';
import type { Log } from './log';
import type { PipelineClient } from './pipelineClient';

const DECLINED_KEY = 'localRag.declinedModels';

export class ModelDownloads {
  private missing: MissingModel[] = [];
  /** Asked this session (a dismissed prompt is asked again next session, not at every settings change). */
  private readonly asked = new Set<string>();
  private readonly toldDeclined = new Set<string>();
  private readonly running = new Map<string, Promise<void>>();

  constructor(
    private readonly client: PipelineClient,
    private readonly globalState: vscode.Memento,
    private readonly log: Log,
  ) {}

  /** The models the settings wait for (the pipeline's last word). */
  get pending(): readonly MissingModel[] {
    return this.missing;
  }

  /** From the pipeline after every change of settings. */
  onState(state: ModelsState): void {
    this.missing = state.missing;
    for (const model of state.missing) void this.offer(model);
  }

  /** The command: downloads every model the settings wait for, without asking again. */
  async downloadMissing(): Promise<void> {
    if (this.missing.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Local RAG: the models in your settings are ready; nothing to download.'));
      return;
    }
    await Promise.all(this.missing.map((model) => this.download(model)));
  }

  private async offer(model: MissingModel): Promise<void> {
    if (this.running.has(model.id)) return;
    if (this.declined().includes(model.id)) {
      if (!this.toldDeclined.has(model.id)) {
        this.toldDeclined.add(model.id);
        this.log.info(`${model.id} is not downloaded (you chose "Not now"); ${without(model)}. "Local RAG: Download Models" downloads it.`);
      }
      return;
    }
    if (this.asked.has(model.id)) return;
    this.asked.add(model.id);
    let size: string;
    try {
      const found = await this.client.modelSize(model);
      size = found.remainingBytes < found.totalBytes
        ? vscode.l10n.t('{0} from {1}, {2} left to fetch', formatBytes(found.totalBytes), found.host, formatBytes(found.remainingBytes))
        : vscode.l10n.t('{0} from {1}', formatBytes(found.totalBytes), found.host);
    } catch (error) {
      this.log.warn(`Could not look up ${model.id} (${describe(error)}); ${without(model)}.`);
      return;
    }
    const download = vscode.l10n.t('Download');
    const notNow = vscode.l10n.t('Not now');
    const choice = await vscode.window.showInformationMessage(offer(model, size), download, notNow);
    if (choice === notNow) {
      await this.globalState.update(DECLINED_KEY, [...this.declined(), model.id]);
      this.toldDeclined.add(model.id);
      this.log.info(`Not downloading ${model.id}; ${without(model)}. "Local RAG: Download Models" downloads it later.`);
    } else if (choice === download) {
      await this.download(model);
    }
  }

  /** Downloads one model now (Select Model, the walkthrough): the user asked, so no prompt. */
  download(model: MissingModel): Promise<void> {
    const running = this.running.get(model.id) ?? this.run(model).finally(() => this.running.delete(model.id));
    this.running.set(model.id, running);
    return running;
  }

  private async run(model: MissingModel): Promise<void> {
    await this.globalState.update(DECLINED_KEY, this.declined().filter((id) => id !== model.id));
    try {
      const result = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('Local RAG: downloading {0}', label(model)), cancellable: true },
        async (progress, token) => {
          let shown = 0;
          return this.client.downloadModel(model, token, (update) => {
            if (update.waitingForOtherWindow) {
              progress.report({ message: vscode.l10n.t('being downloaded by another window; waiting for it to finish…') });
              return;
            }
            progress.report({
              increment: update.percentage - shown,
              message: vscode.l10n.t('{0}% · {1} of {2} · {3}/s', Math.floor(update.percentage), formatBytes(update.transferredBytes), formatBytes(update.totalBytes), formatBytes(update.speed)),
            });
            shown = update.percentage;
          });
        },
      );
      if (!result.completed) this.log.info(`Download of ${model.id} cancelled; the next one resumes where it stopped.`);
    } catch (error) {
      this.log.error(`Download of ${model.id} failed: ${describe(error)}`);
      const retry = vscode.l10n.t('Retry');
      const showLog = vscode.l10n.t('Show Log');
      const choice = await vscode.window.showErrorMessage(vscode.l10n.t('Local RAG could not download {0}: {1}', model.id, describe(error)), retry, showLog);
      if (choice === retry) void this.download(model);
      if (choice === showLog) this.log.show();
    }
  }

  private declined(): string[] {
    return this.globalState.get<string[]>(DECLINED_KEY, []);
  }
}

function without(model: MissingModel): string {
  if (model.role === 'chat') return 'questions get no generated answer until a chat model is there ("Local RAG: Select Model")';
  return model.role === 'embedding' ? 'search uses keywords only' : 'search results are not reranked';
}

/** The download offer: what the model is for, which one, and how big. */
function offer(model: MissingModel, size: string): string {
  if (model.role === 'chat') return vscode.l10n.t('Local RAG can answer questions about your documents, in Vietnamese, English and other languages, with the model {0} ({1}). Download it?', label(model), size);
  if (model.role === 'embedding') return vscode.l10n.t('Local RAG can search your documents by meaning, in any language, with the model {0} ({1}). Download it?', label(model), size);
  return vscode.l10n.t('Local RAG can rerank search results with the model {0} ({1}). Download it?', label(model), size);
}

/** A chat model's URI is long; its file name says which model and quantization it is. */
export function label(model: MissingModel): string {
  return model.role === 'chat' ? model.id.slice(model.id.lastIndexOf('/') + 1) : model.id;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${Math.round(bytes)} B`;
  const units = ['KB', 'MB', 'GB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
