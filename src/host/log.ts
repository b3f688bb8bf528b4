import * as vscode from 'vscode';
import type { LogLevel } from '../protocol/rpc';

export type Log = vscode.LogOutputChannel;

export function createLog(): Log {
  return vscode.window.createOutputChannel('Local RAG', { log: true });
}

export function writeLog(log: Log, level: LogLevel, message: string): void {
  log[level](message);
}
