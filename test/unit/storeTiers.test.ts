/**
 * A store saved many times stays a few segments (tiered merging), and merging changes no
 * answer: after fifty saves it finds what one save of the same files finds, with the same
 * scores, in this process and in a reader that loads it; files changed or deleted between
 * merges are neither lost nor found twice.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { SegmentIndex, type FileChunks } from '../../src/pipeline/indexing/store/segmentIndex';
import type { Chunk } from '../../src/pipeline/indexing/types';
import type { Logger } from '../../src/pipeline/log';
import { mulberry32 } from '../fixtures/random';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-tiers-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const quiet: Logger = { log: () => {} };
const WORDS = ['harbour', 'ferry', 'lighthouse', 'keeper', 'tide', 'đường', 'phố', 'bàn', 'ban', 'Straße', 'index', 'segment', 'merge', 'search', 'stop'];
const PER_FILE = 40;

/** A word only chunk `c` of version `version` of `name` holds: letters only (digits split words), none a prefix of another. */
function tokenOf(name: string, c: number, version: number): string {
  return `${name}k${c}v${version}q`.replace(/[^a-z0-9]/gi, '').replace(/\d/g, (digit) => 'abcdefghij'[Number(digit)]);
}

function fileOf(name: string, version: number, perFile = PER_FILE): FileChunks {
  const random = mulberry32([...`${name}@${version}`].reduce((hash, char) => Math.imul(hash ^ char.charCodeAt(0), 16777619), 2166136261));
  const chunks: Chunk[] = Array.from({ length: perFile }, (_, c) => ({
    id: `${name}#${c}`,
    path: name,
    text: `${tokenOf(name, c, version)} ` + Array.from({ length: 12 }, () => WORDS[Math.floor(random() * WORDS.length)]).join(' '),
    startLine: c * 3 + 1,
    endLine: c * 3 + 3,
  }));
  return { path: name, facts: { size: version, mtimeMs: version, hash: `${name}@${version}` }, chunks };
}

const names = (save: number) => [0, 1, 2].map((f) => `docs/save${save}-file${f}.md`);

/** Every chunk a search finds, with its score (sorted: equal scores may come in any order). */
function found(index: SegmentIndex, query: string): string[] {
  return index.keyword(query, 100_000).map((hit) => `${index.chunk(hit.doc).id} ${hit.score.toFixed(6)}`).sort();
}

function texts(index: SegmentIndex, query: string): string[] {
  return index.keyword(query, 20).map((hit) => index.chunk(hit.doc).text);
}

