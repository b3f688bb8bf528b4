/**
 * The PDF worker thread: runs pdf.js off the pipeline's main thread, so that the main
 * thread keeps answering (a cancel request above all) while a long PDF is parsed.
 *
 * Bundled on its own by esbuild as dist/pdfWorker.mjs (ESM: pdf.js ships only ES
 * modules, which Node 20 cannot `require`), with pdfjs-dist left external: it is loaded
 * from node_modules at run time, where its cmaps and standard fonts also live.
 *
 * pdf.js's own "worker" half is preloaded into `globalThis.pdfjsWorker`, so pdf.js runs
 * both halves in this thread and never looks for a `pdf.worker.mjs` file.
 *
 * One job at a time; pdf.ts sends the next only after this one answered. pdf.ts ends a
 * job that must stop (cancel, timeout) by terminating this thread, so nothing here polls
 * for cancellation.
 */
import { parentPort, workerData } from 'node:worker_threads';
import * as path from 'node:path';
import type { FailureReason } from '../../../protocol/indexing';
import { ExtractionError } from '../types';
import { readRegularFile } from './safeRead';

export interface PdfWorkerData {
  /** Folder of the pdfjs-dist package (for cmaps and standard fonts), when found. */
  pdfjsRoot?: string;
}

export interface PdfExtractRequest {
  type: 'extract';
  id: number;
  filePath: string;
  /** How messages name the file. */
  displayPath: string;
  password?: string;
  maxBytes: number;
}

export type PdfWorkerMessage =
  | { type: 'progress'; id: number; page: number; pageCount: number }
  | { type: 'result'; id: number; pages: string[]; failedPages: number; hasImages: boolean }
  | { type: 'failure'; id: number; failure: PdfFailure };

export type PdfFailure =
  /** PasswordException: code 1 no password given, 2 wrong password. */
  | { kind: 'encrypted'; code: number; detail: string }
  | { kind: 'corrupt'; detail: string }
  | { kind: 'tooLarge'; size: number }
  /** Refused by safeRead (a FIFO, a device, an I/O error), with its whole message. */
  | { kind: 'refused'; reason: FailureReason; message: string }
  | { kind: 'unreadable'; detail: string }
  /** pdf.js itself failed to load or run: not this file's fault. */
  | { kind: 'internal'; detail: string };

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs', { with: { 'resolution-mode': 'import' } });
type PDFDocumentProxy = import('pdfjs-dist/legacy/build/pdf.mjs', { with: { 'resolution-mode': 'import' } }).PDFDocumentProxy;
type TextContent = Awaited<ReturnType<Awaited<ReturnType<PDFDocumentProxy['getPage']>>['getTextContent']>>;

// Kept in a variable: pdf.worker.mjs ships no type declarations, and it stays external.
const PDFJS_WORKER_MODULE = 'pdfjs-dist/legacy/build/pdf.worker.mjs';

let pdfjsPromise: Promise<PdfJs> | undefined;

function loadPdfJs(): Promise<PdfJs> {
  pdfjsPromise ??= (async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = await import(PDFJS_WORKER_MODULE);
    return pdfjs;
  })();
  return pdfjsPromise;
}

const port = parentPort;
if (port) {
  const data = (workerData ?? {}) as PdfWorkerData;
  // Start loading at once: the first job then finds pdf.js ready.
  loadPdfJs().catch(() => {});
  port.on('message', (request: PdfExtractRequest) => {
    if (request?.type !== 'extract') return;
    void extract(request, data).then(
      (message) => port.postMessage(message),
      (error: unknown) =>
        port.postMessage({
          type: 'failure',
          id: request.id,
          failure: { kind: 'internal', detail: error instanceof Error ? error.message : String(error) },
        } satisfies PdfWorkerMessage),
    );
  });
}

