/**
 * The model server's API key, kept in VS Code's SecretStorage (the OS keychain), never in
 * settings: settings files get committed, synced and shared. The pipeline receives it with
 * the other settings; nothing logs it.
 */
import * as vscode from 'vscode';

const SECRET_KEY = 'localRag.server.apiKey';

export class ServerApiKey implements vscode.Disposable {
  private key: string | undefined;
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires once the stored key is known, and whenever it changes. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly secrets: vscode.SecretStorage) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key === SECRET_KEY) void this.load();
    });
    void this.load();
  }

  /** The key for the pipeline's settings; undefined when none is set (or not yet read). */
  get current(): string | undefined {
    return this.key;
  }

  /** The command: asks for the key (hidden as typed) unless given; an empty answer removes it. */
  async set(given?: string): Promise<void> {
    const value = given ?? await vscode.window.showInputBox({
      title: vscode.l10n.t('Model server API key'),
      prompt: vscode.l10n.t('The API key of the server at "localRag.server.baseUrl". It is kept in VS Code\'s secret storage. Leave empty to remove it.'),
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    const trimmed = value.trim();
    if (trimmed) await this.secrets.store(SECRET_KEY, trimmed);
    else await this.secrets.delete(SECRET_KEY);
    await this.load();
    void vscode.window.showInformationMessage(trimmed ? vscode.l10n.t('The server API key is saved.') : vscode.l10n.t('The server API key is removed.'));
  }

  private async load(): Promise<void> {
    const key = (await this.secrets.get(SECRET_KEY))?.trim() || undefined;
    const wasKnown = this.loaded;
    this.loaded = true;
    if (wasKnown && key === this.key) return;
    this.key = key;
    this.changed.fire();
  }

  private loaded = false;

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
