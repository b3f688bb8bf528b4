/**
 * "Local RAG: Select Model": the downloaded chat models and the configured one, the default
 * model to download, or any GGUF file. The choice goes to the user's own settings (a
 * workspace must not choose model files, see settings.ts); the pipeline loads the new model
 * at the next question.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULT_CHAT_MODEL, HF_GGUF_URI } from '../protocol/models';
import type { ModelDownloads } from './modelDownloads';
import { formatBytes } from './modelDownloads';
import type { PipelineClient } from './pipelineClient';
import { resolveChatModel } from './settings';

export interface ModelChoice extends vscode.QuickPickItem {
  /** What `localRag.chatModel` becomes; absent for the actions. */
  value?: string;
  action?: 'download' | 'browse';
  /** The model in effect now. */
  current?: boolean;
}

export class ModelPicker {
  constructor(
    private readonly client: PipelineClient,
    private readonly downloads: ModelDownloads,
  ) {}

  /** The quick-pick's items, the configured model marked. */
  async choices(): Promise<ModelChoice[]> {
    const configured = resolveChatModel(vscode.workspace.getConfiguration('localRag').get<string>('chatModel'));
    const downloaded = await this.client.listChatModels().catch(() => []);
    // An empty setting means the default model once it is downloaded.
    const inEffect = configured || (downloaded.some((model) => model.uri === DEFAULT_CHAT_MODEL) ? DEFAULT_CHAT_MODEL : '');
    const items: ModelChoice[] = downloaded.map((model) => ({
      label: `${model.uri === inEffect ? '$(check) ' : ''}${path.basename(model.path)}`,
      description: `${model.uri.slice(3, model.uri.lastIndexOf('/'))} · ${formatBytes(model.bytes)}${model.uri === inEffect ? ` · ${vscode.l10n.t('current')}` : ''}`,
      detail: model.path,
      value: model.uri,
      current: model.uri === inEffect,
    }));
    const isListed = downloaded.some((model) => model.uri === inEffect || model.path === inEffect);
    if (inEffect && !isListed) {
      const notYet = HF_GGUF_URI.test(inEffect) ? ` · ${vscode.l10n.t('not downloaded yet')}` : '';
      items.unshift({ label: `$(check) ${path.basename(inEffect)}`, description: `${vscode.l10n.t('current')}${notYet}`, detail: inEffect, value: inEffect, current: true });
    }
    items.push({ label: '', kind: vscode.QuickPickItemKind.Separator });
    if (!downloaded.some((model) => model.uri === DEFAULT_CHAT_MODEL)) {
      items.push({
        label: `$(cloud-download) ${vscode.l10n.t('Download the default model…')}`,
        description: vscode.l10n.t('Qwen2.5 1.5B Instruct, Q4_K_M · about 1.1 GB · 29+ languages incl. Vietnamese and English'),
        action: 'download',
      });
    }
    items.push({ label: `$(file) ${vscode.l10n.t('Choose a GGUF file…')}`, action: 'browse' });
    return items;
  }

  /**
   * The command. `choice` (a GGUF path, `hf:` URI or file Uri) skips the quick-pick: for
   * tests, keybindings and other extensions. Resolves with the new setting, if any.
   */
  async run(choice?: string | vscode.Uri): Promise<string | undefined> {
    if (choice !== undefined) return this.use(choice instanceof vscode.Uri ? choice.fsPath : choice);
    const picked = await vscode.window.showQuickPick(this.choices(), {
      title: vscode.l10n.t('Local RAG: Select Chat Model'),
      placeHolder: vscode.l10n.t('A downloaded or configured model, the default one to download, or a GGUF file'),
      matchOnDescription: true,
      matchOnDetail: true,
    });
    if (!picked) return undefined;
    if (picked.action === 'download') return this.downloadDefault();
    if (picked.action === 'browse') {
      const files = await vscode.window.showOpenDialog({
        title: vscode.l10n.t('Choose a GGUF chat model'),
        canSelectMany: false,
        filters: { [vscode.l10n.t('GGUF models')]: ['gguf'] },
      });
      return files?.[0] ? this.use(files[0].fsPath) : undefined;
    }
    return picked.value ? this.use(picked.value) : undefined;
  }

  /** Starts the default model's download and makes it the chat model. */
  async downloadDefault(): Promise<string> {
    // Registered as running before the setting changes, so no consent prompt pops up too.
    const done = this.downloads.download({ role: 'chat', id: DEFAULT_CHAT_MODEL });
    await this.use(DEFAULT_CHAT_MODEL);
    await done;
    return DEFAULT_CHAT_MODEL;
  }

  private async use(value: string): Promise<string> {
    const config = vscode.workspace.getConfiguration('localRag');
    await config.update('chatModel', value, vscode.ConfigurationTarget.Global);
    const inspected = config.inspect<string>('chatModel');
    const shadow = vscode.workspace.isTrusted ? (inspected?.workspaceFolderValue ?? inspected?.workspaceValue) : undefined;
    if (shadow !== undefined && shadow !== value) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: this workspace\'s settings set "localRag.chatModel" to {0}, which wins over your choice here.', shadow));
    }
    return value;
  }
}
