/**
 * Chunk text that stays on disk: a loaded segment keeps only where each chunk's text lies
 * in its file and a CRC-32 of it, and reads a passage with one positioned read when it is
 * shown or ranked (text is most of an index's bytes: ~800 MB at a million chunks).
 *
 * Reads are synchronous (a search ranks a handful of passages by their words, in one pass)
 * and go through a descriptor opened when the segment was loaded, so a writer that compacts
 * the segment away and deletes its file meanwhile does not pull the text from under a
 * reader: on POSIX the open file lives on, and on Windows libuv opens files with
 * FILE_SHARE_DELETE, so the writer's rename and delete succeed while it is held. Only so
 * many descriptors stay open (a store of many segments must not run a process out of
 * them): past that the least recently read is closed and opened again by name when needed,
 * and if its file is gone by then, the read fails with a message saying to search again.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';

/** Descriptors kept open across all segments of the process. */
const MAX_OPEN = 128;
/** Open text files, least recently read first. */
const open = new Map<TextFile, number>();

/** A passage whose bytes on disk do not match the checksum recorded for them. */
export class DamagedTextError extends Error {
  constructor(
    readonly segment: number,
    readonly file: string,
    readonly chunk: number,
  ) {
    super(`the text of passage ${chunk} of ${path.basename(file)} does not match its checksum`);
    this.name = 'DamagedTextError';
  }
}

/** Where a segment's text section lies: `file`, from byte `offset`. */
export class TextFile {
  private fd: number | undefined;

  /** `fd`, when given, is this file already open (the descriptor the segment was loaded through); it is owned from now on. */
  constructor(
    readonly file: string,
    readonly offset: number,
    fd?: number,
  ) {
    if (fd !== undefined) this.hold(fd);
  }

  /** `length` bytes from `start` of the text section. */
  read(start: number, length: number): Buffer {
    const bytes = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const read = fs.readSync(this.descriptor(), bytes, done, length - done, this.offset + start + done);
      if (read === 0) throw new Error(`${path.basename(this.file)} ends before its text does (truncated)`);
      done += read;
    }
    return bytes;
  }

  /** Lets go of the descriptor (the segment left the index); a later read opens the file again. */
  close(): void {
    if (this.fd === undefined) return;
    open.delete(this);
    const fd = this.fd;
    this.fd = undefined;
    fs.closeSync(fd);
  }

  private descriptor(): number {
    if (this.fd !== undefined) {
      open.delete(this);
      open.set(this, this.fd);
      return this.fd;
    }
    try {
      return this.hold(fs.openSync(this.file, 'r'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      throw new Error(`${path.basename(this.file)} is no longer in the index (a newer save replaced it); search again`);
    }
  }

  private hold(fd: number): number {
    this.fd = fd;
    open.set(this, fd);
    for (const oldest of open.keys()) {
      if (open.size <= MAX_OPEN) break;
      oldest.close();
    }
    return fd;
  }
}

/** Number of descriptors held for segment text now (for tests: a store's load must not leak them). */
export function openTextFiles(): number {
  return open.size;
}

export function openDescriptor(file: string): number {
  return fs.openSync(file, 'r');
}

export function closeDescriptor(fd: number): void {
  fs.closeSync(fd);
}

export function textChecksum(bytes: Uint8Array): number {
  return crc32(bytes) >>> 0;
}
