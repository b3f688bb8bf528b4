/**
 * The one way a user's file is read (the indexer, PDF hashing, attachments, the PDF
 * worker): only a regular file, never more than a limit, and a cancel stops it between
 * reads.
 *
 * A workspace can hold anything under a document's name: a symlink to /dev/zero reads
 * without end, and a FIFO blocks `open` until a writer comes — on one of libuv's four
 * thread-pool threads, which every other file read then waits for. So the file is opened
 * with O_NONBLOCK (a FIFO opens at once), the OPEN HANDLE is checked (the path could be
 * swapped between a stat and the open), and the read stops at limit + 1 bytes whatever the
 * size says (a file may grow, and devices report 0).
 *
 * Imports only Node and types: the PDF worker bundles it on its own.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import type { RequestToken } from '../../cancellation';
import { ExtractionError } from '../types';

/** Bytes read per step; a cancel is seen between steps. */
const READ_STEP = 1024 * 1024;
/** The read that finds the end of a file already read to its stat size. */
const END_PROBE = 4096;
/** O_NONBLOCK does not exist on Windows, where there are no FIFOs to block on. */
const OPEN_FLAGS = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0);

export interface FileFacts {
  size: number;
  mtimeMs: number;
}

export interface SafeReadOptions {
  /** More bytes than this and the file is refused as too large. */
  maxBytes: number;
  /** The refusal for a file over `maxBytes` (its size as far as it was read). */
  tooLarge: (size: number) => ExtractionError;
  /** Checked between reads: a cancel stops a long read. */
  token?: RequestToken;
}

/** What kind of thing a path is, in words, when it is not a regular file. */
function describeKind(stat: fs.Stats): string {
  if (stat.isDirectory()) return 'a folder';
  if (stat.isFIFO()) return 'a named pipe (FIFO)';
  if (stat.isSocket()) return 'a socket';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  return 'not a regular file';
}

export function notAFile(displayPath: string, stat: fs.Stats): ExtractionError {
  return new ExtractionError(
    `${displayPath} is ${describeKind(stat)}, not a regular file (a link to a device or a pipe?); only regular files are read, so it was skipped.`,
    'notAFile',
  );
}

function unreadable(displayPath: string, error: unknown): ExtractionError {
  return new ExtractionError(`${displayPath} could not be read: ${error instanceof Error ? error.message : String(error)}`, 'unreadable');
}

/**
 * The file's size and mtime, refused unless it is a regular file (symlinks followed).
 * Opens nothing: a device is never opened only to be looked at.
 */
export async function statRegularFile(filePath: string, displayPath: string): Promise<FileFacts> {
  let stat: fs.Stats;
  try {
    stat = await fs.promises.stat(filePath);
  } catch (error) {
    throw unreadable(displayPath, error);
  }
  if (!stat.isFile()) throw notAFile(displayPath, stat);
  return { size: stat.size, mtimeMs: stat.mtimeMs };
}

/** Opens the file without blocking and checks the open handle; the caller closes it. */
async function openRegularFile(filePath: string, displayPath: string): Promise<{ handle: FileHandle; stat: fs.Stats }> {
  // A cheap refusal before any open: a device is not opened at all.
  await statRegularFile(filePath, displayPath);
  let handle: FileHandle;
  try {
    handle = await fs.promises.open(filePath, OPEN_FLAGS);
  } catch (error) {
    throw unreadable(displayPath, error);
  }
  try {
    // The handle, not the path: what was opened is what is read.
    const stat = await handle.stat();
    if (!stat.isFile()) throw notAFile(displayPath, stat);
    return { handle, stat };
  } catch (error) {
    await handle.close().catch(() => {});
    throw error instanceof ExtractionError ? error : unreadable(displayPath, error);
  }
}

/**
 * Reads the file step by step, giving each step to `consume`; stops past `maxBytes` (too
 * large) and between steps on a cancel. Resolves with the open handle's size and mtime.
 */
async function readSteps(
  filePath: string,
  displayPath: string,
  options: SafeReadOptions,
  consume: (bytes: Buffer) => void,
): Promise<FileFacts> {
  options.token?.throwIfCancelled();
  const { handle, stat } = await openRegularFile(filePath, displayPath);
  try {
    if (stat.size > options.maxBytes) throw options.tooLarge(stat.size);
    let total = 0;
    // Sized to the file for the common small one (one read, then end of file).
    let buffer = Buffer.allocUnsafe(Math.min(stat.size + 1, options.maxBytes + 1, READ_STEP));
    for (;;) {
      options.token?.throwIfCancelled();
      // Never more than limit + 1 bytes in all: enough to know the file is over the limit.
      const want = Math.min(buffer.length, options.maxBytes + 1 - total);
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(buffer, 0, want, total));
      } catch (error) {
        throw unreadable(displayPath, error);
      }
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > options.maxBytes) throw options.tooLarge(total);
      consume(buffer.subarray(0, bytesRead));
      // `consume` may keep the bytes: the next step gets a buffer of its own, a small one
      // when the file should end here (it usually does).
      buffer = Buffer.allocUnsafe(total === stat.size ? END_PROBE : READ_STEP);
    }
    options.token?.throwIfCancelled();
    return { size: total, mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close().catch(() => {});
  }
}

/** The whole file (at most `maxBytes`), with the size and mtime of what was read. */
export async function readRegularFile(filePath: string, displayPath: string, options: SafeReadOptions): Promise<{ data: Buffer; facts: FileFacts }> {
  const parts: Buffer[] = [];
  const facts = await readSteps(filePath, displayPath, options, (bytes) => parts.push(bytes));
  return { data: parts.length === 1 ? parts[0] : Buffer.concat(parts), facts };
}

/** The SHA-1 of the file's content, read step by step (cancellable, bounded). */
export async function hashRegularFile(filePath: string, displayPath: string, options: SafeReadOptions): Promise<{ hash: string; facts: FileFacts }> {
  const hash = createHash('sha1');
  const facts = await readSteps(filePath, displayPath, options, (bytes) => hash.update(bytes));
  return { hash: hash.digest('hex'), facts };
}
