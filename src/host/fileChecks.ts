/**
 * What the host lets the pipeline read. VS Code's file search follows symbolic links, and
 * the watcher reports whatever a `git pull` brings: a `docs/root -> /` or `passwd.md ->
 * /etc/passwd` would put files from outside the workspace into the index, and a link to
 * /dev/zero or a FIFO under a document's name would be read without end. So before files
 * go to the pipeline, each one's real path must lie inside the real path of its workspace
 * folder, and it must be a regular file; the others are skipped with a reason the index
 * summary shows. (The pipeline's own reader refuses non-regular files again: a link can be
 * swapped after this check.)
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileRef, IndexFailure, WorkspaceSkip } from '../protocol/indexing';
import { isInside as isInsideFolder } from '../protocol/paths';
import { HOST_PATHS, relativeTo } from './gitignore';
import { folderOf } from './workspaceFiles';

/** File system calls in flight at once: enough to keep the disk busy, few enough to leave libuv's pool to others. */
const CONCURRENCY = 16;

export interface CheckedFiles {
  files: FileRef[];
  /**
   * Why the others were not sent: one entry per file, except under a linked folder that
   * leads out (`docs/root -> /`), which is one entry for the link (`docs/root/`).
   */
  skipped: IndexFailure[];
  /** Every file not sent, by display path: what the index must no longer hold. */
  dropped: string[];
}

/** Whether `inner` is `outer` or lies under it (real, absolute paths; without case on Windows and macOS). */
export function isInside(outer: string, inner: string): boolean {
  return isInsideFolder(outer, inner, HOST_PATHS);
}

export function notAFileMessage(displayPath: string): string {
  return vscode.l10n.t('{0} is not a regular file (a named pipe, socket or device, or a link to one); only regular files are read.', displayPath);
}

/** What the pipeline's walk skipped, worded in the user's language. */
export function describeSkip({ path: shown, reason, target }: WorkspaceSkip): IndexFailure {
  const message =
    reason === 'notAFile'
      ? notAFileMessage(shown)
      : vscode.l10n.t('{0} links outside the workspace folder (to {1}); it was not indexed.', shown.replace(/\/$/, ''), target ?? '?');
  return { path: shown, reason, message };
}

/** Why one file is not sent: its own failure, or the linked folder above it that leads out. */
type Verdict = { failure: IndexFailure } | { linkedFolder: string; target: string } | undefined;

/**
 * The files that may be read, in the order given. A file in a workspace folder must be a
 * regular file whose real path lies inside the folder's real path; a file outside every
 * folder (Index This File on a file opened from elsewhere) only needs to be a regular file:
 * the user pointed at that very file, and there is no folder for it to leave. A file that
 * cannot be looked at (gone meanwhile) is passed on: the pipeline reports why.
 */
export async function checkFiles(refs: readonly FileRef[], folders = vscode.workspace.workspaceFolders ?? []): Promise<CheckedFiles> {
  const realPaths = new Map<string, Promise<string>>();
  // One realpath per folder, however many files it holds.
  const real = (dir: string) => {
    let cached = realPaths.get(dir);
    if (!cached) {
      cached = fs.realpath(dir);
      cached.catch(() => {});
      realPaths.set(dir, cached);
    }
    return cached;
  };
  const verdicts: Verdict[] = new Array(refs.length);
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const i = next++;
      verdicts[i] = await check(refs[i], folderOf(vscode.Uri.file(refs[i].absPath), folders), real);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, refs.length) }, worker));
  const result: CheckedFiles = { files: [], skipped: [], dropped: [] };
  const underLinks = new Map<string, { target: string; count: number }>();
  refs.forEach((ref, i) => {
    const verdict = verdicts[i];
    if (!verdict) return result.files.push(ref);
    result.dropped.push(ref.displayPath);
    if ('failure' in verdict) return result.skipped.push(verdict.failure);
    const seen = underLinks.get(verdict.linkedFolder);
    if (seen) seen.count++;
    else underLinks.set(verdict.linkedFolder, { target: verdict.target, count: 1 });
  });
  for (const [linkedFolder, { target, count }] of underLinks) {
    result.skipped.push({
      path: `${linkedFolder}/`,
      reason: 'outsideWorkspace',
      message: vscode.l10n.t('{0} links outside the workspace folder (to {1}); the {2} file(s) found under it were not indexed.', linkedFolder, target, count),
    });
  }
  return result;
}

async function check(ref: FileRef, folder: vscode.WorkspaceFolder | undefined, real: (dir: string) => Promise<string>): Promise<Verdict> {
  try {
    const realFolder = folder && (await real(folder.uri.fsPath));
    const realDir = await real(path.dirname(ref.absPath));
    // A folder above the file leads out (`docs/root -> /`): no need to look at the file itself.
    if (folder && realFolder && !isInside(realFolder, realDir)) return await linkedFolderAbove(ref, folder, realFolder, real);
    const link = await fs.lstat(ref.absPath);
    let realPath = path.join(realDir, path.basename(ref.absPath));
    let regular = link.isFile();
    if (link.isSymbolicLink()) {
      realPath = await fs.realpath(ref.absPath);
      regular = (await fs.stat(realPath)).isFile();
    }
    if (realFolder && !isInside(realFolder, realPath)) {
      const message = vscode.l10n.t('{0} links outside the workspace folder (to {1}); it was not indexed.', ref.displayPath, realPath);
      return { failure: { path: ref.displayPath, reason: 'outsideWorkspace', message } };
    }
    if (!regular) return { failure: { path: ref.displayPath, reason: 'notAFile', message: notAFileMessage(ref.displayPath) } };
    return undefined;
  } catch {
    return undefined;
  }
}

/** The outermost folder between the workspace folder and the file whose real path is outside. */
async function linkedFolderAbove(
  ref: FileRef,
  folder: vscode.WorkspaceFolder,
  realFolder: string,
  real: (dir: string) => Promise<string>,
): Promise<Verdict> {
  const parts = relativeTo(folder.uri.fsPath, path.dirname(ref.absPath))?.split('/') ?? [];
  const shown = ref.displayPath.split('/');
  for (let depth = 1; depth <= parts.length; depth++) {
    const target = await real(path.join(folder.uri.fsPath, ...parts.slice(0, depth)));
    if (!isInside(realFolder, target)) {
      // Named as the index names files: the display path cut after that folder.
      const linkedFolder = shown.slice(0, shown.length - 1 - (parts.length - depth)).join('/');
      return { linkedFolder, target };
    }
  }
  return undefined;
}

/** Why a file to attach cannot be read, or undefined when it is a regular file (links followed). */
export async function attachmentProblem(absPath: string, displayPath: string): Promise<string | undefined> {
  try {
    if (!(await fs.stat(absPath)).isFile()) return notAFileMessage(displayPath);
  } catch {
    // Gone or unreadable: the pipeline's reader says which.
  }
  return undefined;
}
