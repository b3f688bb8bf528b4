/** The `localRag.*` commands of the command palette. */
import * as vscode from 'vscode';
import type { TerminalEvent } from '../protocol/events';
import type { ChatController } from './chatController';
import type { ChatViewProvider } from './chatViewProvider';
import type { Log } from './log';

export function registerCommands(controller: ChatController, view: ChatViewProvider, log: Log): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand('localRag.ask', (question?: unknown) => askWithProgress(controller, view, question)),
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
      const subscription = controller.onUpdate((update) => {
        if (update.type === 'event' && 'status' in update.event) progress.report({ message: update.event.status });
      });
      try {
        return await controller.ask(question, token);
      } finally {
        subscription.dispose();
      }
    },
  );
  return result;
}