async function extract(request: PdfExtractRequest, data: PdfWorkerData): Promise<PdfWorkerMessage> {
  const { id } = request;
  let bytes: Buffer;
  let tooLargeSize = 0;
  try {
    // Bounded, and a regular file only: the path may have become a FIFO or a link to a
    // device since pdf.ts looked at it.
    ({ data: bytes } = await readRegularFile(request.filePath, request.displayPath, {
      maxBytes: request.maxBytes,
      // pdf.ts words the message; only the size travels back.
      tooLarge: (size) => ((tooLargeSize = size), new ExtractionError('', 'tooLarge')),
    }));
  } catch (error) {
    if (error instanceof ExtractionError && error.reason === 'tooLarge') return { type: 'failure', id, failure: { kind: 'tooLarge', size: tooLargeSize } };
    // safeRead's refusals (not a regular file, an I/O error) already name the file.
    if (error instanceof ExtractionError) return { type: 'failure', id, failure: { kind: 'refused', reason: error.reason, message: error.message } };
    return { type: 'failure', id, failure: { kind: 'unreadable', detail: (error as Error).message } };
  }

  // Before pdf.js gets the bytes: it transfers (detaches) them.
  const hasImages = hasImageXObject(bytes);
  const pdfjs = await loadPdfJs();
  const folder = (name: string) => (data.pdfjsRoot ? path.join(data.pdfjsRoot, name) + path.sep : undefined);
  const task = pdfjs.getDocument({
    data: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length),
    password: request.password,
    disableFontFace: true,
    useSystemFonts: false,
    isEvalSupported: false,
    verbosity: 0, // errors only
    cMapUrl: folder('cmaps'),
    cMapPacked: true,
    standardFontDataUrl: folder('standard_fonts'),
  });
  try {
    const doc = await task.promise;
    const pageCount = doc.numPages;
    const pages: string[] = [];
    let failedPages = 0;
    for (let number = 1; number <= pageCount; number += 1) {
      try {
        const page = await doc.getPage(number);
        pages.push(pageText(await page.getTextContent()));
        page.cleanup();
      } catch {
        // One broken page does not lose the rest of the document.
        pages.push('');
        failedPages += 1;
      }
      port?.postMessage({ type: 'progress', id, page: number, pageCount } satisfies PdfWorkerMessage);
    }
    if (pageCount > 0 && failedPages === pageCount) {
      return { type: 'failure', id, failure: { kind: 'corrupt', detail: 'no page could be read' } };
    }
    return { type: 'result', id, pages, failedPages, hasImages };
  } catch (error) {
    return { type: 'failure', id, failure: describe(error) };
  } finally {
    await task.destroy().catch(() => {});
  }
}

/** The page's text: items joined, a line break where pdf.js marks the end of a line. */
export function pageText(content: TextContent): string {
  let text = '';
  for (const item of content.items) {
    if (!('str' in item)) continue;
    text += item.str;
    if (item.hasEOL) text += '\n';
  }
  return text
    .normalize('NFC')
    .replace(/[ \t\u00a0]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/**
 * Whether the file holds an image XObject (`/Subtype /Image`), found in the raw bytes:
 * a stream's dictionary is never compressed (object streams cannot hold streams) nor
 * encrypted. pdf.js's operator lists would say the same per page but can loop without
 * end on a cyclic form XObject (pdf.js corpus: operator_list_cycle.pdf), eating memory
 * until the process dies. Inline images (BI … ID … EI in a content stream) are missed.
 */
export function hasImageXObject(bytes: Uint8Array): boolean {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const subtype = Buffer.from('/Subtype', 'latin1');
  for (let at = buffer.indexOf('/Image'); at >= 0; at = buffer.indexOf('/Image', at + 6)) {
    if (!isDelimiter(buffer[at + 6])) continue; // /ImageB, /ImageMask, /Image1 ...
    let before = at - 1;
    while (before >= 0 && isWhitespace(buffer[before])) before -= 1;
    const start = before + 1 - subtype.length;
    if (start >= 0 && buffer.subarray(start, before + 1).equals(subtype)) return true;
  }
  return false;
}

function isWhitespace(byte: number | undefined): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09 || byte === 0x0c || byte === 0x00;
}

function isDelimiter(byte: number | undefined): boolean {
  return byte === undefined || isWhitespace(byte) || '()<>[]{}/%'.includes(String.fromCharCode(byte));
}

function describe(error: unknown): PdfFailure {
  const name = (error as { name?: unknown })?.name;
  const message = error instanceof Error ? error.message : String(error);
  if (name === 'PasswordException') {
    return { kind: 'encrypted', code: Number((error as { code?: unknown }).code) || 1, detail: message };
  }
  if (name === 'MissingPDFException') return { kind: 'unreadable', detail: message };
  // InvalidPDFException (truncated, garbage), FormatError, UnknownErrorException, ...
  return { kind: 'corrupt', detail: message };
}