describe('tiered merging', () => {
  test('fifty saves make a few segments that answer as one save of the same files does', async () => {
    const saves = 50;
    const many = await SegmentIndex.open(path.join(root, 'many'), quiet);
    for (let save = 0; save < saves; save++) {
      await many.addFiles(names(save).map((name) => fileOf(name, 1)));
      await many.save();
    }
    const sizes = many.layout().segments.map((segment) => segment.size);
    assert.ok(sizes.length <= 10, `segments after ${saves} saves of ${3 * PER_FILE} chunks: ${sizes.join(', ')}`);
    assert.ok(sizes.some((size) => size >= 8 * 3 * PER_FILE), `small segments were merged into larger ones: ${sizes.join(', ')}`);

    const once = await SegmentIndex.open(path.join(root, 'once'), quiet);
    await once.addFiles(Array.from({ length: saves }, (_, save) => names(save).map((name) => fileOf(name, 1))).flat());
    await once.save();
    const reader = await SegmentIndex.open(path.join(root, 'many'), quiet, { readOnly: true });
    for (const query of ['harbour ferry', 'duong pho', 'bàn', 'ban', 'straße', tokenOf(names(17)[2], 5, 1), 'merge search stop']) {
      const expected = found(once, query);
      assert.ok(expected.length > 0, query);
      assert.deepEqual(found(many, query), expected, `"${query}" in the merged store`);
      assert.deepEqual(found(reader, query), expected, `"${query}" in a reader of the merged store`);
    }
    assert.equal(reader.chunkCount, saves * 3 * PER_FILE);
    reader.close();
    once.close();
    many.close();
  });

  test('forty saves of 1,200 chunks each (one batch of Index Workspace) end up in a handful of segments', async () => {
    const saves = 40;
    const perFile = 400;
    const dir = path.join(root, 'batches');
    const index = await SegmentIndex.open(dir, quiet);
    for (let save = 0; save < saves; save++) {
      await index.addFiles(names(save).map((name) => fileOf(name, 1, perFile)));
      await index.save();
    }
    const reader = await SegmentIndex.open(dir, quiet, { readOnly: true });
    const sizes = reader.layout().segments.map((segment) => segment.size);
    // Once merged, they are 8 × 1,200 chunks; unmerged, they would stay 40.
    assert.ok(sizes.length <= 12, `segments: ${sizes.join(', ')}`);
    assert.equal(reader.chunkCount, saves * 3 * perFile);
    for (const [save, file, c] of [[0, 0, 0], [13, 2, 399], [39, 1, 200]]) {
      const name = names(save)[file];
      assert.equal(reader.chunk(reader.keyword(tokenOf(name, c, 1), 1)[0].doc).id, `${name}#${c}`);
    }
    reader.close();
    index.close();
  });

  test('new vectors for a segment with dead chunks keep only its live ones, copied, each with its own vector', async () => {
    const dir = path.join(root, 'reembed');
    const index = await SegmentIndex.open(dir, quiet);
    const files = names(0).map((name) => fileOf(name, 1));
    await index.addFiles(files);
    index.deleteEntry(files[1].path);
    const [todo] = index.segmentsToEmbed('test/new-model');
    assert.equal(todo.chunks.length, 2 * PER_FILE, 'only the live chunks are embedded');
    // One-hot vectors: chunk i's vector finds chunk i.
    const vectors = todo.chunks.map((_, i) => Float32Array.from({ length: todo.chunks.length }, (_, j) => (i === j ? 1 : 0)));
    await index.setVectors(todo.id, 'test/new-model', vectors);
    assert.deepEqual(index.layout().segments.map((segment) => segment.size), [2 * PER_FILE]);
    for (const i of [0, PER_FILE - 1, PER_FILE, 2 * PER_FILE - 1]) {
      const hit = index.vector('test/new-model', vectors[i], 1).hits[0];
      assert.deepEqual(index.chunk(hit.doc), todo.chunks[i]);
    }
    // Vectors for a segment whose chunks changed meanwhile do not fit it: nothing is replaced.
    const [again] = index.segmentsToEmbed('test/other-model');
    index.deleteEntry(files[0].path);
    await index.setVectors(again.id, 'test/other-model', again.chunks.map(() => new Float32Array(4).fill(0.5)));
    assert.equal(index.hasVectors('test/other-model'), false);
    index.close();
  });

  test('files changed and deleted between merges are found once, as they are now', async () => {
    const dir = path.join(root, 'changing');
    const index = await SegmentIndex.open(dir, quiet);
    const live = new Map<string, number>();
    for (let save = 0; save < 40; save++) {
      await index.addFiles(names(save).map((name) => fileOf(name, 1)));
      for (const name of names(save)) live.set(name, 1);
      // Now and then an earlier file changes or goes away: its old chunks die in merged segments.
      if (save % 3 === 2) {
        const changed = names(save - 2)[1];
        await index.addFiles([fileOf(changed, save)]);
        live.set(changed, save);
        const deleted = names(save - 1)[0];
        index.deleteEntry(deleted);
        live.delete(deleted);
      }
      await index.save();
    }
    const reader = await SegmentIndex.open(dir, quiet, { readOnly: true });
    for (const store of [index, reader]) {
      assert.equal(store.chunkCount, live.size * PER_FILE);
      for (const [name, version] of live) {
        // Near words match too (typos): the chunk holding the word itself comes first, once.
        const hits = store.keyword(tokenOf(name, 7, version), 20).map((hit) => store.chunk(hit.doc));
        assert.equal(hits[0]?.id, `${name}#7`, `${name} as of version ${version}`);
        assert.equal(hits.filter((chunk) => chunk.id === `${name}#7`).length, 1);
        if (version > 1) assert.ok(!texts(store, tokenOf(name, 7, 1)).some((text) => text.includes(tokenOf(name, 7, 1))), `${name}'s first version is gone`);
      }
      const deleted = names(1)[0];
      assert.ok(!store.keyword(tokenOf(deleted, 7, 1), 20).some((hit) => store.chunk(hit.doc).path === deleted), 'a deleted file is not found');
    }
    const segments = reader.layout().segments;
    assert.ok(segments.length <= 10, `segments: ${segments.map((segment) => segment.size).join(', ')}`);
    reader.close();
    index.close();
  });
});
