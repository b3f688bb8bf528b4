/**
 * One file over HTTP into `<dest>.part`, resumed from the bytes an earlier attempt left
 * there, and renamed to `dest` only once its hash is the one the hub published.
 *
 * A resume sends `Range` with `If-Range: <the validator of the response that began the
 * part>` (kept beside it in `<dest>.part.json`): if the file changed on the server since, the
 * server answers 200 with the whole new file and the part starts over — two revisions are
 * never spliced. The hash is computed while writing (the bytes already in the part are
 * re-read into it on a resume), so a byte corrupted in transfer, or a server that resumes
 * whatever the validator says, is caught before the file is taken; the part is then deleted.
 *
 * Why not a library: transformers.js's hub download can neither resume nor be cancelled,
 * and ipull (node-llama-cpp's downloader) was measured here to restart a file from its first
 * byte with one connection, to lose the saved progress when a download sequence is closed,
 * and to hang at 100 % when resuming with several connections. Node's own fetch, crypto and
 * stream pipeline do the job in a few lines.
 */
import { createHash, type Hash } from 'node:crypto';
import * as fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { renameReplacing } from '../durableFile';

/** What the hub publishes for a file: the SHA-256 of an LFS file, the git blob SHA-1 of a small one. */
export interface PublishedHash {
  algorithm: 'sha256' | 'git-sha1';
  hex: string;
}

export interface FileDownload {
  url: string;
  dest: string;
  /** Announced by the hub. */
  size: number;
  hash: PublishedHash;
  signal: AbortSignal;
  /** Called with the number of new bytes as they are written (negative when a part starts over). */
  onBytes(count: number): void;
}

/** The message a hash mismatch ends with: what happened, what was done about it, what to do. */
export class CorruptDownloadError extends Error {
  constructor(file: string, hash: PublishedHash) {
    super(`${file} was corrupted in transfer (${hash.algorithm === 'sha256' ? 'SHA-256' : 'git SHA-1'} mismatch); the partial file was deleted, try again.`);
    this.name = 'CorruptDownloadError';
  }
}

/** Bytes already in the partial or final file (what a resume starts from). */
export function bytesOnDisk(dest: string): number {
  for (const file of [dest, `${dest}.part`]) {
    try {
      return fs.statSync(file).size;
    } catch {
      // not there
    }
  }
  return 0;
}

export function newHasher(hash: PublishedHash, size: number): Hash {
  if (hash.algorithm === 'sha256') return createHash('sha256');
  // Git hashes a blob's header with its content: the ETag of a small file on the hub.
  return createHash('sha1').update(`blob ${size}\0`);
}

/** The hash of a whole file on disk, as the hub computes it. */
export async function hashOfFile(file: string, hash: PublishedHash, size: number): Promise<string> {
  const hasher = newHasher(hash, size);
  await pipeline(fs.createReadStream(file), new Transform({ transform: (chunk: Buffer, _e, done) => (hasher.update(chunk), done()) }));
  return hasher.digest('hex');
}

export async function downloadFile({ url, dest, size, hash, signal, onBytes }: FileDownload): Promise<void> {
  const part = `${dest}.part`;
  const meta = `${part}.json`;
  const name = dest.split(/[\\/]/).pop()!;
  // A file complete on disk from an attempt stopped before the folder was marked complete:
  // taken only if it is the published file (it may be another revision's).
  if (fs.existsSync(dest)) {
    const onDisk = fs.statSync(dest).size;
    if (onDisk === size && (await hashOfFile(dest, hash, size)) === hash.hex) return;
    fs.rmSync(dest, { force: true });
    // The caller counted it as transferred.
    onBytes(-Math.min(onDisk, size));
  }
  const partBytes = fs.existsSync(part) ? fs.statSync(part).size : 0;
  const validator = readValidator(meta);
  // Without the validator of the response that began it, nothing can tell the server which bytes these are.
  let have = partBytes > size || !validator ? 0 : partBytes;
  let hasher = newHasher(hash, size);
  if (have > 0) await hashPrefix(part, have, hasher, signal);

  if (have < size) {
    const headers: Record<string, string> = have > 0 ? { range: `bytes=${have}-`, 'if-range': validator! } : {};
    const response = await fetch(url, { headers, redirect: 'follow', signal });
    const resumed = have > 0 && response.status === 206 && response.headers.get('content-range')?.startsWith(`bytes ${have}-`);
    if ((response.status !== 200 && !resumed) || !response.body) {
      await response.body?.cancel();
      throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
    }
    if (!resumed) {
      // The file changed on the server (or the server cannot resume): start the part over,
      // and record what the server calls this version before writing a byte of it.
      const counted = Math.min(partBytes, size);
      if (counted > 0) onBytes(-counted);
      have = 0;
      hasher = newHasher(hash, size);
      fs.writeFileSync(part, '');
      writeValidator(meta, strongValidator(response.headers));
    }
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hasher.update(chunk);
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      counter,
      fs.createWriteStream(part, { flags: 'a' }),
      { signal },
    );
  }
  const got = fs.statSync(part).size;
  if (got !== size) {
    // Longer than announced cannot be resumed; shorter (a dropped connection) can.
    if (got > size) removePart(part, meta);
    throw new Error(`${url} ended after ${got} of ${size} bytes; try again to resume.`);
  }
  if (hasher.digest('hex') !== hash.hex) {
    removePart(part, meta);
    throw new CorruptDownloadError(name, hash);
  }
  await renameReplacing(part, dest);
  fs.rmSync(meta, { force: true });
}

/** Feeds the first `length` bytes of `file` (what an earlier attempt wrote) to the hash. */
async function hashPrefix(file: string, length: number, hasher: Hash, signal: AbortSignal): Promise<void> {
  await pipeline(
    fs.createReadStream(file, { start: 0, end: length - 1 }),
    new Transform({ transform: (chunk: Buffer, _e, done) => (hasher.update(chunk), done()) }),
    { signal },
  );
}

/** An ETag that may be used with If-Range (a strong one), else Last-Modified; undefined when neither. */
function strongValidator(headers: Headers): string | undefined {
  const etag = headers.get('etag');
  if (etag && !etag.startsWith('W/')) return etag;
  return headers.get('last-modified') ?? undefined;
}

function readValidator(meta: string): string | undefined {
  try {
    const value = JSON.parse(fs.readFileSync(meta, 'utf8')) as { validator?: unknown };
    return typeof value.validator === 'string' ? value.validator : undefined;
  } catch {
    return undefined;
  }
}

function writeValidator(meta: string, validator: string | undefined): void {
  if (validator) fs.writeFileSync(meta, JSON.stringify({ validator }));
  else fs.rmSync(meta, { force: true });
}

function removePart(part: string, meta: string): void {
  fs.rmSync(part, { force: true });
  fs.rmSync(meta, { force: true });
}
