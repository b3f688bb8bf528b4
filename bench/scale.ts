/**
 * The index at 100k chunks: hybrid query latency (the query embedded by the tiny embedder,
 * included), cold load, saving a one-file change, and the peak memory of the process that
 * does it. The store is built through the index's own segment writer from XQuAD text
 * (German and Spanish words in random runs, ~800 characters a chunk); the vectors are random
 * unit vectors of the tiny embedder's dimension, tagged with its model id — the time to
 * search them does not depend on their values. The measuring runs in a fresh process, as
 * the pipeline would after a restart.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Embedder } from '../src/pipeline/embedding/embedder';
import { writeTinyEmbedder } from '../test/fixtures/tinyOnnx';
import { buildXquadStore, xquadText, XQUAD } from './xquadStore';
import type { Figure } from './stats';

const CHUNKS = Number(process.env.BENCH_SCALE_CHUNKS ?? 100_000);

export interface ScaleProbeResult {
  loadMs: number;
  hybrid: { p50: number; p95: number };
  keyword: { p50: number; p95: number };
  embedQuery: { p50: number };
  oneFileSaveMs: number[];
  removeMs: number[];
  maxRssMb: number;
  chunks: number;
  segments: number;
}

export async function benchScale(): Promise<Figure[]> {
  if (!fs.existsSync(XQUAD)) {
    console.log(`No XQuAD data at ${XQUAD}: skipping the 100k-chunk benchmark.`);
    return [];
  }
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-scale-'));
  try {
    const modelDir = writeTinyEmbedder(path.join(root, 'embedder')).dir;
    const embedder = await Embedder.load(modelDir, { threads: 1 });
    const { modelId, dimension } = embedder;
    await embedder.dispose();
    const { questions } = xquadText();
    const store = path.join(root, 'store');
    const buildMs = await buildXquadStore(store, CHUNKS, { modelId, dimension });
    const storeBytes = fs.readdirSync(store).reduce((sum, name) => sum + fs.statSync(path.join(store, name)).size, 0);
    const questionsFile = path.join(root, 'questions.json');
    fs.writeFileSync(questionsFile, JSON.stringify(questions.filter((_, i) => i % 12 === 0)));
    const result = await new Promise<ScaleProbeResult>((resolve, reject) => {
      const child = fork(path.join(__dirname, 'scaleProbe.ts'), [store, modelDir, path.join(root, 'docs'), questionsFile], {
        execArgv: ['--import', 'tsx', '--max-old-space-size=6144'],
      });
      child.once('message', (message) => resolve(message as ScaleProbeResult));
      child.once('exit', (code) => reject(new Error(`the scale probe exited with ${code}`)));
    });
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
    const detail = `${result.chunks} chunks in ${result.segments} segments, ${(storeBytes / 1e6).toFixed(0)} MB on disk, ${dimension}-dimension vectors; built in ${(buildMs / 1000).toFixed(1)} s`;
    return [
      { name: '100k chunks: hybrid query p50 (query embedding included)', value: result.hybrid.p50, unit: 'ms', target: '≤ 30 ms', detail },
      { name: '100k chunks: hybrid query p95', value: result.hybrid.p95, unit: 'ms', target: '≤ 100 ms', detail: `keyword only p50 ${result.keyword.p50.toFixed(1)} / p95 ${result.keyword.p95.toFixed(1)} ms; query embedding p50 ${result.embedQuery.p50.toFixed(1)} ms` },
      { name: '100k chunks: cold load', value: result.loadMs, unit: 'ms', target: '≤ 2000 ms', detail: 'open the saved index in a fresh process, ready to search' },
      { name: '100k chunks: saving a one-file change (median)', value: median(result.oneFileSaveMs), unit: 'ms', target: '≤ 200 ms', detail: `edit re-indexed and saved: ${result.oneFileSaveMs.map((ms) => ms.toFixed(0)).join(', ')} ms; removal saved: ${result.removeMs.map((ms) => ms.toFixed(0)).join(', ')} ms` },
      { name: '100k chunks: peak memory of the process', value: result.maxRssMb, unit: 'MB', detail: 'max RSS: load, queries, changes' },
    ];
  } finally {
    if (!process.env.BENCH_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else console.log('kept', root);
  }
}

if (require.main === module) {
  void benchScale().then((figures) => {
    for (const f of figures) console.log(`${f.name}: ${f.value.toFixed(1)} ${f.unit}  (${f.detail})`);
  });
}
