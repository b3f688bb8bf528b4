/**
 * The `.gitignore` at the root of each workspace folder, kept current: an edit, a new file
 * or a deletion reloads the rules and reports what they were before and after, so that the
 * index can drop files that became ignored and take in files that no longer are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import * as vscode from 'vscode';
import { pathRules, relativeInside } from '../protocol/paths';

/** This machine's path rules: Windows and macOS compare names without case. */
export const HOST_PATHS = pathRules(path, process.platform);

export interface GitignoreChange {
  folder: vscode.WorkspaceFolder;
  before: Ignore;
  after: Ignore;
}

interface Loaded {
  text: string;
  rules: Ignore;
}

export class GitignoreRules implements vscode.Disposable {
  /** Per folder: the rules in force, which the index reflects once the change events are handled. */
  private readonly rules = new Map<string, Promise<Loaded>>();
  private readonly watchers = new Map<string, vscode.Disposable>();
  private readonly changed = new vscode.EventEmitter<GitignoreChange>();
  readonly onDidChange = this.changed.event;
  private readonly folderEvents: vscode.Disposable;
  /** Reloads run one after another, so each change is reported against the rules before it. */
  private reloads: Promise<void> = Promise.resolve();

  constructor() {
    // Read now, not at first use: a later edit is reported against the rules of before it.
    for (const folder of vscode.workspace.workspaceFolders ?? []) this.add(folder);
    this.folderEvents = vscode.workspace.onDidChangeWorkspaceFolders(({ added, removed }) => {
      for (const folder of removed) {
        this.watchers.get(folder.uri.fsPath)?.dispose();
        this.watchers.delete(folder.uri.fsPath);
        this.rules.delete(folder.uri.fsPath);
      }
      added.forEach((folder) => this.add(folder));
    });
  }

  /** The rules of this folder (an empty set when it has no .gitignore). */
  async forFolder(folder: vscode.WorkspaceFolder): Promise<Ignore> {
    let loaded = this.rules.get(folder.uri.fsPath);
    if (!loaded) {
      loaded = load(folder);
      this.rules.set(folder.uri.fsPath, loaded);
    }
    return (await loaded).rules;
  }

  /**
   * Reads every folder's .gitignore again and reports the ones that changed: a watcher can
   * miss an edit (files.watcherExclude, a folder too large to watch).
   */
  reloadAll(): Promise<void> {
    return Promise.all((vscode.workspace.workspaceFolders ?? []).map((folder) => this.reload(folder))).then(() => undefined);
  }

  dispose(): void {
    this.folderEvents.dispose();
    this.watchers.forEach((watcher) => watcher.dispose());
    this.changed.dispose();
  }

  private add(folder: vscode.WorkspaceFolder): void {
    this.rules.set(folder.uri.fsPath, load(folder));
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, '.gitignore'));
    const reload = () => void this.reload(folder);
    this.watchers.set(
      folder.uri.fsPath,
      vscode.Disposable.from(watcher, watcher.onDidCreate(reload), watcher.onDidChange(reload), watcher.onDidDelete(reload)),
    );
  }

  private reload(folder: vscode.WorkspaceFolder): Promise<void> {
    const key = folder.uri.fsPath;
    this.reloads = this.reloads.then(async () => {
      const current = this.rules.get(key);
      if (!current) return; // the folder left the workspace
      const before = await current;
      const after = await load(folder);
      if (after.text === before.text || this.rules.get(key) !== current) return;
      this.rules.set(key, Promise.resolve(after));
      this.changed.fire({ folder, before: before.rules, after: after.rules });
    });
    return this.reloads;
  }
}

async function load(folder: vscode.WorkspaceFolder): Promise<Loaded> {
  let text = '';
  // Node's fs, not vscode.workspace.fs: indexing covers folders on disk only, and a missing
  // file there costs the extension host an expensive FileSystemError.
  if (folder.uri.scheme === 'file') {
    try {
      text = await fs.promises.readFile(path.join(folder.uri.fsPath, '.gitignore'), 'utf8');
    } catch {
      // No .gitignore: nothing is ignored.
    }
  }
  return { text, rules: ignore().add(text) };
}

/** Whether `rules` ignore this file (its path relative to `folder`, with forward slashes). */
export function ignoredIn(rules: Ignore, folder: vscode.WorkspaceFolder, fsPath: string): boolean {
  const relative = relativeTo(folder.uri.fsPath, fsPath);
  return relative !== undefined && rules.ignores(relative);
}

/** `fsPath` relative to `root` with forward slashes, or undefined when it is not inside it. */
export function relativeTo(root: string, fsPath: string): string | undefined {
  return relativeInside(root, fsPath, HOST_PATHS);
}
