/**
 * A stand-in for huggingface.co on 127.0.0.1, answering as the hub does (as read in
 * huggingface_hub's file_download.py and huggingface.js's hub package), so tests download,
 * cancel and resume through the real downloader without the internet:
 *
 * - `HEAD|GET /<owner>/<name>/resolve/<revision>/<file>`, where the revision is `main` or a
 *   commit id. Every answer carries `X-Repo-Commit` (the commit `main` points at when asked).
 *   A small file is answered directly with `ETag: "<git blob SHA-1>"`; a large (LFS) file
 *   with a 302 to the CDN, carrying `X-Linked-Etag: "<SHA-256>"` and `X-Linked-Size`.
 * - `HEAD|GET /cdn/<sha256>/<name>`: the CDN, content-addressed, `ETag: "<sha256>"`.
 * - HTTP Range, and `If-Range` as RFC 9110 has it: a validator that no longer matches gets
 *   the whole current file with 200.
 * - `publish()` makes a new commit that `main` then points at; old commits stay resolvable.
 *   `onRequest` runs before each answer, so a test can move `main` between two requests.
 * - `tamper` alters a body in transit (a flipped byte), `ignoreIfRange` plays a server that
 *   resumes whatever the validator says, and the speed is adjustable.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

export interface ServedRequest {
  method: string;
  path: string;
  /** The `Range` header, when one was sent. */
  range?: string;
  /** The `If-Range` header, when one was sent. */
  ifRange?: string;
  /** The status answered. */
  status?: number;
}

export interface ModelHost {
  /** `http://127.0.0.1:PORT`, what `LOCAL_RAG_MODEL_HOST` takes. */
  url: string;
  requests: ServedRequest[];
  /** Bytes per second for bodies; `Infinity` serves at once. */
  bytesPerSecond: number;
  /** Bytes of file bodies sent so far. */
  bytesSent: number;
  /** Called as each request arrives, before it is answered. */
  onRequest?: (request: ServedRequest) => void;
  /** Changes the bytes of a body about to be sent (`start`: its offset in the file). */
  tamper?: (file: string, start: number, body: Buffer) => Buffer;
  /** Resume from the Range whatever If-Range says (a server that ignores validators). */
  ignoreIfRange: boolean;
  /** A new commit of `repo` with these files changed or added; `main` points at it. Returns its id. */
  publish(repo: string, files: Record<string, Buffer>): string;
  /** The commit `main` of `repo` points at. */
  head(repo: string): string;
  close(): Promise<void>;
}

/** Files the hub keeps in Git LFS (its default .gitattributes): served through the CDN. */
const LFS = /\.(onnx|gguf|bin|safetensors|pt|h5|msgpack|zip)$/i;

interface Commit {
  id: string;
  files: Map<string, Buffer>;
}

export function gitBlobSha1(data: Buffer): string {
  return createHash('sha1').update(`blob ${data.length}\0`).update(data).digest('hex');
}

export function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Serves `models` (hub id → folder, read once as the first commit). `aliases` serves a file
 * of the folder under another name too (the tiny fp32 model as the
 * `onnx/model_quantized.onnx` a hub model ships).
 */
