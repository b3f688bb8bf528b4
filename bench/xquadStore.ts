/**
 * A large index for benchmarks, written through the index's own segment writer: chunks of
 * German and Spanish XQuAD text (random runs of ~120 words, ~800 characters), 20 per file,
 * and optionally vectors tagged with an embedder's model id: random unit vectors (the time of
 * an exhaustive search does not depend on their values), or topic-mixture ones where
 * neighbours must mean something (topicVectors.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { SegmentIndex, type FileChunks } from '../src/pipeline/indexing/store/segmentIndex';
import type { Chunk } from '../src/pipeline/indexing/types';
import { mulberry32 } from '../test/fixtures/random';
import { normalise, type TopicVectors } from '../test/fixtures/topicVectors';

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

export interface StoreVectors {
  modelId: string;
  dimension: number;
  /** Draws the vectors from these topics; random unit vectors without. */
  topics?: TopicVectors;
}

/** Sees every chunk written, in order (`ordinal` from 0; its id is `xquadChunkId(ordinal)`), before it is indexed. */
export type ChunkWatcher = (ordinal: number, text: string, vector: Float32Array | undefined) => void | Promise<void>;

/** The id of the chunk written `ordinal`-th. */
export function xquadChunkId(ordinal: number): string {
  const file = Math.floor(ordinal / CHUNKS_PER_FILE);
  return `${filePath(file)}#${ordinal % CHUNKS_PER_FILE}`;
}

const filePath = (file: number) => `docs/${file % 100}/file-${file}.md`;

/** Writes `count` chunks (rounded up to whole files) into the index folder `store`; resolves with the milliseconds it took. */
export async function buildXquadStore(store: string, count: number, vectors?: StoreVectors, watch?: ChunkWatcher): Promise<number> {
  const { words } = xquadText();
  const random = mulberry32(11);
  const index = await SegmentIndex.open(store, { log: () => {} });
  const started = performance.now();
  let batch: FileChunks[] = [];
  let batchChunks = 0;
  for (let file = 0; file * CHUNKS_PER_FILE < count; file++) {
    const displayPath = filePath(file);
    const chunks: Chunk[] = [];
    const fileVectors: Float32Array[] = [];
    for (let c = 0; c < CHUNKS_PER_FILE; c++) {
      const start = Math.floor(random() * (words.length - 130));
      const text = words.slice(start, start + 120).join(' ');
      chunks.push({ id: `${displayPath}#${c}`, path: displayPath, text, startLine: c * 10 + 1, endLine: c * 10 + 12 });
      const vector = vectors && (vectors.topics ? vectors.topics.draw(random) : randomUnit(random, vectors.dimension));
      if (vector) fileVectors.push(vector);
      await watch?.(file * CHUNKS_PER_FILE + c, text, vector);
    }
    batch.push({ path: displayPath, facts: { size: 1, mtimeMs: 1, hash: 'x' }, chunks, ...(vectors ? { vectors: fileVectors } : {}) });
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

function randomUnit(random: () => number, dimension: number): Float32Array {
  const vector = new Float32Array(dimension);
  for (let i = 0; i < dimension; i++) vector[i] = random() - 0.5;
  return normalise(vector);
}
