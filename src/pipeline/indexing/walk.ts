/**
 * The files of a folder that are worth indexing: documents and source by extension,
 * without dependency, build and VCS folders, and without what .gitignore excludes.
 * This is the CLI's walk; Index Workspace in VS Code walks with the user's
 * `localRag.include`/`exclude` instead (workspaceWalk.ts).
 *
 * The walk never leaves its root: a symbolic link is followed only when its real path is
 * inside the root's real path (`docs/root -> /` or `passwd.md -> /etc/passwd` are listed
 * as skipped, with why), each real folder is walked once (a link to an ancestor is no
 * loop), and what is not a regular file (a FIFO, a socket, a device) is skipped unread.
 */
import * as fs from 'node:fs/promises';
import type { Dirent, Stats } from 'node:fs';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import type { FileRef, IndexFailure } from '../../protocol/indexing';
import { isInside as isInsideFolder, pathRules, toSlashes } from '../../protocol/paths';
import { CODE_EXTENSIONS, MARKDOWN_EXTENSIONS, TEXT_EXTENSIONS } from './extract/text';

const SKIPPED_FOLDERS = new Set(['node_modules', 'dist', 'out', 'build', 'target', '__pycache__', 'venv', '.venv']);

/** Files per run unless told otherwise (localRag.maxFiles, --max-files). */
export const DEFAULT_MAX_FILES = 50_000;

export function isIndexable(filePath: string): boolean {
  const extension = path.extname(filePath).toLowerCase();
  return extension === '.pdf' || MARKDOWN_EXTENSIONS.has(extension) || TEXT_EXTENSIONS.has(extension) || CODE_EXTENSIONS.has(extension);
}

export interface WalkResult {
  /** What to index, in a stable order, at most `maxFiles`. */
  files: FileRef[];
  /** Found but not to be read: links out of the root, FIFOs, devices. */
  skipped: IndexFailure[];
  /** Past the cap: the files left for lack of room, in the same order as `files`. */
  leftOut: FileRef[];
}

/** The indexable files under `root` (see walkFolderReport for what was skipped and why). */
export async function walkFolder(root: string): Promise<FileRef[]> {
  return (await walkFolderReport(root, { maxFiles: Number.POSITIVE_INFINITY })).files;
}

export async function walkFolderReport(root: string, { maxFiles = DEFAULT_MAX_FILES }: { maxFiles?: number } = {}): Promise<WalkResult> {
  const rules = ignore();
  try {
    rules.add(await fs.readFile(path.join(root, '.gitignore'), 'utf8'));
  } catch {
    // No .gitignore: nothing more to skip.
  }
  const realRoot = await fs.realpath(root);
  const walk = new Walk(root, realRoot, rules);
  await walk.folder(root, realRoot);
  const found = walk.files.sort((a, b) => a.displayPath.localeCompare(b.displayPath));
  walk.skipped.sort((a, b) => a.path.localeCompare(b.path));
  return { files: found.slice(0, maxFiles), skipped: walk.skipped, leftOut: found.slice(maxFiles) };
}

/** This machine's path rules: Windows and macOS compare names without case. */
const PATHS = pathRules(path, process.platform);

/** Whether `inner` is `outer` or lies under it (both real, absolute paths). */
export function isInside(outer: string, inner: string): boolean {
  return isInsideFolder(outer, inner, PATHS);
}

class Walk {
  readonly files: FileRef[] = [];
  readonly skipped: IndexFailure[] = [];
  /** Real folders walked already: two links to one folder, or a link to an ancestor. */
  private readonly seen = new Set<string>();

  constructor(
    private readonly root: string,
    private readonly realRoot: string,
    private readonly rules: Ignore,
  ) {}

  async folder(dir: string, realDir: string): Promise<void> {
    if (this.seen.has(realDir)) return;
    this.seen.add(realDir);
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      // A folder that cannot be listed (permissions, removed meanwhile) holds nothing to index.
      return;
    }
    for (const entry of entries) await this.entry(dir, realDir, entry);
  }

  private async entry(dir: string, realDir: string, entry: Dirent): Promise<void> {
    const absPath = path.join(dir, entry.name);
    const relative = toSlashes(path.relative(this.root, absPath), path.sep);
    const wantedFolder = () => !entry.name.startsWith('.') && !SKIPPED_FOLDERS.has(entry.name) && !this.rules.ignores(`${relative}/`);
    const wantedFile = () => isIndexable(entry.name) && !this.rules.ignores(relative);
    if (entry.isDirectory()) {
      if (wantedFolder()) await this.folder(absPath, path.join(realDir, entry.name));
    } else if (entry.isFile()) {
      if (wantedFile()) this.files.push({ absPath, displayPath: relative });
    } else if (entry.isSymbolicLink()) {
      await this.link(absPath, relative, wantedFolder, wantedFile);
    } else if (wantedFile()) {
      this.notAFile(relative);
    }
  }

  /** A link is followed only to a real path inside the root. */
  private async link(absPath: string, relative: string, wantedFolder: () => boolean, wantedFile: () => boolean): Promise<void> {
    let real: string;
    let stat: Stats;
    try {
      real = await fs.realpath(absPath);
      stat = await fs.stat(real);
    } catch {
      // A broken link: nothing to read.
      return;
    }
    const wanted = stat.isDirectory() ? wantedFolder() : wantedFile();
    if (!wanted) return;
    if (!isInside(this.realRoot, real)) {
      this.skipped.push({
        path: stat.isDirectory() ? `${relative}/` : relative,
        reason: 'outsideWorkspace',
        message: `${relative} links outside the folder being indexed (to ${real}); it was skipped.`,
      });
    } else if (stat.isDirectory()) {
      await this.folder(absPath, real);
    } else if (stat.isFile()) {
      // The real path: what was checked is what is read.
      this.files.push({ absPath: real, displayPath: relative });
    } else {
      this.notAFile(relative);
    }
  }

  private notAFile(relative: string): void {
    this.skipped.push({
      path: relative,
      reason: 'notAFile',
      message: `${relative} is not a regular file (a named pipe, socket or device); only regular files are read, so it was skipped.`,
    });
  }
}
