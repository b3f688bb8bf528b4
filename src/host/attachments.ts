/**
 * Files attached to a question: chosen in an open dialog, dropped on the chat view, or the
 * file Ask About This File was run on. Only local files can be attached (the pipeline
 * process reads them from disk); a folder, a missing file, a FIFO or a link to a device is
 * refused with a message.
 */
import { randomUUID } from 'node:crypto';
import * as vscode from 'vscode';
import type { FileRef } from '../protocol/indexing';
import type { ShownAttachment } from '../protocol/webviewMessages';
import { attachmentProblem } from './fileChecks';
import { toFileRef } from './workspaceFiles';

/** A FileRef for `uri`, or a message saying why it cannot be attached. */
export async function attachable(uri: vscode.Uri): Promise<FileRef | string> {
  if (uri.scheme !== 'file') return vscode.l10n.t('{0} is not a local file; Local RAG can read only files on this machine.', uri.toString(true));
  let stat: vscode.FileStat;
  try {
    stat = await vscode.workspace.fs.stat(uri);
  } catch {
    return vscode.l10n.t('{0} does not exist.', uri.fsPath);
  }
  if (stat.type & vscode.FileType.Directory) return vscode.l10n.t('{0} is a folder; attach a file.', uri.fsPath);
  // A FIFO or a link to a device is refused here, before the pipeline would wait on it.
  const problem = await attachmentProblem(uri.fsPath, uri.fsPath);
  if (problem) return problem;
  return toFileRef(uri);
}

/** The Attach button's open dialog; undefined when dismissed. */
export async function pickAttachmentUri(): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Attach a File to the Question'),
    openLabel: vscode.l10n.t('Attach'),
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
    filters: {
      Documents: ['pdf', 'md', 'markdown', 'txt', 'rst', 'adoc'],
      [vscode.l10n.t('All files')]: ['*'],
    },
  });
  return picked?.[0];
}

/**
 * The first dropped URI that parses; VS Code's drops carry `file:` URIs for the explorer's
 * files and for editor tabs.
 */
export function firstDroppedUri(uris: readonly string[]): vscode.Uri | undefined {
  for (const text of uris) {
    try {
      const uri = vscode.Uri.parse(text.trim(), true);
      if (uri.scheme && uri.path) return uri;
    } catch {
      // Not a URI: try the next one.
    }
  }
  return undefined;
}

/**
 * Attachments the chat view was offered, and the files its turns were asked with, by id:
 * the webview names a file only through an id the host gave it, never by path.
 */
export class OfferedAttachments {
  private readonly offered = new Map<string, FileRef>();
  private readonly onTurns = new Map<string, FileRef>();

  offer(file: FileRef): string {
    // Only the latest offer is live: the view shows one attachment at a time.
    this.offered.clear();
    const id = randomUUID();
    this.offered.set(id, file);
    return id;
  }

  /** The file a turn shown was asked with: Retry and Regenerate name it to ask with it again. */
  showOnTurn(file: FileRef): ShownAttachment {
    const id = randomUUID();
    this.onTurns.set(id, file);
    return { id, name: file.displayPath };
  }

  /** The view shows other turns now (a conversation opened, a reload). */
  forgetTurns(): void {
    this.onTurns.clear();
  }

  /** An offer is taken once; a turn's file as often as the turn is asked again. */
  take(id: string): FileRef | undefined {
    const file = this.offered.get(id) ?? this.onTurns.get(id);
    this.offered.delete(id);
    return file;
  }
}
