/**
 * PDF text extraction, one unit per page, with pdf.js running in a worker thread
 * (pdfWorker.ts): parsing a 300-page PDF takes seconds, and the pipeline's main thread
 * must keep answering meanwhile — a cancel request above all.
 *
 * A cancel or a timeout terminates the worker (the only way to stop pdf.js mid-page, and
 * it returns all the memory a decompression bomb took); the next call starts a fresh
 * one. A worker that finished its job cleanly is kept for the next call, and ended after
 * a minute without work.
 */
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import { CancelledError, type RequestToken } from '../../cancellation';
import { ExtractionError, type ExtractedDocument } from '../types';
import { findWorkerScript } from '../../workerScript';
import { statRegularFile } from './safeRead';
import type { PdfExtractRequest, PdfFailure, PdfWorkerData, PdfWorkerMessage } from './pdfWorker';

export const DEFAULT_PDF_MAX_BYTES = 100 * 1024 * 1024;
export const DEFAULT_PDF_TIMEOUT_MS = 60_000;
export const DEFAULT_PDF_MAX_MEMORY_BYTES = 1024 * 1024 * 1024;
/** Where tests that run from the TypeScript sources point at the built worker. */
export const PDF_WORKER_ENV = 'LOCAL_RAG_PDF_WORKER';

const WORKER_FILE = 'pdfWorker.mjs';
const IDLE_WORKER_MS = 60_000;
const MEMORY_POLL_MS = 100;
/**
 * The worker's V8 heap limit: only a backstop, above the memory watchdog's budget. Node
 * enforces it by ending the worker only for some allocation patterns; for others it
 * aborts the whole process (nodejs/node#47224), so the watchdog must act first.
 */
const WORKER_HEAP_MB = 4096;

export interface PdfExtractOptions {
  /** Whole extraction, worker start included (default 60 s). */
  timeoutMs?: number;
  /** Larger files are refused without being read (default 100 MB). */
  maxBytes?: number;
  password?: string;
  /**
   * How much the process's resident memory may grow while this PDF is read (default
   * 1 GiB). pdf.js keeps decompressed data outside the V8 heap, where the worker's heap
   * limit does not reach: a decompression bomb grows by ~85 MB/s. Past the budget the
   * worker is terminated and the file is refused as too large.
   */
  maxMemoryBytes?: number;
  /** After each page: for progress reports. */
  onProgress?: (page: number, pageCount: number) => void;
  /** The built worker script; default: $LOCAL_RAG_PDF_WORKER, else pdfWorker.mjs beside this bundle. */
  workerPath?: string;
}

export async function extractPdf(
  filePath: string,
  displayPath: string,
  token: RequestToken,
  options: PdfExtractOptions = {},
): Promise<ExtractedDocument> {
  token.throwIfCancelled();
  const maxBytes = options.maxBytes ?? DEFAULT_PDF_MAX_BYTES;
  const timeoutMs = options.timeoutMs ?? DEFAULT_PDF_TIMEOUT_MS;
  const maxMemoryBytes = options.maxMemoryBytes ?? DEFAULT_PDF_MAX_MEMORY_BYTES;

  // A FIFO or a link to a device is refused here; the worker reads through safeRead too.
  const { size } = await statRegularFile(filePath, displayPath);
  token.throwIfCancelled();
  if (size > maxBytes) throw pdfTooLarge(displayPath, size, maxBytes);

  const handle = acquireWorker(options.workerPath);
  const job = handle.start({ filePath, displayPath, password: options.password, maxBytes }, options.onProgress);
  const onCancel = () => handle.abort(job.id, new CancelledError(token.requestId, token.phase));
  const timer = setTimeout(
    () =>
      handle.abort(
        job.id,
        new ExtractionError(
          `${displayPath} took longer than ${formatSeconds(timeoutMs)} to read and was skipped; it may be damaged or unusually complex.`,
          'timeout',
        ),
      ),
    timeoutMs,
  );
  // Resident memory of the whole process: the worker's off-heap buffers are visible
  // nowhere else from this thread. Work on other threads (a model loading) may be
  // counted too; the budget leaves room for that.
  const memoryAtStart = process.memoryUsage.rss();
  const watchdog = setInterval(() => {
    const grown = process.memoryUsage.rss() - memoryAtStart;
    if (grown <= maxMemoryBytes) return;
    handle.abort(
      job.id,
      new ExtractionError(
        `${displayPath} needs more than ${formatMegabytes(maxMemoryBytes)} MB of memory to read (a decompression bomb or an unusually heavy file); it was skipped.`,
        'tooLarge',
      ),
    );
  }, MEMORY_POLL_MS);
  watchdog.unref();
  token.registerCallback(onCancel);
  try {
    const outcome = await job.outcome;
    return toDocument(outcome, displayPath, maxBytes, options.password !== undefined);
  } finally {
    clearTimeout(timer);
    clearInterval(watchdog);
    token.unregisterCallback(onCancel);
  }
}

