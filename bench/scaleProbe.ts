/** The measuring half of bench/scale.ts, in a fresh process: load, query, change, memory. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { RequestToken } from '../src/pipeline/cancellation';
import { Embedder } from '../src/pipeline/embedding/embedder';
import { WorkspaceIndex } from '../src/pipeline/indexing/workspaceIndex';
import type { ScaleProbeResult } from './scale';

const [store, modelDir, docs, questionsFile] = process.argv.slice(2);
const percentile = (values: number[], p: number) => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)];

void (async () => {
  const embedder = await Embedder.load(modelDir, { threads: 1 });
  const token = new RequestToken('scale');
  const loadStarted = performance.now();
  const index = await WorkspaceIndex.open(store, { log: (level, message) => console.error(`${level}: ${message}`) });
  await index.useEmbedder(embedder, token);
  const loadMs = performance.now() - loadStarted;

  const questions = JSON.parse(fs.readFileSync(questionsFile, 'utf8')) as string[];
  const hybrid: number[] = [];
  const keyword: number[] = [];
  const embed: number[] = [];
  for (const question of questions) {
    let started = performance.now();
    const vector = await index.embedQuery(question, token);
    embed.push(performance.now() - started);
    index.search(question, 10, vector);
    hybrid.push(performance.now() - started);
    started = performance.now();
    index.search(question, 10);
    keyword.push(performance.now() - started);
  }

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
    oneFileSaveMs,
    removeMs,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
    chunks: index.status().chunks,
    segments: fs.readdirSync(store).filter((name) => name.startsWith('seg-')).length,
  };
  await embedder.dispose();
  process.send!(result, () => process.exit(0));
})();
