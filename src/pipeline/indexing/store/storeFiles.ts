/**
 * The file operations of the store folder, where several processes (two windows, the CLI)
 * may work at once: atomic writes under names no other process uses, the folder synced
 * after renames, bad files moved aside rather than deleted, and what counts as a stray.
 */
import { closeSync, fstat, open as openCallback, read } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { crc32 } from 'node:zlib';
import { moveAside as moveFileAside } from '../../durableFile';
import { CODEBOOK_NAME, MANIFEST, SEGMENT_NAME, type CodebookRecord, type SegmentRecord } from './manifest';
import { Segment } from './segment';

// Raw descriptors, not FileHandles: the segment keeps reading through one synchronously.
const openFile = promisify(openCallback);
const statFile = promisify(fstat);
const readDescriptor = promisify(read);

export const LOCK_FILE = 'store.lock';
/** Format 2's single file; replaced by the manifest and segments. */
export const LEGACY_FILE = 'index.json';
/** Temp files younger than this are left alone even under the lock (a writer not using it, a slow clock). */
const TEMP_GRACE_MS = 10_000;
/** Our temp files: `<target>.<pid>-<random>.tmp`; format 3 wrote `<target>.<pid>.tmp`. */
const TEMP_NAME = /^(seg-(v4-[0-9a-f]+|\d+)\.bin|codebook-[0-9a-f]+\.bin|manifest\.json)\.\d+(-[0-9a-f]+)?\.tmp$/;

/** A segment file whose bytes are not what the manifest recorded (or not a segment at all). */
export class DamagedSegmentError extends Error {
  constructor(
    readonly record: SegmentRecord,
    detail: string,
  ) {
    super(`${record.file} is damaged (${detail})`);
    this.name = 'DamagedSegmentError';
  }
}

export function checksum(data: Uint8Array): number {
  return crc32(data) >>> 0;
}

/** A segment file's checked part, and the file left open for the text after it (see segment.ts). */
export interface SegmentBytes {
  bytes: Buffer;
  /** The whole file's size. */
  size: number;
  file: string;
  /** Owned by the caller: given to the segment, or closed. */
  fd: number;
}

/**
 * Reads the part of a segment file that is loaded (all but the text, for format 2) and
 * checks the file's size and that part's checksum against the manifest's record. The file
 * stays open, so the text the segment reads later is this file's even if a writer replaces
 * it meanwhile.
 */
export async function readSegmentFile(dir: string, record: SegmentRecord): Promise<SegmentBytes> {
  const file = path.join(dir, record.file);
  const fd = await openFile(file, 'r');
  try {
    const { size } = await statFile(fd);
    if (record.bytes >= 0 && size !== record.bytes) {
      throw new DamagedSegmentError(record, size < record.bytes ? `truncated: ${size} of ${record.bytes} bytes` : `${size} bytes, ${record.bytes} expected`);
    }
    const start = await readAt(fd, 0, Math.min(size, 8));
    const headerEnd = start.length === 8 ? Math.min(size, 8 + start.readUInt32LE(4)) : start.length;
    const bytes = await readAt(fd, 0, Segment.checkedLength(await readAt(fd, 0, headerEnd), size));
    if (record.crc32 !== undefined && checksum(bytes) !== record.crc32) throw new DamagedSegmentError(record, 'checksum mismatch');
    return { bytes, size, file, fd };
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

async function readAt(fd: number, position: number, length: number): Promise<Buffer> {
  const bytes = Buffer.allocUnsafe(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await readDescriptor(fd, bytes, done, length - done, position + done);
    if (bytesRead === 0) return bytes.subarray(0, done);
    done += bytesRead;
  }
  return bytes;
}

export { syncDir, writeAtomically } from '../../durableFile';

/** Renames a bad file to `<name>.corrupt-<time>` (kept for a look, never deleted); returns the new name. */
export async function moveAside(dir: string, name: string): Promise<string | undefined> {
  const aside = await moveFileAside(path.join(dir, name));
  return aside && path.basename(aside);
}

/**
 * Removes what a kill or a compaction left: segment and codebook files the manifest does not name, our
 * temp files (not the young ones) and format 2's file. Called only by a writer holding the
 * lock: all writes happen under it, so nothing found here is another writer's work.
 */
export async function removeStrays(dir: string, named: ReadonlySet<string>): Promise<void> {
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  await Promise.all(
    names.map(async (name) => {
      const file = path.join(dir, name);
      if (SEGMENT_NAME.test(name) || CODEBOOK_NAME.test(name)) {
        if (!named.has(name)) await fs.rm(file, { force: true });
      } else if (TEMP_NAME.test(name)) {
        const stat = await fs.stat(file).catch(() => undefined);
        if (stat && now - stat.mtimeMs > TEMP_GRACE_MS) await fs.rm(file, { force: true });
      } else if (name === LEGACY_FILE) {
        await fs.rm(file, { force: true });
      }
    }),
  );
}

/** Reads a codebook file and checks its size and checksum against the manifest's record. */
export async function readCodebookFile(dir: string, record: CodebookRecord): Promise<Buffer> {
  const bytes = await fs.readFile(path.join(dir, record.file));
  if (bytes.length !== record.bytes || checksum(bytes) !== record.crc32) throw new Error(`${record.file} is damaged (${bytes.length} bytes, checksum ${checksum(bytes)})`);
  return bytes;
}

/** What identifies a version of the manifest cheaply (a writer replaces it by rename: a new inode). */
export interface ManifestStamp {
  ino: number;
  size: number;
  mtimeMs: number;
}

/**
 * The manifest's text and its stamp, both from one open file (a stat before or after the
 * read could belong to another version). Undefined when there is none.
 */
export async function readManifestFile(dir: string): Promise<{ stamp: ManifestStamp; text: string; crc32: number } | undefined> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(path.join(dir, MANIFEST), 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  try {
    const stat = await handle.stat();
    const bytes = await handle.readFile();
    return { stamp: { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs }, text: bytes.toString('utf8'), crc32: checksum(bytes) };
  } finally {
    await handle.close();
  }
}

export async function manifestStamp(dir: string): Promise<ManifestStamp | undefined> {
  const stat = await fs.stat(path.join(dir, MANIFEST)).catch(() => undefined);
  return stat && { ino: stat.ino, size: stat.size, mtimeMs: stat.mtimeMs };
}

export function sameStamp(a: ManifestStamp | undefined, b: ManifestStamp | undefined): boolean {
  return a === b || (a !== undefined && b !== undefined && a.ino === b.ino && a.size === b.size && a.mtimeMs === b.mtimeMs);
}
