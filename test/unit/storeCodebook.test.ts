/**
 * The approximate vector index in the store (vectorCodebook.ts, codebooks.ts): once a model's
 * vectors are many enough a codebook is learned, saved beside the segments and used by every
 * process that opens the store; search through it still finds what exact search finds, also
 * when two writers each learned their own; and a damaged codebook costs speed, never a result.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { SegmentIndex, type FileChunks } from '../../src/pipeline/indexing/store/segmentIndex';
import { CODEBOOK_MIN_VECTORS } from '../../src/pipeline/indexing/store/vectorCodebook';
import type { Logger } from '../../src/pipeline/log';
import { mulberry32 } from '../fixtures/random';
import { TopicVectors } from '../fixtures/topicVectors';

const DIMENSION = 384;
const MODEL = 'test/codebook-model';
const PER_FILE = 64;
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-codebook-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) };
}

/** Vectors as a sentence model places passages: topics, subtopics, neighbours close, the rest far (one set of topics for the store and its queries). */
const TOPICS = new TopicVectors(DIMENSION, 7);
function vectorMaker(seed: number): () => Float32Array {
  const random = mulberry32(seed);
  return () => TOPICS.draw(random);
}

function batchOf(first: number, files: number, next: () => Float32Array): FileChunks[] {
  return Array.from({ length: files }, (_, i) => {
    const file = `docs/f${first + i}.md`;
    const chunks = Array.from({ length: PER_FILE }, (_, c) => ({ id: `${file}#${c}`, path: file, text: `chunk ${c} of file ${first + i}`, startLine: c + 1, endLine: c + 1 }));
    return { path: file, facts: { size: 1, mtimeMs: 1, hash: 'h' }, chunks, vectors: chunks.map(() => next()) };
  });
}

/** The store's live vectors, to search exactly. */
function liveVectors(index: SegmentIndex): { doc: number; vector: Float32Array }[] {
  const layout = index.layout();
  const out: { doc: number; vector: Float32Array }[] = [];
  layout.segments.forEach((segment, s) => {
    for (let d = 0; d < segment.size; d++) if (layout.live[layout.bases[s] + d]) out.push({ doc: layout.bases[s] + d, vector: segment.vector(d)! });
  });
  return out;
}

function exactTop(vectors: { doc: number; vector: Float32Array }[], query: Float32Array, k: number): number[] {
  const dot = (v: Float32Array) => v.reduce((sum, x, i) => sum + x * query[i], 0);
  return vectors
    .map(({ doc, vector }) => ({ doc, score: dot(vector) }))
    .sort((a, b) => b.score - a.score)
    .slice(0, k)
    .map((hit) => hit.doc);
}

test('a store that grows past the threshold learns a codebook, saves it, and every reader searches through it as well as exactly', async () => {
  const dir = path.join(root, 'grown');
  const next = vectorMaker(1);
  const writer = await SegmentIndex.open(dir, recorder());
  const files = Math.ceil((CODEBOOK_MIN_VECTORS * 1.25) / PER_FILE);
  for (let first = 0; first < files; first += 64) {
    await writer.addFiles(batchOf(first, Math.min(64, files - first), next), MODEL);
    await writer.save();
  }
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { codebooks?: { file: string }[] };
  assert.equal(manifest.codebooks?.length, 1, 'one codebook for the one model');
  assert.ok(fs.existsSync(path.join(dir, manifest.codebooks[0].file)));
  const segments = writer.layout().segments;
  assert.ok(segments.length >= 3, `segments: ${segments.map((segment) => segment.size).join(", ")}`);
  assert.deepEqual(
    segments.filter((segment) => !segment.groups).map((segment) => segment.id),
    [],
    'every segment is placed in the codebook: those built after it at once, earlier ones by the save after it was learned',
  );

  const reader = await SegmentIndex.open(dir, recorder(), { readOnly: true });
  const vectors = liveVectors(reader);
  const queries = vectorMaker(99);
  let found = 0;
  for (let q = 0; q < 40; q++) {
    const query = queries();
    const exact = exactTop(vectors, query, 10);
    const hits = reader.vector(MODEL, query, 10).hits.map((hit) => hit.doc);
    found += exact.filter((doc) => hits.includes(doc)).length;
  }
  assert.ok(found / 400 >= 0.95, `recall@10 of search through the codebook: ${found / 400}`);
  for (const { doc, vector } of vectors.filter((_, i) => i % 997 === 0)) assert.equal(reader.vector(MODEL, vector, 1).hits[0]?.doc, doc, 'a stored vector finds itself first');
});

