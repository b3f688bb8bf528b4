/**
 * Indexing the 2,000-file corpus of bench/indexing.ts with embeddings, in chunks/s: the
 * tiny ONNX embedder in the worker thread against a real llama-server `--embeddings` on the
 * tiny GGUF (through ServerEmbedder, as `localRag.server.embeddingModel` does). Runs
 * alternate between the two, so a busy spell of the shared machine falls on both.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RequestToken } from '../src/pipeline/cancellation';
import { Embedder } from '../src/pipeline/embedding/embedder';
import type { PassageEmbedder } from '../src/pipeline/embedding/passageEmbedder';
import { ServerEmbedder } from '../src/pipeline/embedding/serverEmbedder';
import { shutdownPdfWorkers } from '../src/pipeline/indexing/extract/pdf';
import { walkFolder } from '../src/pipeline/indexing/walk';
import { WorkspaceIndex } from '../src/pipeline/indexing/workspaceIndex';
import { writeTinyEmbedder } from '../test/fixtures/tinyOnnx';
import { startLlamaServer } from '../test/support/llamaServer';
import { writeCorpus } from './indexing';
import { median, runAlone, type Figure } from './stats';

export async function benchServerIndexing(runs = Number(process.env.BENCH_SERVER_INDEXING_RUNS ?? 1)): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-server-corpus-'));
  // A whole chunk must fit in one physical batch (`-ub`): the tiny model's tokenizer makes
  // up to ~800 tokens of a chunk, over llama-server's default 512 (it answers 500 then).
  const server = await startLlamaServer({ parallel: 2, embeddings: true, batchSize: 2048 });
  const onnx = await Embedder.load(writeTinyEmbedder(path.join(dir, '.embedder')).dir);
  const remote = new ServerEmbedder({ endpoint: { apiBase: `${server.url}/v1` }, model: 'tiny-embed', queryPrefix: '', passagePrefix: '' });
  try {
    const corpus = path.join(dir, 'corpus');
    await writeCorpus(corpus);
    const files = await walkFolder(corpus);
    const rates = { onnx: [] as number[], server: [] as number[] };
    let chunks = 0;
    for (let run = 0; run < runs; run++) {
      for (const [name, embedder] of [['onnx', onnx], ['server', remote]] as const) {
        const measured = await indexWith(embedder, files);
        chunks = measured.chunks;
        rates[name].push(measured.chunks / (measured.ms / 1000));
        console.error(`run ${run + 1}, ${name}: ${measured.chunks} chunks in ${(measured.ms / 1000).toFixed(1)} s`);
      }
    }
    const detail = (name: keyof typeof rates) => `${files.length} files, ${chunks} chunks; runs ${rates[name].map((rate) => rate.toFixed(0)).join(', ')} chunks/s`;
    return [
      { name: 'Indexing the 2,000-file corpus with the embedded tiny ONNX embedder, median', value: median(rates.onnx), unit: 'chunks/s', detail: detail('onnx') },
      { name: 'Indexing the 2,000-file corpus with llama-server --embeddings (tiny GGUF), median', value: median(rates.server), unit: 'chunks/s', detail: detail('server') },
    ];
  } finally {
    await onnx.dispose();
    await server.stop();
    await shutdownPdfWorkers();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** A fresh index of `files` with `embedder`, the save included. */
async function indexWith(embedder: PassageEmbedder, files: Awaited<ReturnType<typeof walkFolder>>): Promise<{ chunks: number; ms: number }> {
  const store = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-server-corpus-store-'));
  try {
    const started = performance.now();
    const index = await WorkspaceIndex.open(store, { log: () => {} });
    await index.useEmbedder(embedder, new RequestToken('bench'));
    await index.indexFiles(files, new RequestToken('bench'));
    const ms = performance.now() - started;
    if (!index.isHybrid) throw new Error(`The index has no vectors from ${embedder.modelId}.`);
    return { chunks: index.status().chunks, ms };
  } finally {
    fs.rmSync(store, { recursive: true, force: true });
  }
}

if (require.main === module) runAlone(benchServerIndexing);
