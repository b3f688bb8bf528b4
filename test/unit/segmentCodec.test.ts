/**
 * A segment survives its file: random chunks (accented text, lines, pages, headings, with
 * and without vectors) built, encoded and decoded give back every column and the same
 * search results. Segments are read back as views over the file's bytes, so a column laid
 * out at the wrong offset would show here before it showed as a wrong answer.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { keywordSearch } from '../../src/pipeline/indexing/store/bm25';
import { layOut } from '../../src/pipeline/indexing/store/layout';
import { quantize } from '../../src/pipeline/indexing/store/quantizedVectors';
import { Segment } from '../../src/pipeline/indexing/store/segment';
import { vectorSearch } from '../../src/pipeline/indexing/store/vectorSearch';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { assertSameColumns, olderSegmentFile, plain, QUERIES, randomChunks, randomVectors } from '../fixtures/segments';

function searchResults(segment: Segment, chunks: Chunk[]) {
  const layout = layOut([segment], () => true);
  const query = randomVectors(99, 1, segment.vectors?.dimension ?? 8).data;
  return {
    keyword: QUERIES.map((q) => keywordSearch(layout, q, 10)),
    vector: vectorSearch(layout, 'test/model', query, 10),
    chunks: chunks.map((_, d) => segment.chunk(d)),
  };
}

describe('segment encode/decode', () => {
  for (const { name, seed, count, dimension } of [
    { name: 'without vectors', seed: 1, count: 300, dimension: 0 },
    { name: 'with vectors', seed: 2, count: 300, dimension: 12 },
    { name: 'one chunk', seed: 3, count: 1, dimension: 4 },
  ]) {
    test(`every column and every search result come back (${name})`, async () => {
      const chunks = randomChunks(seed, count);
      const built = await Segment.build(7, chunks, dimension ? randomVectors(seed, count, dimension) : undefined);
      assert.deepEqual(
        chunks.map((_, d) => built.chunk(d)),
        chunks,
        'the segment gives back the chunks it was built from',
      );
      const bytes = built.encode();
      const decoded = Segment.decode(7, bytes);
      assertSameColumns(decoded, built);
      assert.ok(decoded.folded.size > 0 && (dimension === 0) === (decoded.vectors === undefined));
      const results = searchResults(built, chunks);
      assert.ok(results.keyword.some((hits) => hits.length > 0), 'the queries find something');
      assert.deepEqual(searchResults(decoded, chunks), results);

      // A pooled Buffer need not start on an 8-byte boundary: decoding copies the body then.
      const unaligned = Buffer.concat([Buffer.alloc(3), bytes]).subarray(3);
      assertSameColumns(Segment.decode(7, unaligned), built);
      assert.ok(decoded.encode().equals(bytes), 'a decoded segment encodes to the same bytes');
    });
  }

  test('a segment of format 2 (chunk numbers as u32) is read as it is, answers the same, and is written in the current format', async () => {
    const chunks = randomChunks(6, 200);
    const built = await Segment.build(5, chunks, randomVectors(7, 200, 8));
    const order = 'fileOf position startLine endLine page heading length textStarts textCrcs foldedTerms foldedStarts foldedDocs foldedFreqs variants exactTerms exactStarts exactDocs exactFreqs vectorScales vectors groups text'.split(' ');
    const format2 = olderSegmentFile(built, 2, order);
    const decoded = Segment.decode(5, format2);
    assertSameColumns(decoded, built);
    assert.deepEqual(searchResults(decoded, chunks), searchResults(built, chunks));
    const rewritten = decoded.encode();
    assert.ok(rewritten.length < format2.length, `the postings take less room (${rewritten.length} < ${format2.length} bytes)`);
    assertSameColumns(Segment.decode(5, rewritten), built);
  });

  test('a segment given new vectors keeps every other column', async () => {
    const chunks = randomChunks(4, 50);
    const built = await Segment.build(1, chunks);
    const vectors = randomVectors(5, 50, 6);
    const moved = Segment.decode(2, built.withVectors(2, vectors).encode());
    assert.equal(moved.id, 2);
    const { vectors: _, ...rest } = moved.columns;
    const { vectors: __, ...expected } = built.columns;
    for (const name of Object.keys(expected) as (keyof typeof expected)[]) assert.deepEqual(plain(rest[name]), plain(expected[name]), `column ${name}`);
    assert.deepEqual(plain(moved.vectors), plain(quantize(vectors.modelId, vectors.dimension, vectors.data)));
  });
});