/** Ends every PDF worker (pipeline shutdown, tests); an extraction still running rejects. */
export async function shutdownPdfWorkers(): Promise<void> {
  const all = [...live];
  live.clear();
  idle = undefined;
  await Promise.all(all.map((handle) => handle.terminate(new Error('PDF extraction stopped: the PDF workers were shut down'))));
}

/** How many PDF worker threads exist now (tests). */
export function pdfWorkerCount(): number {
  return live.size;
}

// ---- turning the worker's answer into a document or an ExtractionError ----

type JobOutcome =
  | Extract<PdfWorkerMessage, { type: 'result' }>
  | { type: 'failure'; failure: PdfFailure | { kind: 'crashed'; detail: string; outOfMemory: boolean } };

function toDocument(outcome: JobOutcome, displayPath: string, maxBytes: number, passwordGiven: boolean): ExtractedDocument {
  if (outcome.type === 'result') {
    if (outcome.pages.every((text) => text.length === 0)) {
      throw outcome.hasImages
        ? new ExtractionError(`${displayPath} has no text layer — probably scanned; OCR is not supported.`, 'noText')
        : new ExtractionError(`${displayPath} has no text to index (its pages are empty or hold only drawings).`, 'noText');
    }
    return {
      path: displayPath,
      kind: 'pdf',
      units: outcome.pages.map((text, index) => ({ page: index + 1, text })),
    };
  }
  const failure = outcome.failure;
  switch (failure.kind) {
    case 'encrypted':
      throw new ExtractionError(
        passwordGiven && failure.code === 2
          ? `${displayPath} is password-protected and the password given was not accepted; Local RAG cannot read it.`
          : `${displayPath} is password-protected; Local RAG cannot read encrypted PDFs. Save an unprotected copy to index it.`,
        'encrypted',
      );
    case 'corrupt':
      throw new ExtractionError(
        `${displayPath} is damaged or not a PDF (${failure.detail}); re-save or re-export it to index it.`,
        'corrupt',
      );
    case 'tooLarge':
      throw pdfTooLarge(displayPath, failure.size, maxBytes);
    case 'refused':
      throw new ExtractionError(failure.message, failure.reason);
    case 'unreadable':
      throw new ExtractionError(`${displayPath} could not be read: ${failure.detail}`, 'unreadable');
    case 'crashed':
      throw failure.outOfMemory
        ? new ExtractionError(
            `${displayPath} needs more than ${WORKER_HEAP_MB} MB of memory to read (a decompression bomb or an unusually heavy file); it was skipped.`,
            'tooLarge',
          )
        : new ExtractionError(`${displayPath} could not be read: the PDF reader failed on it (${failure.detail}).`, 'corrupt');
    case 'internal':
      throw new Error(`PDF support failed while reading ${displayPath}: ${failure.detail}`);
  }
}

export function pdfTooLarge(displayPath: string, size: number, maxBytes: number): ExtractionError {
  return new ExtractionError(
    `${displayPath} is too large to index (${formatMegabytes(size)} MB; the limit for PDFs is ${formatMegabytes(maxBytes)} MB).`,
    'tooLarge',
  );
}

function formatMegabytes(bytes: number): string {
  const megabytes = bytes / 1048576;
  return megabytes >= 10 ? megabytes.toFixed(0) : megabytes.toFixed(1);
}

function formatSeconds(ms: number): string {
  return ms >= 1000 ? `${Math.round(ms / 1000)} s` : `${ms} ms`;
}

// ---- the workers ----

/** Every worker alive; `idle` is the one kept between jobs (at most one). */
const live = new Set<PdfWorkerHandle>();
let idle: PdfWorkerHandle | undefined;
let nextJobId = 1;

function acquireWorker(workerPath: string | undefined): PdfWorkerHandle {
  const script = resolveWorkerScript(workerPath);
  if (idle && idle.script === script) {
    const handle = idle;
    idle = undefined;
    return handle;
  }
  const handle = new PdfWorkerHandle(script);
  live.add(handle);
  return handle;
}

/** A finished worker becomes the idle one, unless there already is one. */
function releaseWorker(handle: PdfWorkerHandle): void {
  if (!idle) {
    idle = handle;
    handle.idleSince();
  } else {
    void handle.terminate();
  }
}

