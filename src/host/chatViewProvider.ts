/**
 * The sidebar chat (`localRag.chat`). The webview only renders: every message it sends is
 * validated here, and every event it receives comes from the ChatController.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isWebviewToHost, type HostToWebview, type WebviewToHost } from '../protocol/webviewMessages';
import { attachable, firstDroppedUri, OfferedAttachments, pickAttachmentUri } from './attachments';
import type { ChatController } from './chatController';
import type { Log } from './log';
import { CitedSources, openSource } from './openSource';

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
      controller.onUpdate((update) => this.post(update.type === 'started' ? update : { type: 'event', event: update.event })),
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
    this.post({ type: 'history', turns: [] });
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
        this.ask(message.question.trim(), message.attachmentId);
        return;
      case 'pickAttachment': {
        const uri = await pickAttachmentUri();
        if (uri) await this.attach(uri);
        return;
      }
      case 'dropAttachment': {
        const uri = firstDroppedUri(message.uris);
        if (uri) await this.attach(uri);
        else void vscode.window.showWarningMessage('Local RAG: nothing that could be attached was dropped. Drag a file from the Explorer with Shift held, or use Attach.');
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

  private ask(question: string, attachmentId: string | undefined): void {
    if (attachmentId === undefined) {
      void this.controller.ask(question);
      return;
    }
    const file = this.attachments.take(attachmentId);
    if (!file) {
      this.log.warn(`Ignored a question with an unknown attachment id ${attachmentId}.`);
      void vscode.window.showWarningMessage('Local RAG: the attached file is no longer available. Attach it again.');
      this.post({ type: 'attachment', attachment: undefined });
      return;
    }
    void this.controller.ask(question, undefined, undefined, file);
  }

  /** Offers a file to the view as the next question's attachment. */
  private async attach(uri: vscode.Uri): Promise<void> {
    const file = await attachable(uri);
    if (typeof file === 'string') {
      void vscode.window.showWarningMessage(`Local RAG: ${file}`);
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
    this.post({ type: 'history', turns });
    const current = this.controller.current;
    if (current) {
      this.post({ type: 'started', requestId: current.requestId, question: current.question, ...(current.attachment ? { attachment: current.attachment } : {}) });
      const { requestId } = current;
      if (current.status) this.post({ type: 'event', event: { requestId, phase: current.phase, status: current.status } });
      if (current.sources.length) this.post({ type: 'event', event: { requestId, sources: current.sources } });
      if (current.answer) this.post({ type: 'event', event: { requestId, content: current.answer } });
    }
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
      void vscode.window.showErrorMessage(`Local RAG could not open ${location.path}.`);
    }
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
    const csp = [
      "default-src 'none'",
      `style-src ${webview.cspSource}`,
      `script-src 'nonce-${nonce}'`,
      `font-src ${webview.cspSource}`,
      `img-src ${webview.cspSource}`,
    ].join('; ');
    return `<!DOCTYPE html>
<html lang="${vscode.env.language}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${style}">
<title>Local RAG</title>
</head>
<body>
<main id="app">
  <div id="messages" role="log" aria-live="polite" aria-relevant="additions text" aria-label="Conversation"></div>
  <form id="composer" autocomplete="off">
    <div id="attachment" class="attachment" hidden>
      <span id="attachment-name" class="attachment-name"></span>
      <button type="button" id="detach" class="secondary" aria-label="Remove the attached file" title="Remove the attached file">×</button>
    </div>
    <textarea id="question" rows="2" aria-label="Ask a question" placeholder="Ask about your documents… (Shift-drag a file here to attach it)"></textarea>
    <div class="actions">
      <button type="button" id="attach" class="secondary" aria-label="Attach a file" title="Attach a file to the question">Attach</button>
      <button type="button" id="new-chat" class="secondary" aria-label="New chat" title="New chat">New</button>
      <button type="button" id="stop" aria-label="Stop" title="Stop (Esc)" hidden>Stop</button>
      <button type="submit" id="send" aria-label="Send" title="Send (Enter)">Send</button>
    </div>
  </form>
</main>
<script nonce="${nonce}" src="${script}"></script>
</body>
</html>`;
  }
}
