/**
 * A merged segment is the segment its live chunks would have made if indexed again: every
 * column equal (postings of both term forms, accents split across the parts, text, int8
 * vectors), whether the parts hold their text in memory or read it from disk, and a passage
 * damaged on disk is named rather than copied.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { quantize } from '../../src/pipeline/indexing/store/quantizedVectors';
import { Segment, type QuantizedVectors } from '../../src/pipeline/indexing/store/segment';
import { DamagedTextError, openDescriptor } from '../../src/pipeline/indexing/store/segmentText';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { assertSameColumns, randomChunks, randomVectors } from '../fixtures/segments';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-merge-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function save(segment: Segment, name: string): string {
  const file = path.join(root, name);
  fs.writeFileSync(file, segment.encode());
  return file;
}

/** The segment as a later process sees it: loaded, its text read from the file. */
function load(id: number, file: string): Segment {
  const bytes = fs.readFileSync(file);
  const head = bytes.subarray(0, Segment.checkedLength(bytes, bytes.length));
  return Segment.decode(id, Buffer.from(head), { file, fd: openDescriptor(file) });
}

function liveVectors(parts: { segment: Segment; live: number[] }[]): QuantizedVectors | undefined {
  const first = parts[0].segment.vectors;
  if (!first) return undefined;
  const { modelId, dimension } = first;
  const n = parts.reduce((sum, { live }) => sum + live.length, 0);
  const codes = new Int8Array(n * dimension);
  const scales = new Float32Array(n);
  let to = 0;
  for (const { segment, live } of parts) {
    for (const d of live) {
      codes.set(segment.vectors!.codes.subarray(d * dimension, (d + 1) * dimension), to * dimension);
      scales[to++] = segment.vectors!.scales[d];
    }
  }
  return { modelId, dimension, codes, scales };
}

/** Asserts that merging `parts` equals indexing their live chunks afresh. */
async function assertMergeEqualsRebuild(parts: { segment: Segment; live: number[] }[]): Promise<Segment> {
  const merged = await Segment.merge(9, parts);
  const chunks: Chunk[] = parts.flatMap(({ segment, live }) => live.map((d) => segment.chunk(d)));
  const rebuilt = await Segment.build(9, chunks, liveVectors(parts));
  assertSameColumns(merged, rebuilt);
  assert.deepEqual(chunks.map((_, d) => merged.chunk(d)), chunks);
  return merged;
}

describe('merging segments', () => {
  test('the merge of live chunks of three segments equals indexing them again (vectors, accents, dead chunks)', async () => {
    const dimension = 16;
    const sizes = [120, 80, 200];
    const parts = await Promise.all(sizes.map(async (size, k) => {
      const segment = await Segment.build(k + 1, randomChunks(10 + k, size, `part${k}`), quantizeAll(randomVectors(20 + k, size, dimension)));
      // One part whole, the others with chunks gone (their files re-indexed elsewhere or deleted).
      const live = Array.from({ length: size }, (_, d) => d).filter((d) => k === 0 || (d * 7 + k) % 3 !== 0);
      return { segment, live };
    }));
    const merged = await assertMergeEqualsRebuild(parts);
    assert.ok(merged.variants.some((flag) => flag === 1) && merged.exact.size > 0, 'accented words were merged');
  });

  test('a word only one part writes with accents keeps the other parts’ unaccented uses in its exact form', async () => {
    const chunk = (file: string, text: string): Chunk => ({ id: `${file}#0`, path: file, text, startLine: 1, endLine: 1 });
    const plainOnly = await Segment.build(1, [chunk('a.md', 'ban duong ban'), chunk('b.md', 'duong pho')]);
    const accented = await Segment.build(2, [chunk('c.md', 'bàn ghế và ban'), chunk('d.md', 'đường phố')]);
    assert.equal(plainOnly.exact.size, 0, 'a segment without accents keeps no exact forms');
    const merged = await assertMergeEqualsRebuild([{ segment: plainOnly, live: [0, 1] }, { segment: accented, live: [0, 1] }]);
    const ban = merged.exact.find('ban');
    assert.deepEqual([...merged.exact.docsOf(ban)], [0, 2], '"ban" in both parts');
  });

  test('parts whose text is on disk are copied from their files; a damaged passage is named, not copied', async () => {
    const built = await Segment.build(3, randomChunks(30, 150, 'disk'), quantizeAll(randomVectors(31, 150, 8)));
    const other = await Segment.build(4, randomChunks(32, 40, 'memory'), quantizeAll(randomVectors(33, 40, 8)));
    const file = save(built, 'seg-3.bin');
    const loaded = load(3, file);
    assert.equal(loaded.textResident, false);
    const live = Array.from({ length: 150 }, (_, d) => d).filter((d) => d % 4 !== 1);
    await assertMergeEqualsRebuild([{ segment: loaded, live }, { segment: other, live: [0, 5, 6, 7, 39] }]);
    loaded.close();

    // One byte of passage 102's text flipped on disk (the text is the file's last section, before 8-byte padding).
    const bytes = fs.readFileSync(file);
    const damagedChunk = 102;
    const { textStarts } = built.columns;
    const at = bytes.length - built.encodeParts().padding.length - (textStarts[150] - textStarts[damagedChunk]);
    bytes[at] ^= 0x01;
    fs.writeFileSync(file, bytes);
    const damaged = load(3, file);
    await assert.rejects(Segment.merge(9, [{ segment: damaged, live }]), (error) => error instanceof DamagedTextError && error.chunk === damagedChunk);
    damaged.close();
  });
});

function quantizeAll(vectors: ReturnType<typeof randomVectors>): QuantizedVectors {
  return quantize(vectors.modelId, vectors.dimension, vectors.data);
}
