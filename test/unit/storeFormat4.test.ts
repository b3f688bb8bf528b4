/**
 * A store written by the previous version (manifest format 4, segment format 1: text amid
 * the columns, float32 vectors) opens and searches as it is, and the next save rewrites its
 * segments in the current format without losing a chunk or a vector. The old files are
 * made here byte for byte as that version laid them out.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { Segment } from '../../src/pipeline/indexing/store/segment';
import { SegmentIndex } from '../../src/pipeline/indexing/store/segmentIndex';
import type { Chunk } from '../../src/pipeline/indexing/types';
import type { Logger } from '../../src/pipeline/log';
import { mulberry32 } from '../fixtures/random';
import { olderSegmentFile } from '../fixtures/segments';
import { FORMAT_VERSION } from '../../src/pipeline/indexing/store/manifest';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-format4-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const MODEL = 'test/model';
const DIMENSION = 16;
/** The sections of a format-1 segment, in its file's order. */
const FORMAT_1_ORDER = 'fileOf position startLine endLine page heading length textStarts text foldedTerms foldedStarts foldedDocs foldedFreqs variants exactTerms exactStarts exactDocs exactFreqs vectors'.split(' ');

/** Format 1's layout: the same columns in this order, the text after `textStarts`, vectors as float32. */
async function format1Segment(chunks: Chunk[], vectors: Float32Array): Promise<Buffer> {
  const built = await Segment.build(1, chunks);
  return olderSegmentFile(built, 1, FORMAT_1_ORDER, { vectors }, { vectors: { modelId: MODEL, dimension: DIMENSION } });
}

function unitVectors(seed: number, count: number): Float32Array[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const v = Float32Array.from({ length: DIMENSION }, () => random() - 0.5);
    const norm = Math.hypot(...v);
    return v.map((x) => x / norm);
  });
}

function notes(file: string, count: number): Chunk[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${file}#${i}`, path: file, text: `Note ${i} of ${file}: über ${file.replace(/\W/g, ' ')} passage${i}`, startLine: i + 1, endLine: i + 1, heading: 'Notes' }));
}

/** Two format-1 segments of two files each, under a format-4 manifest. */
async function format4Store(dir: string): Promise<{ chunks: Chunk[]; vectors: Float32Array[] }> {
  fs.mkdirSync(dir, { recursive: true });
  const chunks: Chunk[] = [];
  const vectors: Float32Array[] = [];
  const records = [];
  const files: [string, object][] = [];
  for (const [s, names] of [[0x1000000a1, ['a.md', 'b.md']], [0x1000000b2, ['c.md', 'd.md']]] as const) {
    const segmentChunks = names.flatMap((name) => notes(name, 6));
    const segmentVectors = unitVectors(s, segmentChunks.length);
    const packed = new Float32Array(segmentVectors.length * DIMENSION);
    segmentVectors.forEach((v, i) => packed.set(v, i * DIMENSION));
    const bytes = await format1Segment(segmentChunks, packed);
    const file = `seg-v4-${s.toString(16)}.bin`;
    fs.writeFileSync(path.join(dir, file), bytes);
    records.push({ id: s, file, bytes: bytes.length, crc32: crc32(bytes) >>> 0 });
    for (const name of names) files.push([name, { size: 10, mtimeMs: 1, hash: `hash-${name}`, segment: s, chunks: 6 }]);
    chunks.push(...segmentChunks);
    vectors.push(...segmentVectors);
  }
  fs.writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify({ version: 4, chunking: { size: 1 }, segments: records, files }));
  return { chunks, vectors };
}

function everyChunk(index: SegmentIndex): Chunk[] {
  const layout = index.layout();
  return Array.from({ length: layout.total }, (_, doc) => index.chunk(doc)).sort((a, b) => a.id.localeCompare(b.id));
}

describe('a store of format 4', () => {
  test('opens and searches as it is, and the next save rewrites it in the current format with nothing lost', async () => {
    const dir = path.join(root, 'store');
    const { chunks, vectors } = await format4Store(dir);
    const sorted = [...chunks].sort((a, b) => a.id.localeCompare(b.id));
    const lines: string[] = [];
    const logger: Logger = { log: (level, message) => lines.push(`${level}: ${message}`) };

    const index = await SegmentIndex.open(dir, logger);
    assert.equal(index.chunkCount, 24);
    assert.deepEqual(everyChunk(index), sorted);
    assert.equal(index.chunk(index.keyword('passage3 c', 1)[0].doc).id, 'c.md#3');
    const nearest = (i: number) => index.chunk(index.vector(MODEL, vectors[i], 1).hits[0].doc).id;
    assert.equal(nearest(14), chunks[14].id, 'vector search finds a chunk by its own vector');
    assert.ok(index.layout().segments.every((segment) => segment.legacy && segment.textResident), 'format 1 keeps its text in memory until rewritten');

    await index.addFiles([{ path: 'e.md', facts: { size: 1, mtimeMs: 1, hash: 'e' }, chunks: notes('e.md', 2), vectors: unitVectors(9, 2) }], MODEL);
    await index.save();
    assert.ok(lines.some((line) => /^info: Rewriting 2 part\(s\) of the saved index in the current format/.test(line)), lines.join(' | '));
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.version, FORMAT_VERSION);
    assert.ok(!fs.existsSync(path.join(dir, 'seg-v4-1000000a1.bin')), 'the old segment files are gone');

    const reopened = await SegmentIndex.open(dir, logger);
    assert.equal(reopened.chunkCount, 26);
    assert.deepEqual(
      everyChunk(reopened).filter((chunk) => chunk.path !== 'e.md'),
      sorted,
    );
    assert.ok(reopened.layout().segments.every((segment) => !segment.legacy && !segment.textResident));
    const hits = reopened.vector(MODEL, vectors[14], 1).hits;
    assert.equal(reopened.chunk(hits[0].doc).id, chunks[14].id);
    assert.ok(Math.abs(hits[0].score - 1) < 0.01, `the quantized vector keeps its cosine: ${hits[0].score}`);
  });
});
