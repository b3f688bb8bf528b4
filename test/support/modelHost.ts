/**
 * A stand-in for huggingface.co on 127.0.0.1: serves local model folders at the hub's paths
 * (`/<owner>/<name>/resolve/main/<file>`), with HEAD, HTTP Range and an adjustable speed, so
 * tests download, cancel and resume through the real downloader without the internet.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface ServedRequest {
  method: string;
  path: string;
  /** The `Range` header, when one was sent. */
  range?: string;
}

export interface ModelHost {
  /** `http://127.0.0.1:PORT`, what `LOCAL_RAG_MODEL_HOST` takes. */
  url: string;
  requests: ServedRequest[];
  /** Bytes per second for bodies; `Infinity` serves at once. */
  bytesPerSecond: number;
  /** Bytes of file bodies sent so far. */
  bytesSent: number;
  close(): Promise<void>;
}

/**
 * Serves `models` (hub id → folder). `aliases` serves a file of the folder under another
 * name too (the tiny fp32 model as the `onnx/model_quantized.onnx` a hub model ships).
 */
export async function startModelHost(
  models: Record<string, string>,
  options: { bytesPerSecond?: number; aliases?: Record<string, string> } = {},
): Promise<ModelHost> {
  const host: Omit<ModelHost, 'url' | 'close'> = { requests: [], bytesPerSecond: options.bytesPerSecond ?? Infinity, bytesSent: 0 };
  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    host.requests.push({ method: request.method ?? 'GET', path: url.pathname, ...(request.headers.range ? { range: request.headers.range } : {}) });
    const match = /^\/([^/]+\/[^/]+)\/resolve\/main\/(.+)$/.exec(url.pathname);
    const folder = match && models[match[1]];
    const file = match && decodeURIComponent(match[2]);
    const onDisk = folder && file ? path.join(folder, options.aliases?.[file] ?? file) : undefined;
    if (!onDisk || !fs.existsSync(onDisk)) {
      response.writeHead(404).end('Entry not found');
      return;
    }
    const size = fs.statSync(onDisk).size;
    let start = 0;
    let end = size - 1;
    const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (range) {
      start = Number(range[1]);
      end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size) {
        response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
        return;
      }
    }
    const headers = { 'accept-ranges': 'bytes', 'content-length': String(end - start + 1), 'content-type': 'application/octet-stream' };
    if (range) response.writeHead(206, { ...headers, 'content-range': `bytes ${start}-${end}/${size}` });
    else response.writeHead(200, headers);
    if (request.method === 'HEAD') {
      response.end();
      return;
    }
    void sendSlowly(response, fs.readFileSync(onDisk).subarray(start, end + 1), host);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(host, {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** Writes the body in slices paced to `host.bytesPerSecond` (read anew for every slice). */
async function sendSlowly(response: http.ServerResponse, body: Buffer, host: Omit<ModelHost, 'url' | 'close'>): Promise<void> {
  const slice = 4096;
  for (let offset = 0; offset < body.length && !response.destroyed; offset += slice) {
    const part = body.subarray(offset, offset + slice);
    if (Number.isFinite(host.bytesPerSecond)) await new Promise((resolve) => setTimeout(resolve, (part.length / host.bytesPerSecond) * 1000));
    if (response.destroyed) break;
    response.write(part);
    host.bytesSent += part.length;
  }
  response.end();
}
