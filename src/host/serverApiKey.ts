/**
 * The model server's API key, kept in VS Code's SecretStorage (the OS keychain), never in
 * settings: settings files get committed, synced and shared. The pipeline receives it with
 * the other settings; nothing logs it.
 *
 * A key belongs to the server it was set for (the origin of `localRag.server.baseUrl` at
 * that moment) and goes to that server only: a workspace that points the setting at
 * another server — even a trusted one, cloned from somewhere — gets no key, and that
 * server's 401 asks for one.
 */
import * as vscode from 'vscode';

const SECRET_PREFIX = 'localRag.server.apiKey@';

/** `https://host:port` of a base URL; undefined when it is not one. */
export function serverOrigin(baseUrl: string): string | undefined {
  try {
    const url = new URL(baseUrl.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin : undefined;
  } catch {
    return undefined;
  }
}

export class ServerApiKey implements vscode.Disposable {
  /** Keys read so far, by origin (undefined: none is set for that server). */
  private readonly keys = new Map<string, string | undefined>();
  private readonly changed = new vscode.EventEmitter<void>();
  /** Fires once the configured server's key is known, and whenever it changes. */
  readonly onDidChange = this.changed.event;
  private readonly subscription: vscode.Disposable;

  constructor(
    private readonly secrets: vscode.SecretStorage,
    /** The base URL the settings name now. */
    private readonly baseUrl: () => string,
  ) {
    this.subscription = secrets.onDidChange((event) => {
      if (event.key.startsWith(SECRET_PREFIX)) void this.load(event.key.slice(SECRET_PREFIX.length));
    });
    this.follow();
  }

  /** The key for the server the settings name now; undefined when none is set for it (or not yet read). */
  get current(): string | undefined {
    const origin = serverOrigin(this.baseUrl());
    return origin ? this.keys.get(origin) : undefined;
  }

  /** The settings changed: reads the key of a server not seen yet (onDidChange fires once it is known). */
  follow(): void {
    const origin = serverOrigin(this.baseUrl());
    if (origin && !this.keys.has(origin)) void this.load(origin);
  }

  /** The command: asks for the key (hidden as typed) unless given; an empty answer removes it. */
  async set(given?: string): Promise<void> {
    const origin = serverOrigin(this.baseUrl());
    if (!origin) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Set "localRag.server.baseUrl" first: the API key is kept for that server only.'));
      return;
    }
    const value = given ?? await vscode.window.showInputBox({
      title: vscode.l10n.t('API key for {0}', origin),
      prompt: vscode.l10n.t('The API key of the server at "localRag.server.baseUrl". It is kept in VS Code\'s secret storage and sent to that server only. Leave empty to remove it.'),
      password: true,
      ignoreFocusOut: true,
    });
    if (value === undefined) return;
    const trimmed = value.trim();
    if (trimmed) await this.secrets.store(SECRET_PREFIX + origin, trimmed);
    else await this.secrets.delete(SECRET_PREFIX + origin);
    await this.load(origin);
    void vscode.window.showInformationMessage(trimmed ? vscode.l10n.t('The API key for {0} is saved.', origin) : vscode.l10n.t('The API key for {0} is removed.', origin));
  }

  private async load(origin: string): Promise<void> {
    const key = (await this.secrets.get(SECRET_PREFIX + origin))?.trim() || undefined;
    const known = this.keys.has(origin);
    if (known && this.keys.get(origin) === key) return;
    this.keys.set(origin, key);
    this.changed.fire();
  }

  dispose(): void {
    this.subscription.dispose();
    this.changed.dispose();
  }
}
