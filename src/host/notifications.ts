import * as vscode from 'vscode';
import type { ErrorEvent } from '../protocol/events';
import type { Log } from './log';

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
