import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ErrorEvent } from '../protocol/events';
import type { LogParams } from '../protocol/rpc';
import type { Log } from './log';

/**
 * A file the pipeline could not read and moved aside (the chat history cut short by a
 * crash, say): the user learns that a fresh one was started and where the old bytes are.
 */
export function reportKeptAside({ file, movedTo }: NonNullable<LogParams['keptAside']>, log: Log): void {
  const reveal = vscode.l10n.t('Reveal Kept File');
  void vscode.window
    .showWarningMessage(vscode.l10n.t('Local RAG could not read {0} and started a new one; the old file was kept as {1}.', path.basename(file), movedTo), reveal, vscode.l10n.t('Show Log'))
    .then((choice) => {
      if (choice === reveal) void vscode.commands.executeCommand('revealFileInOS', vscode.Uri.file(movedTo));
      else if (choice) log.show();
    });
}

/** Tells the user about a failed answer once, with the action that fixes it. */
export function reportFailure(event: ErrorEvent, log: Log): void {
  if (event.code === 'modelUnavailable') {
    const selectModel = vscode.l10n.t('Select Model');
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window.showErrorMessage(event.error, selectModel, openSettings).then((choice) => {
      if (choice === selectModel) void vscode.commands.executeCommand('localRag.selectModel');
      if (choice === openSettings) void vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.chatModel');
    });
    return;
  }
  void vscode.window.showErrorMessage(event.error, vscode.l10n.t('Show Log')).then((choice) => {
    if (choice) log.show();
  });
}