export async function startModelHost(
  models: Record<string, string>,
  options: { bytesPerSecond?: number; aliases?: Record<string, string> } = {},
): Promise<ModelHost> {
  const repos = new Map<string, Commit[]>();
  const blobs = new Map<string, Buffer>();
  let commits = 0;
  const commit = (repo: string, files: Map<string, Buffer>): string => {
    const id = createHash('sha1').update(`${repo} ${++commits} ${Date.now()}`).digest('hex');
    for (const data of files.values()) blobs.set(sha256(data), data);
    repos.set(repo, [...(repos.get(repo) ?? []), { id, files }]);
    return id;
  };
  for (const [repo, folder] of Object.entries(models)) {
    const files = new Map<string, Buffer>();
    for (const file of listFiles(folder)) files.set(file, fs.readFileSync(path.join(folder, file)));
    for (const [alias, file] of Object.entries(options.aliases ?? {})) {
      const data = files.get(file);
      if (data) files.set(alias, data);
    }
    commit(repo, files);
  }

  let origin = '';
  const host: Omit<ModelHost, 'url' | 'close'> = {
    requests: [],
    bytesPerSecond: options.bytesPerSecond ?? Infinity,
    bytesSent: 0,
    ignoreIfRange: false,
    publish(repo, files) {
      const history = repos.get(repo);
      if (!history) throw new Error(`no repository ${repo}`);
      const next = new Map(history.at(-1)!.files);
      for (const [file, data] of Object.entries(files)) next.set(file, data);
      return commit(repo, next);
    },
    head: (repo) => repos.get(repo)!.at(-1)!.id,
  };

  const server = http.createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const served: ServedRequest = {
      method: request.method ?? 'GET',
      path: url.pathname,
      ...(request.headers.range ? { range: request.headers.range } : {}),
      ...(request.headers['if-range'] ? { ifRange: String(request.headers['if-range']) } : {}),
    };
    host.requests.push(served);
    host.onRequest?.(served);
    const answer = (status: number, headers: http.OutgoingHttpHeaders, body?: Buffer, file?: string, start = 0) => {
      served.status = status;
      response.writeHead(status, headers);
      if (request.method === 'HEAD' || !body) response.end();
      // Only file bodies count as bytes sent (and are paced); a redirect's or an error's text is not.
      else if (!file) response.end(body);
      else void sendSlowly(response, host.tamper ? host.tamper(file, start, Buffer.from(body)) : body, host);
    };

    const cdn = /^\/cdn\/([0-9a-f]{64})\/[^/]+$/.exec(url.pathname);
    if (cdn) {
      const data = blobs.get(cdn[1]);
      if (!data) return answer(404, {}, Buffer.from('Not found'));
      return serveBytes(request, data, `"${cdn[1]}"`, {}, answer, host.ignoreIfRange, url.pathname);
    }

    const match = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(url.pathname);
    const history = match && repos.get(match[1]);
    if (!match || !history) return answer(404, { 'x-error-code': 'RepoNotFound' }, Buffer.from('Repository not found'));
    const revision = decodeURIComponent(match[2]);
    const found = revision === 'main' ? history.at(-1) : history.find((c) => c.id === revision);
    if (!found) return answer(404, { 'x-error-code': 'RevisionNotFound' }, Buffer.from('Invalid rev id'));
    const file = decodeURIComponent(match[3]);
    const data = found.files.get(file);
    const common = { 'x-repo-commit': found.id };
    if (!data) return answer(404, { ...common, 'x-error-code': 'EntryNotFound' }, Buffer.from('Entry not found'));
    if (LFS.test(file)) {
      const hash = sha256(data);
      const body = Buffer.from(`Found. Redirecting to ${origin}/cdn/${hash}/${path.posix.basename(file)}`);
      return answer(302, {
        ...common,
        location: `${origin}/cdn/${hash}/${encodeURIComponent(path.posix.basename(file))}`,
        'x-linked-etag': `"${hash}"`,
        'x-linked-size': String(data.length),
        'content-length': String(body.length),
        'content-type': 'text/plain; charset=utf-8',
      }, body);
    }
    return serveBytes(request, data, `"${gitBlobSha1(data)}"`, common, answer, host.ignoreIfRange, url.pathname);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;
  return Object.assign(host, {
    url: origin,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

type Answer = (status: number, headers: http.OutgoingHttpHeaders, body?: Buffer, file?: string, start?: number) => void;

/** 200, or 206 for a satisfiable Range whose If-Range (if any) still matches the ETag. */
function serveBytes(request: http.IncomingMessage, data: Buffer, etag: string, extra: http.OutgoingHttpHeaders, answer: Answer, ignoreIfRange: boolean, file: string): void {
  const headers = { ...extra, etag, 'accept-ranges': 'bytes', 'content-type': 'application/octet-stream' };
  const range = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
  const ifRange = request.headers['if-range'];
  if (range && (ignoreIfRange || ifRange === undefined || ifRange === etag)) {
    const start = Number(range[1]);
    const end = range[2] ? Math.min(Number(range[2]), data.length - 1) : data.length - 1;
    if (start >= data.length) return answer(416, { ...headers, 'content-range': `bytes */${data.length}` });
    return answer(206, { ...headers, 'content-length': String(end - start + 1), 'content-range': `bytes ${start}-${end}/${data.length}` }, data.subarray(start, end + 1), file, start);
  }
  answer(200, { ...headers, 'content-length': String(data.length) }, data, file, 0);
}

function listFiles(folder: string, prefix = ''): string[] {
  return fs.readdirSync(path.join(folder, prefix), { withFileTypes: true }).flatMap((entry) => {
    const relative = prefix ? `${prefix}/${entry.name}` : entry.name;
    return entry.isDirectory() ? listFiles(folder, relative) : [relative];
  });
}

/** Writes the body in slices paced to `host.bytesPerSecond` (read anew for every slice). */
async function sendSlowly(response: http.ServerResponse, body: Buffer, host: Pick<ModelHost, 'bytesPerSecond' | 'bytesSent'>): Promise<void> {
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
