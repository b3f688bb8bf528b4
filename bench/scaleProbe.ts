/**
 * The measuring half of bench/scale.ts, in a fresh process: load, query, change, memory.
 * With topic queries (the million-chunk run), hybrid search uses the topic-made query vector
 * (the question is still embedded, and that time counted), and each such vector's own
 * vector hits are compared with its exact top-10 for recall. Tells the parent each stage it
 * reaches, so a run that dies (out of memory) still says how far it got.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RequestToken } from '../src/pipeline/cancellation';
import { Embedder } from '../src/pipeline/embedding/embedder';
import type { SegmentIndex } from '../src/pipeline/indexing/store/segmentIndex';
import { WorkspaceIndex } from '../src/pipeline/indexing/workspaceIndex';
import type { ScaleBuildResult } from './scaleBuild';

export interface ScaleProbeResult {
  loadMs: number;
  hybrid: { p50: number; p95: number };
  keyword: { p50: number; p95: number };
  embedQuery: { p50: number };
  /** With topic queries: the index's own vector search, k = 10. */
  vectorOnly?: { p50: number; p95: number; recallAt10: number; queries: number };
  oneFileSaveMs: number[];
  removeMs: number[];
  maxRssMb: number;
  /** RSS the embedder added: loaded, one query embedded. */
  embedderRssMb: number;
  chunks: number;
  segments: number;
}

export type ScaleProbeMessage = { stage: string; loadMs?: number } | { result: ScaleProbeResult };

const [store, modelDir, docs, questionsFile, buildFile] = process.argv.slice(2);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];
const tell = (message: ScaleProbeMessage) => process.send!(message);
const rssMb = () => process.memoryUsage.rss() / 2 ** 20;

void (async () => {
  const token = new RequestToken('scale');
  const rssBefore = rssMb();
  const embedder = await Embedder.load(modelDir, { threads: 1 });
  await embedder.embedQuery('warm up', token);
  const embedderRssMb = rssMb() - rssBefore;
  tell({ stage: 'embedder loaded' });

  const loadStarted = performance.now();
  const index = await WorkspaceIndex.open(store, { log: (level, message) => console.error(`${level}: ${message}`) });
  await index.useEmbedder(embedder, token);
  const loadMs = performance.now() - loadStarted;
  tell({ stage: 'loaded', loadMs });

  const questions = JSON.parse(fs.readFileSync(questionsFile, 'utf8')) as string[];
  const built = buildFile ? (JSON.parse(fs.readFileSync(buildFile, 'utf8')) as ScaleBuildResult) : undefined;
  const topicQueries = built?.queries.map((query) => Float32Array.from(query)) ?? [];
  const hybrid: number[] = [];
  const keyword: number[] = [];
  const embed: number[] = [];
  for (const [i, question] of questions.entries()) {
    let started = performance.now();
    const embedded = await index.embedQuery(question, token);
    embed.push(performance.now() - started);
    index.search(question, 10, topicQueries[i] ?? embedded);
    hybrid.push(performance.now() - started);
    started = performance.now();
    index.search(question, 10);
    keyword.push(performance.now() - started);
  }
  tell({ stage: 'queried', loadMs });

  const vectorOnly = built?.exactTop10.length ? measureRecall(index, embedder.modelId, topicQueries, built.exactTop10) : undefined;
  if (vectorOnly) tell({ stage: 'recall measured', loadMs });

  const oneFileSaveMs: number[] = [];
  const removeMs: number[] = [];
  for (let i = 0; i < 7; i++) {
    const displayPath = `docs/${i}/file-${i}.md`;
    const absPath = path.join(docs, `${i}.md`);
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(absPath, `# Edited ${i}\n${questions.slice(i * 20, i * 20 + 20).join('\n')}\n`);
    let started = performance.now();
    await index.indexFiles([{ absPath, displayPath }], token);
    oneFileSaveMs.push(performance.now() - started);
    started = performance.now();
    await index.removeFiles([`docs/${i}/file-${i + 100}.md`]);
    removeMs.push(performance.now() - started);
  }
  const result: ScaleProbeResult = {
    loadMs,
    hybrid: { p50: percentile(hybrid, 50), p95: percentile(hybrid, 95) },
    keyword: { p50: percentile(keyword, 50), p95: percentile(keyword, 95) },
    embedQuery: { p50: percentile(embed, 50) },
    vectorOnly,
    oneFileSaveMs,
    removeMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    embedderRssMb,
    chunks: index.status().chunks,
    segments: fs.readdirSync(store).filter((name) => name.startsWith('seg-')).length,
  };
  await embedder.dispose();
  process.send!({ result } satisfies ScaleProbeMessage, () => process.exit(0));
})();

/** The index's own vector hits for each query against its exact top-10: the share found, and the time taken. */
function measureRecall(index: WorkspaceIndex, modelId: string, queries: Float32Array[], exact: string[][]): ScaleProbeResult['vectorOnly'] {
  // The store's vector search is what hybrid search fuses; WorkspaceIndex does not expose it alone.
  const segments = (index as unknown as { store: SegmentIndex }).store;
  const times: number[] = [];
  let found = 0;
  let wanted = 0;
  queries.forEach((query, q) => {
    const started = performance.now();
    const { hits } = segments.vector(modelId, query, 10);
    times.push(performance.now() - started);
    const ids = new Set(hits.map(({ doc }) => segments.chunk(doc).id));
    found += exact[q].filter((id) => ids.has(id)).length;
    wanted += exact[q].length;
  });
  return { p50: percentile(times, 50), p95: percentile(times, 95), recallAt10: found / wanted, queries: queries.length };
}
