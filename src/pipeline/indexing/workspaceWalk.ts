/**
 * The files Index Workspace reads, found here rather than in the extension host: VS Code's
 * file search, our .gitignore filter, the per-file link checks and the sort together held
 * the host's thread for seconds over 50,000 files, and every extension waited.
 *
 * What is found is what the host's own search found: files under each workspace folder
 * that match `include`, without those `exclude` covers (a matching folder covers everything
 * in it) or the folder's root `.gitignore` ignores. Links are followed as VS Code's search
 * follows them, but only to a real path inside the folder's real path: a link out
 * (`docs/root -> /`, `passwd.md -> /etc/passwd`) is reported once and never walked, and
 * what is not a regular file (a FIFO, a socket, a device) is reported unread.
 */
import type { Dirent } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FileRef, WorkspaceFolderRef, WorkspaceScope, WorkspaceSkip } from '../../protocol/indexing';
import { isInside as isInsideFolder, pathRules } from '../../protocol/paths';
import type { RequestToken } from '../cancellation';

const PATHS = pathRules(path, process.platform);

export interface WorkspaceFiles {
  /** In code-unit order of display path, all of them (the caller applies maxFiles). */
  files: FileRef[];
  skipped: WorkspaceSkip[];
  /** Display paths the index must no longer hold: links out and non-files found in place of files. */
  dropped: string[];
  /** Linked folders that lead out, as display path prefixes (`docs/root/`): whatever the index holds under them goes. */
  droppedFolders: string[];
  /** The walk stopped at `searchLimit` matches: some files were not seen. */
  searchCut: boolean;
}

export async function findWorkspaceFiles({ folders, include, exclude, searchLimit }: WorkspaceScope, token: RequestToken): Promise<WorkspaceFiles> {
  const result: WorkspaceFiles = { files: [], skipped: [], dropped: [], droppedFolders: [], searchCut: false };
  const includes = picomatch(include, { dot: true });
  // One pattern each: inside a {a,b} group picomatch no longer lets `**/` match nothing.
  const excludes = exclude.length ? picomatch(exclude, { dot: true }) : () => false;
  const roots = new Set(folders.map((folder) => folder.path));
  for (const folder of folders) {
    const walk = new FolderWalk(folder, folders.length > 1, { includes, excludes, roots, searchLimit, token, result });
    await walk.run();
    if (result.searchCut || token.isCancelled) break;
  }
  token.throwIfCancelled();
  result.files.sort((a, b) => compare(a.displayPath, b.displayPath));
  result.skipped.sort((a, b) => compare(a.path, b.path));
  return result;
}

/** Code-unit order, not localeCompare: any stable order will do, and this one is cheap. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface WalkContext {
  includes: (relative: string) => boolean;
  excludes: (relative: string) => boolean;
  /** Every workspace folder: one nested in another is walked as itself (its name, its .gitignore). */
  roots: Set<string>;
  searchLimit: number;
  token: RequestToken;
  result: WorkspaceFiles;
}

class FolderWalk {
  private rules: Ignore = ignore();
  private realRoot = '';

  constructor(
    private readonly folder: WorkspaceFolderRef,
    private readonly multiRoot: boolean,
    private readonly context: WalkContext,
  ) {}

  async run(): Promise<void> {
    try {
      this.realRoot = await fs.realpath(this.folder.path);
    } catch {
      return; // gone, or not a folder: nothing to index in it
    }
    try {
      this.rules = ignore().add(await fs.readFile(path.join(this.folder.path, '.gitignore'), 'utf8'));
    } catch {
      // No .gitignore: nothing is ignored.
    }
    await this.dir(this.folder.path, '', this.realRoot, [this.realRoot]);
  }

  /** `ancestors`: the real folders above, so a link back up is no loop. */
  private async dir(dir: string, relDir: string, realDir: string, ancestors: string[]): Promise<void> {
    const { token, result, searchLimit } = this.context;
    if (token.isCancelled || result.searchCut) return;
    let entries: Dirent[];
    try {
      entries = await fs.readdir(dir, { withFileTypes: true });
    } catch {
      return; // cannot be listed (permissions, removed meanwhile): nothing to index there
    }
    for (const entry of entries) {
      if (result.files.length + result.skipped.length >= searchLimit) {
        result.searchCut = true;
        return;
      }
      const relative = relDir ? `${relDir}/${entry.name}` : entry.name;
      const absPath = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (this.wantedFolder(relative, absPath)) await this.dir(absPath, relative, path.join(realDir, entry.name), [...ancestors, path.join(realDir, entry.name)]);
      } else if (entry.isFile()) {
        if (this.wantedFile(relative)) result.files.push({ absPath, displayPath: this.display(relative) });
      } else if (entry.isSymbolicLink()) {
        await this.link(absPath, relative, ancestors);
      } else if (this.wantedFile(relative)) {
        this.skip(relative, 'notAFile');
      }
    }
  }

  private async link(absPath: string, relative: string, ancestors: string[]): Promise<void> {
    let real: string;
    let isDirectory: boolean;
    let isFile: boolean;
    try {
      real = await fs.realpath(absPath);
      const stat = await fs.stat(real);
      isDirectory = stat.isDirectory();
      isFile = stat.isFile();
    } catch {
      return; // a broken link: nothing to read
    }
    if (isDirectory) {
      if (!this.wantedFolder(relative, absPath)) return;
      if (!isInsideFolder(this.realRoot, real, PATHS)) {
        this.context.result.skipped.push({ path: `${this.display(relative)}/`, reason: 'outsideWorkspace', target: real });
        this.context.result.droppedFolders.push(`${this.display(relative)}/`);
      } else if (!ancestors.some((ancestor) => isInsideFolder(ancestor, real, PATHS) && isInsideFolder(real, ancestor, PATHS))) {
        await this.dir(absPath, relative, real, [...ancestors, real]);
      }
      return;
    }
    if (!this.wantedFile(relative)) return;
    if (!isInsideFolder(this.realRoot, real, PATHS)) this.skip(relative, 'outsideWorkspace', real);
    else if (!isFile) this.skip(relative, 'notAFile');
    else this.context.result.files.push({ absPath, displayPath: this.display(relative) });
  }

  private wantedFolder(relative: string, absPath: string): boolean {
    return !this.context.excludes(relative) && !this.context.roots.has(absPath) && !this.rules.ignores(`${relative}/`);
  }

  private wantedFile(relative: string): boolean {
    return this.context.includes(relative) && !this.context.excludes(relative) && !this.rules.ignores(relative);
  }

  private skip(relative: string, reason: WorkspaceSkip['reason'], target?: string): void {
    const displayPath = this.display(relative);
    this.context.result.skipped.push({ path: displayPath, reason, ...(target ? { target } : {}) });
    this.context.result.dropped.push(displayPath);
  }

  /** As the index names and cites the file: workspace-relative, under the folder's name when there are several. */
  private display(relative: string): string {
    return this.multiRoot ? `${this.folder.name}/${relative}` : relative;
  }
}
