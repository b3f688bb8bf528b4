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
import type { Postings } from '../../src/pipeline/indexing/store/postings';
import { quantize } from '../../src/pipeline/indexing/store/quantizedVectors';
import { Segment, type SegmentColumns, type SegmentVectors } from '../../src/pipeline/indexing/store/segment';
import { vectorSearch } from '../../src/pipeline/indexing/store/vectorSearch';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { mulberry32 } from '../fixtures/random';

const WORDS = [
  'bàn', 'bán', 'bạn', 'ban', 'đường', 'duong', 'người', 'Việt', 'tiếng', 'hướng', 'dẫn',
  'Straße', 'Größe', 'über', 'naïve', 'café', 'Ærø', 'garden', 'gardens', 'gardening',
  'index', 'indexes', 'search', 'searched', 'stop', 'model', '2024', 'x86', 'ﬁle',
];
const QUERIES = ['bàn', 'ban', 'duong đường', 'hướng dẫn', 'Straße', 'strasse', 'garden', 'gardenin', 'indexs', 'cafe', 'über größe', 'nothing'];

function randomChunks(seed: number, count: number): Chunk[] {
  const random = mulberry32(seed);
  const pick = <T>(list: T[]) => list[Math.floor(random() * list.length)];
  const chunks: Chunk[] = [];
  for (let i = 0; i < count; i++) {
    const path = `docs/${i % 7}/file-${Math.floor(i / 5)}.${i % 3 ? 'md' : 'pdf'}`;
    const words = Array.from({ length: Math.floor(random() * 40) }, () => pick(WORDS));
    const startLine = 1 + Math.floor(random() * 500);
    chunks.push({
      id: `${path}#${i % 5}`,
      path,
      // Line breaks, punctuation and an empty chunk now and then, as real text has.
      text: words.join(random() < 0.2 ? '\n' : ', '),
      startLine,
      endLine: startLine + Math.floor(random() * 30),
      ...(i % 3 === 0 ? { page: 1 + Math.floor(random() * 40) } : {}),
      ...(random() < 0.6 ? { heading: `§ ${pick(WORDS)} ${i % 4}` } : {}),
    });
  }
  return chunks;
}

function randomVectors(seed: number, count: number, dimension: number): SegmentVectors {
  const random = mulberry32(seed);
  return { modelId: 'test/model', dimension, data: Float32Array.from({ length: count * dimension }, () => random() - 0.5) };
}

/** A column's values as plain data, so a Buffer and a Uint8Array view of the same bytes compare equal. */
function plain(value: SegmentColumns[keyof SegmentColumns] | Float32Array | Int8Array): unknown {
  if (value === undefined || Array.isArray(value)) return value;
  if (ArrayBuffer.isView(value)) return [value.constructor === Buffer ? 'Uint8Array' : value.constructor.name, [...(value as Uint8Array)]];
  if ('modelId' in value) return { modelId: value.modelId, dimension: value.dimension, codes: plain(value.codes), scales: plain(value.scales) };
  const postings = value as Postings;
  return { terms: postings.terms, starts: plain(postings.starts), docs: plain(postings.docs), freqs: plain(postings.freqs) };
}

function assertSameColumns(actual: Segment, expected: Segment): void {
  const names = Object.keys(expected.columns) as (keyof SegmentColumns)[];
  assert.deepEqual(Object.keys(actual.columns).sort(), [...names].sort());
  for (const name of names) assert.deepEqual(plain(actual.columns[name]), plain(expected.columns[name]), `column ${name}`);
}

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
