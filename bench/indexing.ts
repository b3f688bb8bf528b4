/**
 * Indexing throughput on a generated corpus of 2,000 files (Markdown, code, PDFs) through
 * the project's indexer, beside the raw libraries doing the same reading alone (fs,
 * pdf.js on the calling thread, a plain MiniSearch over the same chunks): the difference is
 * the pipeline's overhead. Then Stop during PDF extraction through the real pipeline process.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import MiniSearch from 'minisearch';
import { CancellationTokenSource, type CancellationToken } from 'vscode-jsonrpc';
import { RequestToken } from '../src/pipeline/cancellation';
import { chunkDocument } from '../src/pipeline/indexing/chunk';
import { shutdownPdfWorkers } from '../src/pipeline/indexing/extract/pdf';
import { walkFolder } from '../src/pipeline/indexing/walk';
import { WorkspaceIndex } from '../src/pipeline/indexing/workspaceIndex';
import type { IndexReport } from '../src/protocol/indexing';
import { longPdf } from '../test/fixtures/pdfs';
import { writeTinyEmbedder } from '../test/fixtures/tinyOnnx';
import { startHarness } from '../test/support/pipelineHarness';
import { summarize, type Figure, runAlone } from './stats';

const WORDS = 'index query answer model token stop cancel phase chunk vector keyword source page line heading document workspace editor retrieval pipeline'.split(' ');

export async function writeCorpus(dir: string): Promise<{ pdfPages: number }> {
  let seed = 7;
  const word = () => WORDS[(seed = (seed * 1103515245 + 12345) % 2 ** 31) % WORDS.length];
  const sentence = (n: number) => Array.from({ length: n }, word).join(' ');
  for (let i = 0; i < 1600; i++) {
    const body = Array.from({ length: 6 }, (_, s) => `## Section ${s}\n${sentence(60)}.\n`).join('\n');
    fs.mkdirSync(path.join(dir, `docs/${i % 40}`), { recursive: true });
    fs.writeFileSync(path.join(dir, `docs/${i % 40}/note-${i}.md`), `# Note ${i} uniq${i}\n${body}`);
  }
  for (let i = 0; i < 370; i++) {
    fs.mkdirSync(path.join(dir, 'src'), { recursive: true });
    const lines = Array.from({ length: 80 }, (_, l) => `export const value${l} = '${sentence(6)}'; // ${i}`);
    fs.writeFileSync(path.join(dir, `src/module-${i}.ts`), lines.join('\n'));
  }
  const pdf = await longPdf(20);
  for (let i = 0; i < 30; i++) fs.writeFileSync(path.join(dir, `manual-${i}.pdf`), pdf);
  return { pdfPages: 30 * 20 };
}

/** The same work with the libraries alone: read, pdf.js in-thread, chunk, MiniSearch.addAll. */
async function rawBaseline(dir: string): Promise<number> {
  const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
  const files = await walkFolder(dir);
  const started = performance.now();
  const search = new MiniSearch({ fields: ['text'], storeFields: ['path'] });
  for (const file of files) {
    let units: { text: string; page?: number }[];
    if (file.absPath.endsWith('.pdf')) {
      const task = pdfjs.getDocument({ data: new Uint8Array(fs.readFileSync(file.absPath)), isEvalSupported: false, disableFontFace: true, verbosity: 0 });
      const doc = await task.promise;
      units = [];
      for (let p = 1; p <= doc.numPages; p++) {
        const content = await (await doc.getPage(p)).getTextContent();
        units.push({ page: p, text: content.items.map((item) => ('str' in item ? item.str : '')).join(' ') });
      }
      await task.destroy();
    } else {
      units = [{ text: fs.readFileSync(file.absPath, 'utf8') }];
    }
    search.addAll(chunkDocument({ path: file.displayPath, kind: 'text', units }));
  }
  JSON.stringify(search);
  return performance.now() - started;
}

