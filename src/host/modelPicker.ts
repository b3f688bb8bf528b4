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
import { listServerModels } from './serverModels';
import { readPipelineSettings, resolveChatModel } from './settings';

export interface ModelChoice extends vscode.QuickPickItem {
  /** What `localRag.chatModel` becomes; absent for the actions. */
  value?: string;
  action?: 'download' | 'browse';
  /** A model on the server of `localRag.server.baseUrl`: `localRag.server.chatModel` becomes this. */
  serverModel?: string;
  /** The model in effect now. */
  current?: boolean;
}

export class ModelPicker {
  constructor(
    private readonly client: PipelineClient,
    private readonly downloads: ModelDownloads,
    /** The server's API key (SecretStorage), to list its models. */
    private readonly serverApiKey: () => string | undefined = () => undefined,
  ) {}

  /** The quick-pick's items, the configured model marked. */
  async choices(): Promise<ModelChoice[]> {
    const configured = resolveChatModel(vscode.workspace.getConfiguration('localRag').get<string>('chatModel'));
    const [downloaded, server] = await Promise.all([this.client.listChatModels().catch(() => []), this.serverChoices()]);
    const onServer = server.some((item) => item.current);
    // An empty setting means the default model once it is downloaded.
    const inEffect = onServer ? '' : configured || (downloaded.some((model) => model.uri === DEFAULT_CHAT_MODEL) ? DEFAULT_CHAT_MODEL : '');
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
    items.push(...server, { label: '', kind: vscode.QuickPickItemKind.Separator });
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
    if (picked.serverModel !== undefined) return this.useServerModel(picked.serverModel);
    return picked.value ? this.use(picked.value) : undefined;
  }

  /**
   * The models of the server `localRag.server.baseUrl` names (when one is set), the one in
   * use checked; a server that does not answer is one line saying why.
   */
  private async serverChoices(): Promise<ModelChoice[]> {
    const settings = readPipelineSettings();
    if (!settings.serverBaseUrl) return [];
    const listed = await listServerModels(settings.serverBaseUrl, this.serverApiKey());
    const separator: ModelChoice = { label: vscode.l10n.t('Model server {0}', settings.serverBaseUrl), kind: vscode.QuickPickItemKind.Separator };
    if ('error' in listed) return [separator, { label: `$(warning) ${vscode.l10n.t('The server did not list its models ({0})', listed.error)}` }];
    const onServer = settings.chatProvider === 'openaiCompatible';
    const inUse = onServer ? settings.serverChatModel || listed.ids[0] : undefined;
    return [
      separator,
      ...listed.ids.map((id): ModelChoice => ({
        label: `${id === inUse ? '$(check) ' : ''}$(server) ${id}`,
        description: id === inUse ? vscode.l10n.t('current') : undefined,
        serverModel: id,
        current: id === inUse,
      })),
    ];
  }

  /** Answers from that model on the server from now on. */
  private async useServerModel(id: string): Promise<string> {
    const config = vscode.workspace.getConfiguration('localRag');
    await config.update('server.chatModel', id, vscode.ConfigurationTarget.Global);
    await config.update('chatProvider', 'openaiCompatible', vscode.ConfigurationTarget.Global);
    return id;
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
    // A local model chosen: answers come from it again, not from the server.
    if (config.get<string>('chatProvider') === 'openaiCompatible') await config.update('chatProvider', 'embedded', vscode.ConfigurationTarget.Global);
    const inspected = config.inspect<string>('chatModel');
    const shadow = vscode.workspace.isTrusted ? (inspected?.workspaceFolderValue ?? inspected?.workspaceValue) : undefined;
    if (shadow !== undefined && shadow !== value) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: this workspace\'s settings set "localRag.chatModel" to {0}, which wins over your choice here.', shadow));
    }
    return value;
  }
}
