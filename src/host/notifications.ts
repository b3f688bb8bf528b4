import * as vscode from 'vscode';
import type { ErrorEvent } from '../protocol/events';
import type { Log } from './log';

/** Tells the user about a failed answer once, with the action that fixes it. */
export function reportFailure(event: ErrorEvent, log: Log): void {
  if (event.code === 'modelUnavailable') {
    void vscode.window.showErrorMessage(event.error, 'Select Model', 'Open Settings').then((choice) => {
      if (choice === 'Select Model') void vscode.commands.executeCommand('localRag.selectModel');
      if (choice === 'Open Settings') void vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.chatModel');
    });
    return;
  }
  void vscode.window.showErrorMessage(event.error, 'Show Log').then((choice) => {
    if (choice) log.show();
  });
}
