/**
 * A large index for benchmarks, written through the index's own segment writer: chunks of
 * German and Spanish XQuAD text (random runs of ~120 words, ~800 characters), 20 per file,
 * and optionally random unit vectors tagged with an embedder's model id (the time to search
 * vectors does not depend on their values).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SegmentIndex, type FileChunks } from '../src/pipeline/indexing/store/segmentIndex';
import type { Chunk } from '../src/pipeline/indexing/types';
import { mulberry32 } from '../test/fixtures/random';

export const XQUAD = path.resolve(__dirname, 'data/xquad');
const CHUNKS_PER_FILE = 20;
const SEGMENT_CHUNKS = 4096;

/** The words of every XQuAD paragraph and every question, German and Spanish. */
export function xquadText(): { words: string[]; questions: string[] } {
  const words: string[] = [];
  const questions: string[] = [];
  for (const language of ['de', 'es']) {
    const squad = JSON.parse(fs.readFileSync(path.join(XQUAD, `xquad.${language}.json`), 'utf8')) as {
      data: { paragraphs: { context: string; qas: { question: string }[] }[] }[];
    };
    for (const article of squad.data)
      for (const paragraph of article.paragraphs) {
        words.push(...paragraph.context.split(/\s+/));
        questions.push(...paragraph.qas.map((qa) => qa.question));
      }
  }
  return { words, questions };
}

/** Writes `count` chunks into the index folder `store`; resolves with the milliseconds it took. */
export async function buildXquadStore(store: string, count: number, vectors?: { modelId: string; dimension: number }): Promise<number> {
  const { words } = xquadText();
  const random = mulberry32(11);
  const index = await SegmentIndex.open(store, { log: () => {} });
  const started = performance.now();
  let batch: FileChunks[] = [];
  let batchChunks = 0;
  for (let file = 0; file * CHUNKS_PER_FILE < count; file++) {
    const displayPath = `docs/${file % 100}/file-${file}.md`;
    const chunks: Chunk[] = [];
    const unit: Float32Array[] = [];
    for (let c = 0; c < CHUNKS_PER_FILE; c++) {
      const start = Math.floor(random() * (words.length - 130));
      chunks.push({ id: `${displayPath}#${c}`, path: displayPath, text: words.slice(start, start + 120).join(' '), startLine: c * 10 + 1, endLine: c * 10 + 12 });
      if (vectors) {
        const vector = Float32Array.from({ length: vectors.dimension }, () => random() - 0.5);
        const norm = Math.hypot(...vector);
        unit.push(vector.map((x) => x / norm));
      }
    }
    batch.push({ path: displayPath, facts: { size: 1, mtimeMs: 1, hash: 'x' }, chunks, ...(vectors ? { vectors: unit } : {}) });
    batchChunks += chunks.length;
    if (batchChunks >= SEGMENT_CHUNKS) {
      await index.addFiles(batch, vectors?.modelId);
      batch = [];
      batchChunks = 0;
    }
  }
  if (batch.length) await index.addFiles(batch, vectors?.modelId);
  await index.save();
  return performance.now() - started;
}
