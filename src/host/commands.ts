/** The `localRag.*` commands of the command palette and the context menus. */
import * as vscode from 'vscode';
import type { TerminalEvent } from '../protocol/events';
import type { FileRef } from '../protocol/indexing';
import { attachable } from './attachments';
import type { AskQuickPick } from './askQuickPick';
import type { ChatController } from './chatController';
import type { ChatViewProvider } from './chatViewProvider';
import type { Log } from './log';

export function registerCommands(controller: ChatController, view: ChatViewProvider, log: Log, quickPick: AskQuickPick): vscode.Disposable[] {
  return [
    // From the palette: the quick-pick. With a question (scripts, other extensions, tests):
    // straight to the chat view, with a cancellable progress notification.
    vscode.commands.registerCommand('localRag.ask', (question?: unknown, token?: unknown) =>
      typeof question === 'string' && question.trim()
        ? askWithProgress(controller, view, question.trim(), asToken(token))
        : quickPick.show(),
    ),
    // From the explorer and the editor menus VS Code passes the file's URI (and, from the
    // explorer, the selection as a second argument, ignored: one file per question).
    vscode.commands.registerCommand('localRag.askAboutFile', (uri?: unknown, question?: unknown, token?: unknown) =>
      askAboutFile(controller, view, uri, question, asToken(token)),
    ),
    vscode.commands.registerCommand('localRag.stop', () => controller.stop()),
    vscode.commands.registerCommand('localRag.showChatHistory', () => view.showConversations()),
    vscode.commands.registerCommand('localRag.newChat', async () => {
      await controller.newChat();
      view.clear();
    }),
    vscode.commands.registerCommand('localRag.showLog', () => log.show()),
  ];
}

/**
 * Ask About This File: the file (the one given, else the active editor's) is read and
 * summarized, then the question (asked in an input box unless given) is answered from it,
 * in the chat view. Resolves with the terminal event, undefined when nothing was asked.
 */
async function askAboutFile(
  controller: ChatController,
  view: ChatViewProvider,
  target: unknown,
  preset: unknown,
  token: vscode.CancellationToken | undefined,
): Promise<TerminalEvent | undefined> {
  const uri = target instanceof vscode.Uri ? target : vscode.window.activeTextEditor?.document.uri;
  if (!uri) {
    void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: open a file, or right-click one in the Explorer, to ask about it.'));
    return undefined;
  }
  const file = await attachable(uri);
  if (typeof file === 'string') {
    void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: {0}', file));
    return undefined;
  }
  const question =
    typeof preset === 'string' && preset.trim()
      ? preset.trim()
      : (await vscode.window.showInputBox({
          title: vscode.l10n.t('Ask About {0}', file.displayPath),
          prompt: vscode.l10n.t('The file is read and summarized, then your question is answered from it in the chat view.'),
          placeHolder: vscode.l10n.t('What are the main points of this file?'),
          ignoreFocusOut: true,
        }))?.trim();
  if (!question) return undefined;
  return askWithProgress(controller, view, question, token, file);
}

/**
 * The answer streams into the chat view while a cancellable notification shows the phase;
 * cancelling the notification (or the caller's token) stops the pipeline. Failures are
 * reported to the user where all answers' failures are (extension.ts).
 */
async function askWithProgress(
  controller: ChatController,
  view: ChatViewProvider,
  question: string,
  callerToken: vscode.CancellationToken | undefined,
  attachment?: FileRef,
): Promise<TerminalEvent> {
  await view.reveal();
  return vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Local RAG', cancellable: true },
    async (progress, token) => {
      progress.report({ message: vscode.l10n.t('Starting…') });
      const cancelBoth = new vscode.CancellationTokenSource();
      const callerLink = callerToken?.onCancellationRequested(() => cancelBoth.cancel());
      const progressLink = token.onCancellationRequested(() => cancelBoth.cancel());
      if (callerToken?.isCancellationRequested) cancelBoth.cancel();
      try {
        return await controller.ask(
          question,
          cancelBoth.token,
          (event) => {
            if ('status' in event) progress.report({ message: event.status });
          },
          attachment,
        );
      } finally {
        callerLink?.dispose();
        progressLink.dispose();
        cancelBoth.dispose();
      }
    },
  );
}

/** A caller's CancellationToken (another command, a script), if what was passed is one. */
function asToken(value: unknown): vscode.CancellationToken | undefined {
  const token = value as vscode.CancellationToken | undefined;
  return typeof token?.isCancellationRequested === 'boolean' && typeof token.onCancellationRequested === 'function' ? token : undefined;
}
