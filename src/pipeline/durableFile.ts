/**
 * Files that must survive a kill or a power cut whole (chat history, a download's manifest,
 * the index's segments and manifest): written to a temp name no other process uses, synced,
 * renamed into place, and the folder synced so the rename itself is on disk. A file found
 * damaged is moved aside under a name that never replaces another, so what it held can
 * still be looked at.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';

export async function writeFileDurably(file: string, data: string | Uint8Array): Promise<void> {
  await writeAtomically(file, data);
  await syncDir(path.dirname(file));
}

/**
 * Writes `data` (or its pieces, one after the other) to a temp file (a name no other process
 * uses), syncs it and renames it into place; the caller syncs the folder (once, after a
 * batch of renames).
 */
export async function writeAtomically(file: string, data: string | Uint8Array | readonly Uint8Array[]): Promise<void> {
  const temp = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    const handle = await fs.open(temp, 'wx');
    try {
      // Each writeFile continues where the last one ended.
      for (const piece of typeof data === 'string' || data instanceof Uint8Array ? [data] : data) await handle.writeFile(piece);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await renameReplacing(temp, file);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}

/** What Windows answers while another program (a virus scanner, the search indexer) holds the file open. */
const BUSY = new Set(['EPERM', 'EACCES', 'EBUSY']);
/** How long a rename is retried on Windows: scanners let go within a second or two. */
const RENAME_RETRY_MS = 3000;

/**
 * fs.rename, retried for a while on Windows when the source or the target is open elsewhere
 * (there a rename fails instead of replacing a file that is open without FILE_SHARE_DELETE,
 * and scanners open every new file). Elsewhere a failure is final at once.
 */
export async function renameReplacing(
  from: string,
  to: string,
  { platform = process.platform, rename = fs.rename }: { platform?: string; rename?: (from: string, to: string) => Promise<void> } = {},
): Promise<void> {
  for (let waited = 0; ; ) {
    try {
      return await rename(from, to);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? '';
      if (platform !== 'win32' || !BUSY.has(code) || waited >= RENAME_RETRY_MS) throw error;
      const delay = Math.min(250, 20 + waited);
      await new Promise((resolve) => setTimeout(resolve, delay));
      waited += delay;
    }
  }
}

/** Makes renames in `dir` durable; platforms that cannot sync a folder (Windows) are skipped. */
export async function syncDir(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, 'r');
    await handle.sync();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'EISDIR' && code !== 'EPERM' && code !== 'EINVAL' && code !== 'EBADF' && code !== 'EACCES') throw error;
  } finally {
    await handle?.close();
  }
}

/**
 * Renames `file` to `<file>.corrupt-<ISO time>` (colons made dashes: Windows forbids them),
 * adding `-2`, `-3`… rather than replacing an earlier kept file. Resolves the new path, or
 * undefined when the file is gone already (another process moved or replaced it).
 */
export async function moveAside(file: string, now = new Date()): Promise<string | undefined> {
  const base = `${file}.corrupt-${now.toISOString().replace(/:/g, '-')}`;
  for (let attempt = 1; ; attempt++) {
    const target = attempt === 1 ? base : `${base}-${attempt}`;
    try {
      // link() fails with EEXIST instead of replacing, which rename() would do silently.
      await fs.link(file, target);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'ENOENT') return undefined;
      // Filesystems without hard links: check, then rename (the caller holds the file's lock).
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EOPNOTSUPP' || code === 'EXDEV') {
        if (await exists(target)) continue;
        await renameReplacing(file, target);
        return target;
      }
      throw error;
    }
    await fs.rm(file, { force: true });
    return target;
  }
}

async function exists(file: string): Promise<boolean> {
  try {
    await fs.lstat(file);
    return true;
  } catch {
    return false;
  }
}