/** Presses Stop `delayMs` into `index`; how long after it `index` ended (`unfinished` if Stop came too late). */
async function msFromStopToEnd(delayMs: number, index: (token: CancellationToken) => Promise<IndexReport>, unfinished: string): Promise<number> {
  const source = new CancellationTokenSource();
  let stoppedAt = 0;
  setTimeout(() => {
    stoppedAt = performance.now();
    source.cancel();
  }, delayMs);
  const report = await index(source.token);
  if (!report.cancelled) throw new Error(unfinished);
  return performance.now() - stoppedAt;
}

async function stopDuringExtraction(runs: number): Promise<Figure> {
  const harness = await startHarness();
  await harness.client.start();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-stop-pdf-'));
  try {
    const latencies: number[] = [];
    for (let i = 0; i < runs; i++) {
      // A fresh file each time: an unchanged one would be skipped, not read.
      const file = path.join(dir, `long-${i}.pdf`);
      fs.writeFileSync(file, await longPdf(300));
      const index = (token: CancellationToken) => harness.client.indexFiles([{ absPath: file, displayPath: `long-${i}.pdf` }], token);
      latencies.push(await msFromStopToEnd(150 + (i % 5) * 40, index, 'the extraction finished before Stop; make the PDF longer'));
    }
    return summarize('Stop during PDF extraction → indexing ended, at the host', latencies, 'ms', { p95Target: 50 });
  } finally {
    await harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Stop while files are embedded (the tiny embedder in the real pipeline process): long text
 * files, so that almost all of a run is embedding; Stop lands at a varying moment of it.
 */
async function stopDuringEmbedding(runs: number): Promise<Figure> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-stop-embed-'));
  const harness = await startHarness({ embeddingModel: writeTinyEmbedder(path.join(dir, 'embedder')).dir });
  await harness.client.start();
  try {
    const warmUp = path.join(dir, 'warm-up.md');
    fs.writeFileSync(warmUp, 'Warm up the embedder.\n');
    // Waits for the embedding model to load (it holds the index until then).
    await harness.client.indexFiles([{ absPath: warmUp, displayPath: 'warm-up.md' }], new CancellationTokenSource().token);
    const latencies: number[] = [];
    for (let i = 0; i < runs; i++) {
      const files = Array.from({ length: 20 }, (_, f) => {
        const file = path.join(dir, `run-${i}-${f}.md`);
        fs.writeFileSync(file, Array.from({ length: 400 }, (_, l) => `Line ${l} of file ${f} in run ${i}: words to embed, again and again.`).join('\n'));
        return { absPath: file, displayPath: path.basename(file) };
      });
      const index = (token: CancellationToken) => harness.client.indexFiles(files, token);
      latencies.push(await msFromStopToEnd(100 + (i % 5) * 45, index, 'the embedding finished before Stop; write more text'));
    }
    return summarize('Stop while embedding → indexing ended, at the host', latencies, 'ms', { p95Target: 50 });
  } finally {
    await harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchIndexing(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-corpus-'));
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-corpus-store-'));
  try {
    const { pdfPages } = await writeCorpus(dir);
    const files = await walkFolder(dir);
    const started = performance.now();
    const index = await WorkspaceIndex.open(store, { log: () => {} });
    const report = await index.indexFiles(files, new RequestToken('bench'));
    const pipelineMs = performance.now() - started;
    await shutdownPdfWorkers();
    const rawMs = await rawBaseline(dir);
    const seconds = pipelineMs / 1000;
    const chunks = index.status().chunks;
    return [
      {
        name: 'Indexing a 2,000-file corpus: files per second',
        value: files.length / seconds,
        unit: 'files/s',
        detail: `${report.indexed} files, ${chunks} chunks (${(chunks / seconds).toFixed(0)} chunks/s), ${pdfPages} PDF pages, ${pipelineMs.toFixed(0)} ms including the save`,
      },
      {
        name: 'Pipeline overhead over the raw libraries (fs, pdf.js, MiniSearch)',
        value: (pipelineMs / rawMs - 1) * 100,
        unit: '%',
        target: '≤ 25 %',
        detail: `pipeline ${pipelineMs.toFixed(0)} ms, raw ${rawMs.toFixed(0)} ms`,
      },
      await stopDuringExtraction(20),
      await stopDuringEmbedding(20),
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.rmSync(store, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone(benchIndexing);
