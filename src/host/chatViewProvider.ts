/**
 * The sidebar chat (`localRag.chat`). The webview only renders: every message it sends is
 * validated here, and every event it receives comes from the ChatController.
 */
import { randomBytes } from 'node:crypto';
import * as vscode from 'vscode';
import { isWebviewToHost, type HostToWebview, type WebviewToHost } from '../protocol/webviewMessages';
import type { ChatController } from './chatController';
import type { Log } from './log';

export const CHAT_VIEW_ID = 'localRag.chat';

export class ChatViewProvider implements vscode.WebviewViewProvider, vscode.Disposable {
  private view: vscode.WebviewView | undefined;
  private ready = false;
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
        void this.controller.ask(message.question.trim());
        return;
      case 'stop':
        this.controller.stop();
        return;
      case 'newChat':
        await vscode.commands.executeCommand('localRag.newChat');
        return;
    }
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
      this.post({ type: 'started', requestId: current.requestId, question: current.question });
      const { requestId } = current;
      if (current.status) this.post({ type: 'event', event: { requestId, phase: current.phase, status: current.status } });
      if (current.sources.length) this.post({ type: 'event', event: { requestId, sources: current.sources } });
      if (current.answer) this.post({ type: 'event', event: { requestId, content: current.answer } });
    }
  }

  private post(message: HostToWebview): void {
    if (!this.view || !this.ready) return;
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
    <textarea id="question" rows="2" aria-label="Ask a question" placeholder="Ask about your documents…"></textarea>
    <div class="actions">
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
