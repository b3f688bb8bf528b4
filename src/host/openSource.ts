/**
 * Opens a cited passage: a text file at its lines (revealed and selected), a PDF with the
 * editor VS Code associates with it. The location comes from the webview, so it is trusted
 * only as far as it names a source the pipeline cited, inside a workspace folder, at lines
 * the file still has.
 */
import * as vscode from 'vscode';
import type { Source } from '../protocol/events';
import { underFolder } from '../protocol/paths';
import { HOST_PATHS } from './gitignore';
import type { SourceLocation } from '../protocol/webviewMessages';

export function locationKey(location: SourceLocation): string {
  return JSON.stringify([location.path, location.startLine ?? null, location.endLine ?? null, location.page ?? null]);
}

/** The sources the chat view was shown; only these may be opened from it. */
export class CitedSources {
  private keys = new Set<string>();

  reset(sources: Source[] = []): void {
    this.keys = new Set(sources.map(locationKey));
  }

  add(sources: Source[]): void {
    for (const source of sources) this.keys.add(locationKey(source));
  }

  has(location: SourceLocation): boolean {
    return this.keys.has(locationKey(location));
  }
}

/**
 * The file a display path names (as workspaceFiles.toFileRef made it: relative to the only
 * folder, or `<folder name>/<relative>` in a multi-root workspace), or undefined when it
 * would leave its folder.
 */
export function resolveDisplayPath(displayPath: string, folders: readonly vscode.WorkspaceFolder[]): vscode.Uri | undefined {
  let folder: vscode.WorkspaceFolder | undefined = folders[0];
  let relative = displayPath;
  if (folders.length > 1) {
    const slash = displayPath.indexOf('/');
    folder = folders.find((candidate) => candidate.name === displayPath.slice(0, slash));
    relative = displayPath.slice(slash + 1);
  }
  if (!folder || folder.uri.scheme !== 'file') return undefined;
  const target = underFolder(folder.uri.fsPath, relative, HOST_PATHS);
  return target === undefined ? undefined : vscode.Uri.file(target);
}

/** Opens the location; returns a message for the user when it cannot. */
export async function openSource(location: SourceLocation): Promise<string | undefined> {
  const uri = resolveDisplayPath(location.path, vscode.workspace.workspaceFolders ?? []);
  if (!uri) return vscode.l10n.t('"{0}" is not in this workspace.', location.path);
  try {
    await vscode.workspace.fs.stat(uri);
  } catch {
    return vscode.l10n.t('"{0}" no longer exists.', location.path);
  }
  if (location.page !== undefined || uri.path.toLowerCase().endsWith('.pdf')) {
    // VS Code has no PDF viewer of its own and its custom-editor API passes no page to one,
    // so the file opens in whatever editor is associated with it and the page is named here.
    await vscode.commands.executeCommand('vscode.open', uri);
    if (location.page !== undefined) vscode.window.setStatusBarMessage(vscode.l10n.t('Local RAG: the cited passage is on page {0} of {1}.', location.page, location.path), 10_000);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  const start = (location.startLine ?? 1) - 1;
  if (start >= document.lineCount) return vscode.l10n.t('"{0}" has changed: line {1} is gone. Index it again to refresh its passages.', location.path, start + 1);
  const end = Math.min(Math.max((location.endLine ?? start + 1) - 1, start), document.lineCount - 1);
  const range = new vscode.Range(start, 0, end, document.lineAt(end).text.length);
  const editor = await vscode.window.showTextDocument(document, { selection: range, preview: true, viewColumn: vscode.ViewColumn.One });
  editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  return undefined;
}
