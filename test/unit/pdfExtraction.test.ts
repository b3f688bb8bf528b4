/**
 * PDF extraction in its worker thread (src/pipeline/indexing/extract/pdf.ts): text per
 * page, Vietnamese, every kind of bad file, cancel and timeout that terminate the worker,
 * and a main thread that keeps ticking while a long PDF is parsed.
 *
 * Runs the built worker (dist/pdfWorker.mjs): `npm run build` first.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RequestToken, CancelledError } from '../../src/pipeline/cancellation';
import { ExtractionError } from '../../src/pipeline/indexing/types';
import { extractPdf, pdfWorkerCount, shutdownPdfWorkers } from '../../src/pipeline/indexing/extract/pdf';
import {
  ENCRYPTED_PASSWORD,
  PAGE_WORDS,
  VIETNAMESE_TEXT,
  decompressionBombPdf,
  longPdf,
  writePdfFixtures,
  type PdfFixtureFiles,
} from '../fixtures/pdfs';

const LONG_PAGES = 300;

let dir: string;
let files: PdfFixtureFiles;
let longFile: string;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-pdf-'));
  files = await writePdfFixtures(dir);
  longFile = path.join(dir, 'long.pdf');
  fs.writeFileSync(longFile, await longPdf(LONG_PAGES));
});

after(async () => {
  await shutdownPdfWorkers();
  fs.rmSync(dir, { recursive: true, force: true });
});

function token(id = 'req-test'): RequestToken {
  return new RequestToken(id);
}

/** The display path the messages must name: what the indexer would pass. */
function display(file: string): string {
  return `docs/${path.basename(file)}`;
}

async function expectExtractionError(
  promise: Promise<unknown>,
  reason: ExtractionError['reason'],
  displayPath: string,
  wording?: RegExp,
): Promise<ExtractionError> {
  const error = await promise.then(
    () => assert.fail(`expected ${displayPath} to fail with ${reason}`),
    (caught: unknown) => caught,
  );
  assert.ok(error instanceof ExtractionError, `expected an ExtractionError, got ${String(error)}`);
  assert.equal(error.reason, reason, error.message);
  assert.ok(error.message.includes(displayPath), `message names the file: ${error.message}`);
  if (wording) assert.match(error.message, wording);
  return error;
}

/** A good file still extracts: the worker survived the failure or was restarted. */
async function assertStillWorks(): Promise<void> {
  const doc = await extractPdf(files.multiPage, display(files.multiPage), token());
  assert.equal(doc.units.length, PAGE_WORDS.length);
}

test('one unit per page, 1-based page numbers, the text of each page with its line breaks', async () => {
  const doc = await extractPdf(files.multiPage, 'docs/multi-page.pdf', token());
  assert.equal(doc.kind, 'pdf');
  assert.equal(doc.path, 'docs/multi-page.pdf');
  assert.deepEqual(
    doc.units.map((unit) => unit.page),
    PAGE_WORDS.map((_, index) => index + 1),
  );
  PAGE_WORDS.forEach((words, index) => {
    assert.equal(doc.units[index].text, `Page ${index + 1} heading\nThe words of this page are ${words}.`);
    for (const [other, otherWords] of PAGE_WORDS.entries()) {
      if (other !== index) assert.ok(!doc.units[index].text.includes(otherWords), `page ${index + 1} holds only its own words`);
    }
  });
});

test('Vietnamese text in an embedded font extracts exactly', async () => {
  const doc = await extractPdf(files.vietnamese, 'docs/tieng-viet.pdf', token());
  assert.equal(doc.units.length, 1);
  assert.equal(doc.units[0].page, 1);
  assert.equal(doc.units[0].text, VIETNAMESE_TEXT);
});

test('a password-protected PDF is refused as encrypted (RC4 and AES-256), and the next file still extracts', async () => {
  for (const file of [files.encrypted, files.encryptedAes]) {
    await expectExtractionError(
      extractPdf(file, display(file), token()),
      'encrypted',
      display(file),
      /is password-protected; Local RAG cannot read encrypted PDFs/,
    );
    await assertStillWorks();
  }
});

test('a wrong password is refused as encrypted; the right one opens the file', async () => {
  await expectExtractionError(
    extractPdf(files.encrypted, display(files.encrypted), token(), { password: 'wrong' }),
    'encrypted',
    display(files.encrypted),
    /password given was not accepted/,
  );
  const doc = await extractPdf(files.encrypted, display(files.encrypted), token(), { password: ENCRYPTED_PASSWORD });
  assert.equal(doc.units[0].text, 'Secret words behind a password.');
});

test('a truncated PDF and garbage bytes are corrupt, and the next file still extracts', async () => {
  for (const file of [files.truncated, files.garbage]) {
    await expectExtractionError(extractPdf(file, display(file), token()), 'corrupt', display(file), /damaged or not a PDF/);
    await assertStillWorks();
  }
});

test('an image-only PDF has no text layer: noText, and the next file still extracts', async () => {
  await expectExtractionError(
    extractPdf(files.imageOnly, display(files.imageOnly), token()),
    'noText',
    display(files.imageOnly),
    /has no text layer — probably scanned; OCR is not supported/,
  );
  await assertStillWorks();
});

test('a file over maxBytes is tooLarge; a missing file is unreadable', async () => {
  const size = fs.statSync(files.multiPage).size;
  await expectExtractionError(
    extractPdf(files.multiPage, display(files.multiPage), token(), { maxBytes: size - 1 }),
    'tooLarge',
    display(files.multiPage),
  );
  const missing = path.join(dir, 'missing.pdf');
  await expectExtractionError(extractPdf(missing, display(missing), token()), 'unreadable', display(missing));
  await assertStillWorks();
});

