/**
 * A loaded store keeps chunk text on disk (segment format 2): passages read back equal what
 * was indexed, loading does not bring the text into memory, a damaged passage costs only its
 * own file (reported, forgotten, read again by the next run), and a reader keeps reading a
 * segment a writer deleted meanwhile.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken } from '../../src/pipeline/cancellation';
import { SegmentIndex, type FileChunks } from '../../src/pipeline/indexing/store/segmentIndex';
import { openTextFiles } from '../../src/pipeline/indexing/store/segmentText';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';
import { mulberry32 } from '../fixtures/random';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-text-on-disk-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const quiet: Logger = { log: () => {} };
const VOCABULARY = Array.from({ length: 60 }, (_, i) => `word${i}`);

function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) };
}

/** `files` files of `perFile` chunks of ~`words` words each (a small vocabulary, so the text dwarfs the postings). */
function generatedFiles(seed: number, files: number, perFile: number, words: number): FileChunks[] {
  const random = mulberry32(seed);
  return Array.from({ length: files }, (_, f) => {
    const file = `docs/file-${seed}-${f}.md`;
    const chunks: Chunk[] = Array.from({ length: perFile }, (_, c) => ({
      id: `${file}#${c}`,
      path: file,
      text: `Ünïcode ${f}.${c}: ` + Array.from({ length: words }, () => VOCABULARY[Math.floor(random() * VOCABULARY.length)]).join(' '),
      startLine: c * 10 + 1,
      endLine: c * 10 + 9,
    }));
    return { path: file, facts: { size: 1, mtimeMs: 1, hash: `h${f}` }, chunks };
  });
}

async function savedStore(name: string, batches: FileChunks[][]): Promise<string> {
  const dir = path.join(root, name);
  const index = await SegmentIndex.open(dir, quiet);
  for (const batch of batches) {
    await index.addFiles(batch);
    await index.save();
  }
  return dir;
}

function allChunks(index: SegmentIndex): Map<string, Chunk> {
  const layout = index.layout();
  const chunks = new Map<string, Chunk>();
  for (let doc = 0; doc < layout.total; doc++) if (layout.live[doc]) chunks.set(index.chunk(doc).id, index.chunk(doc));
  return chunks;
}

describe('chunk text on disk', () => {
  test('every passage read from disk after a load is the text indexed, and no segment holds its text', async () => {
    const batches = [generatedFiles(1, 5, 20, 50), generatedFiles(2, 3, 30, 80)];
    const dir = await savedStore('roundtrip', batches);
    const index = await SegmentIndex.open(dir, quiet);
    const expected = batches.flat().flatMap((file) => file.chunks);
    const read = allChunks(index);
    assert.equal(read.size, expected.length);
    for (const chunk of expected) assert.deepEqual(read.get(chunk.id), chunk);
    assert.ok(
      index.layout().segments.every((segment) => !segment.textResident),
      'a loaded segment holds no text',
    );
    assert.equal(index.keyword('Ünïcode 3.7', 1).length, 1);
  });

  test('a segment saved by this process lets go of its text once it is on disk', async () => {
    const dir = path.join(root, 'saved-here');
    const index = await SegmentIndex.open(dir, quiet);
    await index.addFiles(generatedFiles(3, 2, 10, 20));
    assert.ok(index.layout().segments[0].textResident, 'before the save the text is in memory');
    await index.save();
    assert.ok(!index.layout().segments[0].textResident);
    assert.match(index.chunk(0).text, /^Ünïcode 0\.0: word/);
  });

  test('loading a store brings in far less memory than its text', async () => {
    // ~24 MB of text in 12 segments; its columns and postings are about a tenth of that.
    const batches = Array.from({ length: 12 }, (_, b) => generatedFiles(100 + b, 10, 50, 650));
    const dir = await savedStore('memory', batches);
    const textBytes = batches.flat().reduce((sum, file) => sum + file.chunks.reduce((s, chunk) => s + Buffer.byteLength(chunk.text), 0), 0);
    assert.ok(textBytes > 20e6, `${textBytes} bytes of text`);
    global.gc?.();
    const before = process.memoryUsage();
    const index = await SegmentIndex.open(dir, quiet);
    global.gc?.();
    const after = process.memoryUsage();
    const grown = after.arrayBuffers - before.arrayBuffers + Math.max(0, after.heapUsed - before.heapUsed);
    assert.ok(grown < textBytes / 4, `loading took ${(grown / 1e6).toFixed(1)} MB for ${(textBytes / 1e6).toFixed(1)} MB of text`);
    assert.equal(index.chunkCount, 6000);
  });

  test('a reader keeps reading a segment that a writer deleted after the reader loaded it', async () => {
    const dir = await savedStore('deleted', [generatedFiles(4, 2, 5, 20)]);
    const reader = await SegmentIndex.open(dir, quiet, { readOnly: true });
    const before = allChunks(reader);
    for (const name of fs.readdirSync(dir)) if (name.startsWith('seg-')) fs.rmSync(path.join(dir, name));
    assert.deepEqual(allChunks(reader), before);
  });

  test('segments that leave the index let go of their files', async () => {
    const dir = await savedStore('handles', [generatedFiles(5, 1, 5, 10), generatedFiles(6, 1, 5, 10)]);
    const held = openTextFiles();
    const index = await SegmentIndex.open(dir, quiet);
    assert.equal(openTextFiles(), held + 2);
    for (const file of [...index.files.keys()]) index.deleteEntry(file);
    await index.save();
    assert.equal(openTextFiles(), held, 'the emptied segments were closed');
  });

  test('a closed index lets go of every file it read (the MCP server and the CLI open and close stores)', async () => {
    const dir = await savedStore('closed', [generatedFiles(7, 1, 5, 10), generatedFiles(8, 1, 5, 10)]);
    const held = openTextFiles();
    const index = await WorkspaceIndex.open(dir, quiet);
    assert.ok(index.search('word1 word2', 3).length > 0);
    assert.equal(openTextFiles(), held + 2);
    await index.close();
    assert.equal(openTextFiles(), held);
  });
});