class PdfWorkerHandle {
  private readonly worker: Worker;
  private job:
    | {
        id: number;
        resolve: (outcome: JobOutcome) => void;
        reject: (error: unknown) => void;
        onProgress?: (page: number, pageCount: number) => void;
      }
    | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private dead = false;

  constructor(readonly script: string) {
    this.worker = new Worker(script, {
      workerData: { pdfjsRoot: findPdfJsRoot() } satisfies PdfWorkerData,
      // pdf.js prints warnings of its own while loading; they must not reach the
      // pipeline's stdout.
      stdout: true,
      stderr: true,
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
      // The worker is a plain built script: it must not inherit loaders such as tsx's
      // `--import tsx` (tests), which slow its start-up several times over.
      execArgv: [],
    });
    this.worker.stdout.resume();
    this.worker.stderr.resume();
    this.worker.on('message', (message: PdfWorkerMessage) => this.onMessage(message));
    this.worker.on('error', (error: Error & { code?: string }) => {
      this.fail({
        kind: 'crashed',
        detail: error.message,
        outOfMemory: error.code === 'ERR_WORKER_OUT_OF_MEMORY',
      });
    });
    this.worker.on('exit', (code) => this.fail({ kind: 'crashed', detail: `exit code ${code}`, outOfMemory: false }));
  }

  start(
    request: Omit<PdfExtractRequest, 'type' | 'id'>,
    onProgress?: (page: number, pageCount: number) => void,
  ): { id: number; outcome: Promise<JobOutcome> } {
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    this.worker.ref();
    const id = nextJobId++;
    const outcome = new Promise<JobOutcome>((resolve, reject) => {
      this.job = { id, resolve, reject, onProgress };
    });
    this.worker.postMessage({ type: 'extract', id, ...request } satisfies PdfExtractRequest);
    return { id, outcome };
  }

  /**
   * Stops job `id` at once, if it is still this worker's job: the worker is terminated
   * (pdf.js cannot be interrupted otherwise) and the job rejects with `reason`.
   */
  abort(id: number, reason: unknown): void {
    const job = this.job;
    if (!job || job.id !== id) return;
    this.job = undefined;
    void this.terminate();
    job.reject(reason);
  }

  idleSince(): void {
    this.worker.unref();
    this.idleTimer = setTimeout(() => {
      if (idle === this) idle = undefined;
      void this.terminate();
    }, IDLE_WORKER_MS);
    this.idleTimer.unref();
  }

  /** Ends the worker; a job still running rejects with `reason` (if given). */
  async terminate(reason?: unknown): Promise<void> {
    const job = this.job;
    if (job && reason !== undefined) {
      this.job = undefined;
      job.reject(reason);
    }
    if (this.idleTimer) clearTimeout(this.idleTimer);
    live.delete(this);
    if (idle === this) idle = undefined;
    if (this.dead) return;
    this.dead = true;
    await this.worker.terminate().catch(() => {});
  }

  private onMessage(message: PdfWorkerMessage): void {
    const job = this.job;
    if (!job || message.id !== job.id) return;
    if (message.type === 'progress') {
      try {
        job.onProgress?.(message.page, message.pageCount);
      } catch {
        // A failing progress reporter must not break extraction.
      }
      return;
    }
    this.job = undefined;
    if (message.type === 'failure' && message.failure.kind === 'internal') {
      // pdf.js is broken in this worker: do not reuse it.
      void this.terminate();
    } else {
      releaseWorker(this);
    }
    job.resolve(message);
  }

  /** The worker died (crash, out of memory): the job fails, the worker is gone. */
  private fail(failure: { kind: 'crashed'; detail: string; outOfMemory: boolean }): void {
    const wasDead = this.dead;
    this.dead = true;
    live.delete(this);
    if (idle === this) idle = undefined;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const job = this.job;
    this.job = undefined;
    if (job && !wasDead) job.resolve({ type: 'failure', failure });
  }
}

/** The built worker: the explicit option, else found by `findWorkerScript`. */
function resolveWorkerScript(requested: string | undefined): string {
  return requested ? path.resolve(requested) : findWorkerScript(WORKER_FILE, PDF_WORKER_ENV, 'PDF worker');
}

let pdfjsRoot: string | null | undefined;

function findPdfJsRoot(): string | undefined {
  if (pdfjsRoot === undefined) {
    try {
      pdfjsRoot = path.dirname(require.resolve('pdfjs-dist/package.json'));
    } catch {
      pdfjsRoot = null;
    }
  }
  return pdfjsRoot ?? undefined;
}
