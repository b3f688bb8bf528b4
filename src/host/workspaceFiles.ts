/**
 * Which files of the workspace the index holds: `localRag.include` minus `localRag.exclude`,
 * `files.exclude` and each folder's `.gitignore`, and how each is named in the index.
 */
import picomatch from 'picomatch';
import * as vscode from 'vscode';
import type { FileRef, WorkspaceScope } from '../protocol/indexing';
import { ignoredIn, relativeTo, type GitignoreRules } from './gitignore';
import { mapInSlices } from './slices';

export function includePattern(): string {
  // The defaults live in package.json, where the Settings editor shows them.
  return vscode.workspace.getConfiguration('localRag').get<string>('include') ?? '';
}

/** localRag.exclude plus files.exclude (VS Code drops files.exclude when an exclude is given). */
export function excludePattern(): string {
  return `{${excludeGlobs().join(',')}}`;
}

function excludeGlobs(): string[] {
  const own = vscode.workspace.getConfiguration('localRag').get<string[]>('exclude') ?? [];
  const filesExclude = vscode.workspace.getConfiguration('files').get<Record<string, boolean>>('exclude') ?? {};
  return [...own, ...Object.entries(filesExclude).filter(([, on]) => on).map(([glob]) => glob)];
}

let excludeMatcher: { pattern: string; matches: (path: string) => boolean } | undefined;

/**
 * Whether `localRag.exclude` or `files.exclude` covers the file, for what the file watcher
 * reports (findFiles applies them to searches only). As in VS Code, a pattern that matches
 * a folder covers everything in it, and patterns are relative to the workspace folder.
 */
export function isExcluded(uri: vscode.Uri, folders = vscode.workspace.workspaceFolders ?? []): boolean {
  const folder = folderOf(uri, folders);
  const relative = folder && relativeTo(folder.uri.fsPath, uri.fsPath);
  if (relative === undefined) return false;
  const globs = excludeGlobs();
  const pattern = globs.join('\0');
  // One pattern each: inside a {a,b} group picomatch no longer lets `**/` match nothing.
  if (excludeMatcher?.pattern !== pattern) excludeMatcher = { pattern, matches: globs.length ? picomatch(globs, { dot: true }) : () => false };
  const parts = relative.split('/');
  return parts.some((_, i) => excludeMatcher!.matches(parts.slice(0, i + 1).join('/')));
}

/** The include/exclude matches of the workspace (or of one folder), .gitignore not applied yet. */
export function findCandidates(token?: vscode.CancellationToken, folder?: vscode.WorkspaceFolder, maxResults?: number): Thenable<vscode.Uri[]> {
  const include = folder ? new vscode.RelativePattern(folder, includePattern()) : includePattern();
  return vscode.workspace.findFiles(include, excludePattern(), maxResults, token);
}

/**
 * What Index Workspace covers, for the pipeline to walk: the folders on disk and the
 * settings. The walk stops at `searchLimit` matches (`searchCut` then says the list is incomplete).
 */
export function workspaceScope(maxFiles: number, searchLimit: number): WorkspaceScope {
  const folders = (vscode.workspace.workspaceFolders ?? []).filter((folder) => folder.uri.scheme === 'file');
  return {
    folders: folders.map((folder) => ({ name: folder.name, path: folder.uri.fsPath })),
    include: includePattern(),
    exclude: excludeGlobs(),
    maxFiles,
    searchLimit,
  };
}

/** The files that no folder's .gitignore ignores, as FileRefs. */
export async function keepNotIgnored(gitignore: GitignoreRules, uris: readonly vscode.Uri[]): Promise<FileRef[]> {
  // Read once: vscode.workspace.workspaceFolders copies the list on every read.
  const folders = vscode.workspace.workspaceFolders ?? [];
  const rules = new Map(await Promise.all(folders.map(async (folder) => [folder, await gitignore.forFolder(folder)] as const)));
  return mapInSlices(uris, (uri) => {
    const folder = folderOf(uri, folders);
    const folderRules = folder && rules.get(folder);
    return folder && folderRules && ignoredIn(folderRules, folder, uri.fsPath) ? undefined : toFileRef(uri, folders);
  });
}

/** Workspace-relative where possible: that is how the index names and cites the file. */
export function toFileRef(uri: vscode.Uri, folders = vscode.workspace.workspaceFolders ?? []): FileRef {
  const folder = folderOf(uri, folders);
  const relative = folder && relativeTo(folder.uri.fsPath, uri.fsPath);
  if (!folder || relative === undefined) return { absPath: uri.fsPath, displayPath: vscode.workspace.asRelativePath(uri, true) };
  // As vscode.workspace.asRelativePath(uri, true) names it, without its cost per file.
  return { absPath: uri.fsPath, displayPath: folders.length > 1 ? `${folder.name}/${relative}` : relative };
}

/** The innermost workspace folder holding the file (as vscode.workspace.getWorkspaceFolder). */
export function folderOf(uri: vscode.Uri, folders = vscode.workspace.workspaceFolders ?? []): vscode.WorkspaceFolder | undefined {
  if (uri.scheme !== 'file') return undefined;
  let best: vscode.WorkspaceFolder | undefined;
  for (const folder of folders) {
    if (folder.uri.scheme !== 'file' || relativeTo(folder.uri.fsPath, uri.fsPath) === undefined) continue;
    if (!best || folder.uri.fsPath.length > best.uri.fsPath.length) best = folder;
  }
  return best;
}