test('two writers that each learn a codebook before seeing the other’s: both are saved, and a reader searches through both as well as exactly', async () => {
  const dir = path.join(root, 'two-writers');
  const writers = [await SegmentIndex.open(dir, recorder()), await SegmentIndex.open(dir, recorder())];
  const next = vectorMaker(3);
  // Each writer indexes just past the threshold before either saves: each learns its own.
  const files = Math.ceil((CODEBOOK_MIN_VECTORS * 1.02) / PER_FILE);
  for (const [w, writer] of writers.entries()) {
    for (let first = 0; first < files; first += 128) await writer.addFiles(batchOf(w * files + first, Math.min(128, files - first), next), MODEL);
  }
  for (const writer of writers) await writer.save();
  await writers[0].save();
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { codebooks?: { id: number; file: string }[] };
  assert.equal(manifest.codebooks?.length, 2, 'both codebooks are named: segments are placed in each');
  for (const { file } of manifest.codebooks) assert.ok(fs.existsSync(path.join(dir, file)), file);

  const reader = await SegmentIndex.open(dir, recorder(), { readOnly: true });
  assert.equal(reader.chunkCount, 2 * files * PER_FILE);
  const named = new Set(manifest.codebooks.map((codebook) => codebook.id));
  for (const segment of reader.layout().segments) assert.ok(segment.groups && named.has(segment.groups.codebook), `segment ${segment.id} is placed in a saved codebook`);
  const vectors = liveVectors(reader);
  const queries = vectorMaker(98);
  let found = 0;
  for (let q = 0; q < 20; q++) {
    const query = queries();
    const hits = reader.vector(MODEL, query, 10).hits.map((hit) => hit.doc);
    found += exactTop(vectors, query, 10).filter((doc) => hits.includes(doc)).length;
  }
  assert.ok(found / 200 >= 0.95, `recall@10: ${found / 200}`);
  for (const { doc, vector } of vectors.filter((_, i) => i % 1201 === 0)) assert.equal(reader.vector(MODEL, vector, 1).hits[0]?.doc, doc, 'a stored vector finds itself first');
  for (const index of [...writers, reader]) index.close();
});

test('a damaged codebook is reported, and search scans every vector instead: nothing is lost', async () => {
  const dir = path.join(root, 'grown');
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as { codebooks: { file: string }[] };
  const file = path.join(dir, manifest.codebooks[0].file);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 5] ^= 0xff;
  fs.writeFileSync(file, bytes);
  const log = recorder();
  const reader = await SegmentIndex.open(dir, log, { readOnly: true });
  assert.ok(reader.problems.some((problem) => problem.includes(manifest.codebooks[0].file)), `the damage is named: ${reader.problems.join(' | ')}`);
  const vectors = liveVectors(reader);
  for (const { doc, vector } of vectors.filter((_, i) => i % 1499 === 0)) assert.equal(reader.vector(MODEL, vector, 1).hits[0]?.doc, doc);
});

test('a codebook file the manifest does not name is removed by the next save; one it names stays', async () => {
  const dir = path.join(root, 'strays');
  const writer = await SegmentIndex.open(dir, recorder());
  await writer.addFiles(batchOf(0, 2, vectorMaker(3)), MODEL);
  await writer.save();
  fs.writeFileSync(path.join(dir, 'codebook-abc.bin'), 'left by a killed save');
  await writer.addFiles(batchOf(10, 1, vectorMaker(4)), MODEL);
  await writer.save();
  assert.ok(!fs.existsSync(path.join(dir, 'codebook-abc.bin')));
});
