/**
 * Where a workspace's index and chat history live: one folder per workspace in the
 * extension's global storage, named by the workspace's identity (its .code-workspace file, or
 * its folders). VS Code's own per-window `storageUri` is not used for them: in a browser-hosted
 * VS Code a reload or a second tab can get a different one while the old extension host
 * lingers, and every window of a folder should see the same index and history (several
 * processes share a store safely: the pipeline takes a lock to write).
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';

/** What the pipeline keeps per workspace; copied over from VS Code's per-window storage once. */
const KEPT = ['index', 'chat-history.json', 'chat-conversations.json'];

export function workspaceStorageDir(context: vscode.ExtensionContext): string {
  const identity = vscode.workspace.workspaceFile?.toString() ?? (vscode.workspace.workspaceFolders ?? []).map((folder) => folder.uri.toString()).sort().join('\n');
  if (!identity) return path.join(context.globalStorageUri.fsPath, 'no-workspace');
  const name = vscode.workspace.name?.replace(/[^\p{L}\p{N}._-]+/gu, '-').slice(0, 40) || 'workspace';
  const dir = path.join(context.globalStorageUri.fsPath, 'workspaces', `${name}-${createHash('sha256').update(identity).digest('hex').slice(0, 16)}`);
  adoptEarlierStorage(context.storageUri?.fsPath, dir);
  return dir;
}

/** An index and history kept by an earlier version in the per-window folder move to the shared one. */
function adoptEarlierStorage(earlier: string | undefined, dir: string): void {
  if (!earlier || fs.existsSync(dir)) return;
  fs.mkdirSync(dir, { recursive: true });
  for (const name of KEPT) {
    const from = path.join(earlier, name);
    if (!fs.existsSync(from)) continue;
    try {
      fs.cpSync(from, path.join(dir, name), { recursive: true, errorOnExist: false });
    } catch {
      // Not copied: the workspace is indexed again, and the old folder is left as it was.
    }
  }
}