test('a timeout terminates the worker and gives timeout; the next file extracts in a fresh worker', async () => {
  await assertStillWorks(); // a warm worker, so the timeout falls mid-parse
  const started = performance.now();
  await expectExtractionError(
    extractPdf(longFile, display(longFile), token(), { timeoutMs: 150 }),
    'timeout',
    display(longFile),
  );
  const elapsed = performance.now() - started;
  assert.ok(elapsed < 1000, `timed out after ${elapsed.toFixed(0)} ms`);
  assert.equal(pdfWorkerCount(), 0, 'the timed-out worker was terminated');
  await assertStillWorks();
});

test('a decompression bomb is stopped by the memory budget: tooLarge, worker ended, next file extracts', async () => {
  const bomb = path.join(dir, 'bomb.pdf');
  fs.writeFileSync(bomb, await decompressionBombPdf(512)); // ~0.5 MB on disk, 512 MiB inflated
  await assertStillWorks(); // a warm worker: the budget measures the bomb, not pdf.js loading
  const started = performance.now();
  await expectExtractionError(
    extractPdf(bomb, display(bomb), token(), { maxMemoryBytes: 128 * 1024 * 1024 }),
    'tooLarge',
    display(bomb),
    /needs more than 128 MB of memory/,
  );
  const elapsed = performance.now() - started;
  console.log(`# bomb stopped after ${elapsed.toFixed(0)} ms`);
  assert.equal(pdfWorkerCount(), 0, 'the worker that held the memory was terminated');
  await assertStillWorks();
});

test('cancel during a 300-page extraction rejects with CancelledError within 50 ms and ends the worker', async () => {
  const cancellation = token('req-cancel');
  cancellation.setPhase('FILE_EXTRACTION');
  let cancelledAt = 0;
  let pagesSeen = 0;
  const extraction = extractPdf(longFile, display(longFile), cancellation, {
    onProgress: (page) => {
      pagesSeen = page;
      if (page === 20) {
        cancelledAt = performance.now();
        cancellation.cancel();
      }
    },
  });
  const error = await extraction.then(
    () => assert.fail('a cancelled extraction must not resolve'),
    (caught: unknown) => caught,
  );
  const latency = performance.now() - cancelledAt;
  assert.ok(cancelledAt > 0, 'cancelled mid-extraction');
  assert.ok(error instanceof CancelledError, `expected CancelledError, got ${String(error)}`);
  assert.equal(error.requestId, 'req-cancel');
  assert.equal(error.phase, 'FILE_EXTRACTION');
  assert.ok(latency < 50, `rejected ${latency.toFixed(1)} ms after cancel()`);
  assert.ok(pagesSeen < LONG_PAGES, `stopped at page ${pagesSeen} of ${LONG_PAGES}`);
  assert.equal(pdfWorkerCount(), 0, 'the cancelled worker was terminated');
  console.log(`# cancel → CancelledError in ${latency.toFixed(2)} ms (at page ${pagesSeen}/${LONG_PAGES})`);
  await assertStillWorks();
});

test('an already-cancelled token rejects at once, without starting a worker', async () => {
  await shutdownPdfWorkers();
  const cancellation = token('req-early');
  cancellation.cancel();
  await assert.rejects(extractPdf(files.multiPage, display(files.multiPage), cancellation), CancelledError);
  assert.equal(pdfWorkerCount(), 0);
});

test('the main thread keeps ticking while a 300-page PDF is parsed', async () => {
  await assertStillWorks(); // warm worker: measure parsing, not start-up
  let last = performance.now();
  let maxGap = 0;
  let ticks = 0;
  const interval = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks += 1;
  }, 10);
  const started = performance.now();
  try {
    const doc = await extractPdf(longFile, display(longFile), token());
    assert.equal(doc.units.length, LONG_PAGES);
    assert.equal(doc.units[LONG_PAGES - 1].page, LONG_PAGES);
    assert.ok(doc.units[LONG_PAGES - 1].text.startsWith(`Page ${LONG_PAGES} marker-${LONG_PAGES}.`));
  } finally {
    clearInterval(interval);
  }
  const took = performance.now() - started;
  console.log(`# ${LONG_PAGES} pages in ${took.toFixed(0)} ms; ${ticks} ticks, longest gap ${maxGap.toFixed(1)} ms`);
  assert.ok(ticks >= Math.floor(took / 10 / 2), `only ${ticks} ticks in ${took.toFixed(0)} ms`);
  assert.ok(maxGap < 100, `the event loop stalled for ${maxGap.toFixed(1)} ms`);
});

test('a finished worker is kept for the next call, and the calls may overlap', async () => {
  await shutdownPdfWorkers();
  await assertStillWorks();
  assert.equal(pdfWorkerCount(), 1);
  const [first, second] = await Promise.all([
    extractPdf(files.multiPage, display(files.multiPage), token()),
    extractPdf(files.vietnamese, display(files.vietnamese), token()),
  ]);
  assert.equal(first.units.length, PAGE_WORDS.length);
  assert.equal(second.units[0].text, VIETNAMESE_TEXT);
  assert.equal(pdfWorkerCount(), 1, 'the extra worker of the overlap was ended');
});

test('shutting the workers down rejects an extraction still running', async () => {
  let shutdown: Promise<void> | undefined;
  const extraction = extractPdf(longFile, display(longFile), token(), {
    onProgress: (page) => {
      if (page === 5) shutdown ??= shutdownPdfWorkers();
    },
  });
  await assert.rejects(extraction, /PDF workers were shut down/);
  await shutdown;
  assert.equal(pdfWorkerCount(), 0);
  await assertStillWorks();
});
