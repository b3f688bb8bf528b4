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
import type { FileRef, IndexFailure } from '../protocol/indexing';
import { folderOf } from './workspaceFiles';

/** File system calls in flight at once: enough to keep the disk busy, few enough to leave libuv's pool to others. */
const CONCURRENCY = 16;

export interface CheckedFiles {
  files: FileRef[];
  skipped: IndexFailure[];
}

/** Whether `inner` is `outer` or lies under it (real, absolute paths). */
export function isInside(outer: string, inner: string): boolean {
  const relative = path.relative(outer, inner);
  return relative === '' || (!relative.startsWith('..') && !path.isAbsolute(relative));
}

export function notAFileMessage(displayPath: string): string {
  return vscode.l10n.t('{0} is not a regular file (a named pipe, socket or device, or a link to one); only regular files are read.', displayPath);
}

/**
 * The files that may be read, in the order given. A file in a workspace folder must be a
 * regular file whose real path lies inside the folder's real path; a file outside every
 * folder (Index This File on a file opened from elsewhere) only needs to be a regular file:
 * the user pointed at that very file, and there is no folder for it to leave. A file that
 * cannot be looked at (gone meanwhile) is passed on: the pipeline reports why.
 */
export async function checkFiles(refs: readonly FileRef[], folders = vscode.workspace.workspaceFolders ?? []): Promise<CheckedFiles> {
  const realPaths = new Map<string, Promise<string>>();
  const real = (dir: string) => {
    let cached = realPaths.get(dir);
    if (!cached) realPaths.set(dir, (cached = fs.realpath(dir)));
    return cached;
  };
  const verdicts: (IndexFailure | undefined)[] = new Array(refs.length);
  let next = 0;
  const worker = async () => {
    while (next < refs.length) {
      const i = next++;
      verdicts[i] = await check(refs[i], folderOf(vscode.Uri.file(refs[i].absPath), folders), real);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, refs.length) }, worker));
  const result: CheckedFiles = { files: [], skipped: [] };
  refs.forEach((ref, i) => (verdicts[i] ? result.skipped.push(verdicts[i]!) : result.files.push(ref)));
  return result;
}

async function check(ref: FileRef, folder: vscode.WorkspaceFolder | undefined, real: (dir: string) => Promise<string>): Promise<IndexFailure | undefined> {
  let realPath: string;
  let regular: boolean;
  try {
    const link = await fs.lstat(ref.absPath);
    if (link.isSymbolicLink()) {
      realPath = await fs.realpath(ref.absPath);
      regular = (await fs.stat(realPath)).isFile();
    } else {
      // Not a link itself, but a folder above it may be (`docs/root -> /`): one realpath per folder.
      realPath = path.join(await real(path.dirname(ref.absPath)), path.basename(ref.absPath));
      regular = link.isFile();
    }
  } catch {
    return undefined;
  }
  if (folder) {
    let realFolder: string;
    try {
      realFolder = await real(folder.uri.fsPath);
    } catch {
      return undefined;
    }
    if (!isInside(realFolder, realPath)) {
      return {
        path: ref.displayPath,
        reason: 'outsideWorkspace',
        message: vscode.l10n.t('{0} links outside the workspace folder (to {1}); it was not indexed.', ref.displayPath, realPath),
      };
    }
  }
  if (!regular) return { path: ref.displayPath, reason: 'notAFile', message: notAFileMessage(ref.displayPath) };
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
