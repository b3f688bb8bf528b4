/**
 * The sidebar chat (`localRag.chat`). The webview only renders: every message it sends is
 * validated here, and every event it receives comes from the ChatController.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import type { ChatTurn } from '../protocol/events';
import { isWebviewToHost, type HostToWebview, type ShownTurn, type WebviewToHost } from '../protocol/webviewMessages';
import type { IndexReport } from '../protocol/indexing';
import { attachable, firstDroppedUri, OfferedAttachments, pickAttachmentUri } from './attachments';
import type { ChatController, ChatUpdate } from './chatController';
import type { Log } from './log';
import { CitedSources, openSource } from './openSource';
import { htmlStrings, attribute } from './webviewHtmlStrings';

export const CHAT_VIEW_ID = 'localRag.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
  private readonly cited = new CitedSources();
  private readonly attachments = new OfferedAttachments();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly controller: ChatController,
    private readonly log: Log,
  ) {
    this.subscriptions.push(
      controller.onUpdate((update) => {
        this.post(this.shown(update));
        // The empty state shows the index; a fresh conversation shows the empty state.
        if (update.type === 'history' && update.turns.length === 0) void this.sendIndexState();
      }),
    );
  }

  resolveWebviewView(view: vscode.WebviewView): void {
    this.view = view;
    this.ready = false;
    const media = vscode.Uri.joinPath(this.extensionUri, 'media');
    view.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [media] };
    view.webview.html = this.html(view.webview, media);
    view.webview.onDidReceiveMessage((message: unknown) => this.receive(message), undefined, this.subscriptions);
    view.onDidDispose(() => {
      if (this.view === view) {
        this.view = undefined;
        this.ready = false;
      }
    });
  }

  /** Shows the chat view, creating it if it was never opened. */
  async reveal(): Promise<void> {
    await vscode.commands.executeCommand(`${CHAT_VIEW_ID}.focus`);
  }

  /**
   * Shows the chat view without taking the keyboard focus (the quick-pick keeps it); a view
   * never opened can only be created by focusing it.
   */
  async show(): Promise<void> {
    if (this.view) this.view.show(true);
    else await this.reveal();
  }

  /** Clears what the view shows (after New Chat). */
  clear(): void {
    this.post(this.shown({ type: 'history', turns: [] }));
  }

  dispose(): void {
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }

  private async receive(raw: unknown): Promise<void> {
    if (!isWebviewToHost(raw)) {
      this.log.warn(`Ignored an unexpected message from the chat view: ${JSON.stringify(raw)?.slice(0, 200)}`);
      return;
    }
    const message: WebviewToHost = raw;
    switch (message.type) {
      case 'ready':
        await this.sendState();
        return;
      case 'ask':
        this.ask(message.question.trim(), message.attachmentId, message.replaceLast === true);
        return;
      case 'indexAndAsk': {
        // Index Workspace (its own progress notification and Cancel), then the same question
        // in place of the answer that said nothing was indexed.
        const report = await vscode.commands.executeCommand<IndexReport | undefined>('localRag.indexWorkspace');
        await this.sendIndexState();
        if (report && !report.cancelled) this.ask(message.question.trim(), undefined, true);
        return;
      }
      case 'copy':
        await vscode.env.clipboard.writeText(message.text);
        return;
      case 'openLink':
        // isWebviewToHost let through web and e-mail links only; VS Code still asks before
        // opening a site the user has not trusted.
        await vscode.env.openExternal(vscode.Uri.parse(message.url, true));
        return;
      case 'listConversations':
        await this.sendConversations();
        return;
      case 'openConversation':
        if (!(await this.controller.openConversation(message.id))) await this.sendConversations();
        return;
      case 'runCommand':
        // Index Workspace resolves once indexing is over: the empty state then shows the new counts.
        await vscode.commands.executeCommand(`localRag.${message.command}`);
        await this.sendIndexState();
        return;
      case 'pickAttachment': {
        const uri = await pickAttachmentUri();
        if (uri) await this.attach(uri);
        return;
      }
      case 'dropAttachment': {
        const uri = firstDroppedUri(message.uris);
        if (uri) await this.attach(uri);
        else void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: nothing that could be attached was dropped. Drag a file from the Explorer with Shift held, or use Attach.'));
        return;
      }
      case 'stop':
        this.controller.stop();
        return;
      case 'newChat':
        await vscode.commands.executeCommand('localRag.newChat');
        return;
      case 'openSource':
        await this.openSource(message.source);
        return;
    }
  }

  private ask(question: string, attachmentId: string | undefined, replaceLast: boolean): void {
    if (attachmentId === undefined) {
      void this.controller.ask(question, undefined, undefined, undefined, replaceLast);
      return;
    }
    const file = this.attachments.take(attachmentId);
    if (!file) {
      this.log.warn(`Ignored a question with an unknown attachment id ${attachmentId}.`);
      void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: the attached file is no longer available. Attach it again.'));
      this.post({ type: 'attachment', attachment: undefined });
      return;
    }
    void this.controller.ask(question, undefined, undefined, file, replaceLast);
  }

  /** Offers a file to the view as the next question's attachment. */
  private async attach(uri: vscode.Uri): Promise<void> {
    const file = await attachable(uri);
    if (typeof file === 'string') {
      void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: {0}', file));
      return;
    }
    this.post({ type: 'attachment', attachment: { id: this.attachments.offer(file), name: file.displayPath } });
  }

  /** A (re)loaded view gets the saved history and the request still streaming, if any. */
  private async sendState(): Promise<void> {
    let turns: Awaited<ReturnType<ChatController['history']>> = [];
    try {
      turns = await this.controller.history();
    } catch (error) {
      this.log.error(`Chat history could not be loaded: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.ready = true;
    this.post(this.shown({ type: 'history', turns }));
    void this.sendIndexState();
    const current = this.controller.current;
    if (current) {
      this.post(this.shown({ type: 'started', requestId: current.requestId, question: current.question, ...(current.attachment ? { attachment: current.attachment } : {}) }));
      const { requestId } = current;
      if (current.status) this.post({ type: 'event', event: { requestId, phase: current.phase, status: current.status } });
      if (current.sources.length) this.post({ type: 'event', event: { requestId, sources: current.sources } });
      if (current.answer) this.post({ type: 'event', event: { requestId, content: current.answer } });
    }
  }

  /** Shows the earlier conversations in the view, to reopen one. */
  async showConversations(): Promise<void> {
    await this.reveal();
    await this.sendConversations();
  }

  private async sendConversations(): Promise<void> {
    try {
      this.post({ type: 'conversations', conversations: await this.controller.conversations() });
    } catch (error) {
      this.log.error(`Earlier conversations could not be listed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** The index changed (Index Workspace from anywhere, the watcher, Index This File). */
  showIndexState(state: { files: number; chunks: number }): void {
    if (this.ready) this.post({ type: 'indexState', state: { files: state.files, chunks: state.chunks } });
  }

  private async sendIndexState(): Promise<void> {
    let state: { files: number; chunks: number } | undefined;
    try {
      const status = await this.controller.indexStatus();
      state = { files: status.files, chunks: status.chunks };
    } catch {
      state = undefined; // the pipeline is not running (yet): the view says nothing about the index
    }
    this.post({ type: 'indexState', state });
  }

  /** Only a location the view was sent as a source opens: the webview cannot name any file. */
  private async openSource(location: Parameters<typeof openSource>[0]): Promise<void> {
    if (!this.cited.has(location)) {
      this.log.warn(`Ignored a request to open "${location.path}": it is not a source of any answer shown.`);
      return;
    }
    try {
      const problem = await openSource(location);
      if (problem) void vscode.window.showWarningMessage(problem);
    } catch (error) {
      this.log.error(`Opening ${location.path} failed: ${error instanceof Error ? error.message : String(error)}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Local RAG could not open {0}.', location.path));
    }
  }

  /** What the view gets of an update: the files of its turns by id, never by path. */
  private shown(update: ChatUpdate): HostToWebview {
    if (update.type === 'history') {
      this.attachments.forgetTurns();
      return { type: 'history', turns: update.turns.map((turn) => this.shownTurn(turn)) };
    }
    if (update.type === 'started') {
      const { attachment, ...started } = update;
      return attachment ? { ...started, attachment: this.attachments.showOnTurn(attachment) } : started;
    }
    return update;
  }

  private shownTurn({ attachment, ...turn }: ChatTurn): ShownTurn {
    return attachment ? { ...turn, attachment: this.attachments.showOnTurn(attachment) } : turn;
  }

  private post(message: HostToWebview): void {
    if (!this.view || !this.ready) return;
    if (message.type === 'history') this.cited.reset(message.turns.flatMap((turn) => turn.sources));
    else if (message.type === 'event' && 'sources' in message.event) this.cited.add(message.event.sources);
    void this.view.webview.postMessage(message);
  }

  private html(webview: vscode.Webview, media: vscode.Uri): string {
    const nonce = randomBytes(16).toString('base64');
    const script = webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'webview.js'));
    const style = webview.asWebviewUri(vscode.Uri.joinPath(media, 'chat.css'));
    const markdownStyle = webview.asWebviewUri(vscode.Uri.joinPath(media, 'markdown.css'));
    const codicons = webview.asWebviewUri(vscode.Uri.joinPath(media, 'dist', 'codicons', 'codicon.css'));
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
    ].join('; ');
    const t = htmlStrings(vscode.env.language);
    return `<!DOCTYPE html>
<html lang="${attribute(vscode.env.language)}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${codicons}">
<link rel="stylesheet" href="${style}">
<link rel="stylesheet" href="${markdownStyle}">
<title>Local RAG</title>
</head>
<body>
<main id="app">
  <div id="messages" role="log" aria-live="polite" aria-relevant="additions text" aria-label="${t.conversation}"></div>
  <form id="composer" autocomplete="off">
    <div id="attachment" class="attachment" hidden>
      <span id="attachment-name" class="attachment-name"></span>
      <button type="button" id="detach" class="secondary" aria-label="${t.detach}" title="${t.detach}">×</button>
    </div>
    <textarea id="question" rows="2" aria-label="${t.question}" placeholder="${t.questionPlaceholder}"></textarea>
    <div class="actions">
      <button type="button" id="attach" class="secondary" aria-label="${t.attachLabel}" title="${t.attachTitle}"><span class="codicon codicon-attach" aria-hidden="true"></span>${t.attach}</button>
      <button type="button" id="new-chat" class="secondary" aria-label="${t.newChatLabel}" title="${t.newChatLabel}"><span class="codicon codicon-add" aria-hidden="true"></span>${t.newChat}</button>
      <button type="button" id="history" class="secondary" aria-label="${t.historyLabel}" title="${t.historyLabel}"><span class="codicon codicon-history" aria-hidden="true"></span>${t.history}</button>
      <button type="button" id="stop" aria-label="${t.stop}" title="${t.stopTitle}" hidden><span class="codicon codicon-debug-stop" aria-hidden="true"></span>${t.stop}</button>
      <button type="submit" id="send" aria-label="${t.send}" title="${t.sendTitle}"><span class="codicon codicon-send" aria-hidden="true"></span>${t.send}</button>
    </div>
  </form>
</main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
