/**
 * One file over HTTP into `<dest>.part`, resumed with a Range request from the bytes an
 * earlier attempt left there, renamed to `dest` only when it has the announced size.
 *
 * Why not a library: transformers.js's hub download can neither resume nor be cancelled,
 * and ipull (node-llama-cpp's downloader) was measured here to restart a file from its first
 * byte with one connection, to lose the saved progress when a download sequence is closed,
 * and to hang at 100 % when resuming with several connections. Node's own fetch and stream
 * pipeline do the job in a few lines.
 */
import * as fs from 'node:fs';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';

export interface FileDownload {
  url: string;
  dest: string;
  /** Announced by the server (0: unknown, then whatever arrives is taken). */
  size: number;
  signal: AbortSignal;
  /** Called with the number of new bytes as they are written. */
  onBytes(count: number): void;
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

export async function downloadFile({ url, dest, size, signal, onBytes }: FileDownload): Promise<void> {
  const part = `${dest}.part`;
  if (size > 0 && fs.existsSync(dest) && fs.statSync(dest).size === size) return;
  let have = fs.existsSync(part) ? fs.statSync(part).size : 0;
  if (size > 0 && have > size) have = 0;
  if (size === 0 || have < size) {
    const response = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, redirect: 'follow', signal });
    const resumed = response.status === 206 && response.headers.get('content-range')?.startsWith(`bytes ${have}-`);
    if ((response.status !== 200 && !resumed) || !response.body) {
      await response.body?.cancel();
      throw new Error(`${url} answered ${response.status} ${response.statusText}`.trim());
    }
    // A server that ignores Range sends the whole file (200): start over.
    if (!resumed) have = 0;
    const counter = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        onBytes(chunk.length);
        done(null, chunk);
      },
    });
    await pipeline(
      Readable.fromWeb(response.body as WebReadableStream<Uint8Array>),
      counter,
      fs.createWriteStream(part, { flags: have > 0 ? 'a' : 'w' }),
      { signal },
    );
  }
  const got = fs.statSync(part).size;
  if (size > 0 && got !== size) {
    // Longer than announced cannot be resumed; shorter (a dropped connection) can.
    if (got > size) fs.rmSync(part, { force: true });
    throw new Error(`${url} ended after ${got} of ${size} bytes; try again to resume.`);
  }
  fs.renameSync(part, dest);
}