describe('a damaged passage', () => {
  test('met while ranking by proximity: the keyword search runs again without it and answers', async () => {
    const batches = ['alpha', 'beta', 'gamma'].map((name) => [
      { path: `${name}.md`, facts: { size: 1, mtimeMs: 1, hash: name }, chunks: [{ id: `${name}.md#0`, path: `${name}.md`, text: `shared words about ${name} and more shared words`, startLine: 1, endLine: 1 }] },
    ]);
    const dir = await savedStore('proximity-damage', batches);
    const bad = fs.readdirSync(dir).find((name) => name.startsWith('seg-') && fs.readFileSync(path.join(dir, name)).includes('about beta'))!;
    const bytes = fs.readFileSync(path.join(dir, bad));
    bytes[bytes.lastIndexOf('about beta') + 7] ^= 0x01;
    fs.writeFileSync(path.join(dir, bad), bytes);

    const log = recorder();
    const index = await SegmentIndex.open(dir, log);
    const hits = index.keyword('shared words', 5);
    assert.deepEqual(hits.map((hit) => index.chunk(hit.doc).path).sort(), ['alpha.md', 'gamma.md']);
    assert.deepEqual([...index.files.keys()].sort(), ['alpha.md', 'gamma.md'], 'the damaged file is forgotten, to be read again');
    assert.ok(log.lines.some((line) => line.startsWith(`warn: Part of the saved index (${bad}) is damaged`)), log.lines.join(' | '));
  });

  test('is one clear error, its file is forgotten and read again, the damaged segment kept aside, the other files intact', async () => {
    const docs = path.join(root, 'damage-docs');
    const store = path.join(root, 'damage-store');
    fs.mkdirSync(docs, { recursive: true });
    const files = Object.entries({ walrus: 'walruses', narwhal: 'narwhals', puffin: 'puffins' }).map(([animal, plural]) => {
      fs.writeFileSync(path.join(docs, `${animal}.md`), `# ${plural}\n\nThis note is about ${plural} and nothing else.\n`);
      return { absPath: path.join(docs, `${animal}.md`), displayPath: `${animal}.md` };
    });
    let tokens = 0;
    const token = () => new RequestToken(`text-damage-${++tokens}`);
    const writer = await WorkspaceIndex.open(store, quiet);
    for (const file of files) await writer.indexFiles([file], token());
    await writer.close();

    // The last "walruses" in its segment is in the text section, which load does not check.
    const bad = fs.readdirSync(store).find((name) => name.startsWith('seg-') && fs.readFileSync(path.join(store, name)).includes('walruses'))!;
    const bytes = fs.readFileSync(path.join(store, bad));
    bytes[bytes.lastIndexOf('walruses')] ^= 0x20;
    fs.writeFileSync(path.join(store, bad), bytes);

    const log = recorder();
    const index = await WorkspaceIndex.open(store, log);
    assert.equal(index.status().files, 3, 'loading does not read the text');
    assert.throws(() => index.search('walruses', 1), /the text of passage 0 of seg-.*\.bin does not match its checksum/);
    assert.ok(
      log.lines.some((line) => line.startsWith(`warn: Part of the saved index (${bad}) is damaged`) && line.includes('1 file(s) will be indexed again')),
      log.lines.join(' | '),
    );
    assert.equal(index.search('walruses', 1).length, 0, 'the damaged passage is no longer searched');
    assert.equal(index.search('narwhals', 1)[0]?.path, 'narwhal.md');
    assert.equal(index.search('puffins', 1)[0]?.path, 'puffin.md');
    assert.equal(index.status().files, 2);

    const report = await index.indexFiles(files, token());
    assert.deepEqual([report.indexed, report.unchanged], [1, 2], 'only the damaged file is read again');
    assert.equal(index.search('walruses', 1)[0]?.path, 'walrus.md');
    await index.close();
    assert.ok(fs.readdirSync(store).some((name) => name.startsWith(`${bad}.corrupt-`)), 'the damaged segment is kept aside');
    const reopened = await WorkspaceIndex.open(store, quiet);
    assert.equal(reopened.status().files, 3);
    assert.match(reopened.search('walruses', 1)[0]?.text ?? '', /walruses/);
  });
});
