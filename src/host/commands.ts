/** The `localRag.*` commands of the command palette. */
import * as vscode from 'vscode';
import type { TerminalEvent } from '../protocol/events';
import type { ChatController } from './chatController';
import type { ChatViewProvider } from './chatViewProvider';
import type { Log } from './log';

export function registerCommands(controller: ChatController, view: ChatViewProvider, log: Log): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('localRag.ask', (question?: unknown, token?: vscode.CancellationToken) =>
      askWithProgress(controller, view, question, token),
    ),
    vscode.commands.registerCommand('localRag.stop', () => controller.stop()),
    vscode.commands.registerCommand('localRag.newChat', async () => {
      await controller.newChat();
      view.clear();
    }),
    vscode.commands.registerCommand('localRag.showLog', () => log.show()),
  ];
}

/**
 * Ask About Workspace Docs: the answer streams into the chat view while a cancellable
 * notification shows the phase; cancelling the notification stops the pipeline.
 * Resolves with the terminal event (undefined when the user dismissed the input box);
 * failures are reported to the user where all answers' failures are (extension.ts).
 */
async function askWithProgress(
  controller: ChatController,
  view: ChatViewProvider,
  preset?: unknown,
  callerToken?: vscode.CancellationToken,
): Promise<TerminalEvent | undefined> {
  const question =
    typeof preset === 'string' && preset.trim()
      ? preset.trim()
      : (await vscode.window.showInputBox({
          title: 'Ask About Workspace Docs',
          prompt: 'Ask a question about the documents in this workspace',
          placeHolder: 'What does the design say about cancellation?',
          ignoreFocusOut: true,
        }))?.trim();
  if (!question) return undefined;
  await view.reveal();
  const result = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'Local RAG', cancellable: true },
    async (progress, token) => {
      progress.report({ message: 'Starting…' });
      // A caller's own token (another command, a script) stops the answer as the notification's Cancel does.
      const cancelBoth = new vscode.CancellationTokenSource();
      const callerLink = isCancellationToken(callerToken) ? callerToken.onCancellationRequested(() => cancelBoth.cancel()) : undefined;
      const progressLink = token.onCancellationRequested(() => cancelBoth.cancel());
      if (isCancellationToken(callerToken) && callerToken.isCancellationRequested) cancelBoth.cancel();
      try {
        return await controller.ask(question, cancelBoth.token, (event) => {
          if ('status' in event) progress.report({ message: event.status });
        });
      } finally {
        callerLink?.dispose();
        progressLink.dispose();
        cancelBoth.dispose();
      }
    },
  );
  return result;
}

function isCancellationToken(value: unknown): value is vscode.CancellationToken {
  const token = value as vscode.CancellationToken | undefined;
  return typeof token?.isCancellationRequested === 'boolean' && typeof token.onCancellationRequested === 'function';
}
