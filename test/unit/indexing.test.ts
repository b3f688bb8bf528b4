/**
 * Extraction, chunking, keyword search and the saved workspace index, on documents the
 * tests write. Real files, the real segment store.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fork } from 'node:child_process';
import { after, before, describe, test } from 'node:test';
import { RequestToken } from '../../src/pipeline/cancellation';
import { chunkDocument } from '../../src/pipeline/indexing/chunk';
import { decode, extractText } from '../../src/pipeline/indexing/extract/text';
import { foldTerm, hasAccents } from '../../src/pipeline/indexing/fold';
import { SegmentIndex } from '../../src/pipeline/indexing/store/segmentIndex';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { walkFolder } from '../../src/pipeline/indexing/walk';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';
import { withoutOverlaps } from '../../src/pipeline/retrieval/workspaceRetriever';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-indexing-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const quiet: Logger = { log: () => {} };

function write(relative: string, content: string | Buffer): string {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
  return file;
}

describe('accent folding', () => {
  test('folds Vietnamese, including đ, and NFD input', () => {
    assert.equal(foldTerm('Đường Hồ Chí Minh'), 'duong ho chi minh');
    assert.equal(foldTerm('tiếng Việt'.normalize('NFD')), 'tieng viet');
    assert.ok(hasAccents('bàn'));
    assert.ok(!hasAccents('ban'));
  });
});

describe('text extraction', () => {
  test('decodes UTF-8, UTF-16 with BOM and Windows-1252; refuses binary files', () => {
    assert.equal(decode(Buffer.from('héllo', 'utf8'), 'a.txt'), 'héllo');
    assert.equal(decode(Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('xin chào', 'utf16le')]), 'a.txt'), 'xin chào');
    assert.equal(decode(Buffer.from([0x63, 0x61, 0x66, 0xe9]), 'a.txt'), 'café');
    assert.throws(() => decode(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 1]), 'image.txt'), /image\.txt looks like a binary file/);
  });

  test('a file over the size limit is refused with its size', async () => {
    const file = write('big.txt', 'x'.repeat(2048));
    await assert.rejects(extractText(file, 'big.txt', 1024), /big\.txt is too large to index/);
  });
});

describe('chunking', () => {
  test('Markdown by headings, with the heading path and exact line ranges', () => {
    const markdown = ['# Guide', 'Intro line.', '', '## Install', 'Run npm ci.', '```', '# not a heading', '```', '## Use', 'Ask a question.'].join('\n');
    const chunks = chunkDocument({ path: 'guide.md', kind: 'markdown', units: [{ text: markdown }] });
    assert.deepEqual(
      chunks.map((c) => [c.heading, c.startLine, c.endLine]),
      [
        ['Guide', 1, 3],
        ['Guide › Install', 4, 8],
        ['Guide › Use', 9, 10],
      ],
    );
    assert.match(chunks[1].text, /# not a heading/);
  });

  test('code and text by lines, with overlap, every line covered', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i + 1} ${'x'.repeat(40)}`);
    const chunks = chunkDocument({ path: 'a.ts', kind: 'code', units: [{ text: lines.join('\n') }] }, { chunkSize: 500, overlap: 100 });
    assert.ok(chunks.length > 10);
    assert.equal(chunks[0].startLine, 1);
    assert.equal(chunks.at(-1)?.endLine, 200);
    for (let i = 1; i < chunks.length; i++) {
      assert.ok(chunks[i].startLine <= chunks[i - 1].endLine + 1, 'no line is skipped');
      assert.ok(chunks[i].startLine > chunks[i - 1].startLine, 'chunks move forward');
    }
    const chunk = chunks[3];
    assert.equal(chunk.text.split('\n')[0], lines[chunk.startLine - 1], 'the line range is where the text is');
  });

  test('PDF pages keep their page numbers; a huge single line is cut', () => {
    const chunks = chunkDocument({ path: 'a.pdf', kind: 'pdf', units: [{ text: 'one', page: 1 }, { text: 'two', page: 2 }] });
    assert.deepEqual(chunks.map((c) => c.page), [1, 2]);
    const minified = chunkDocument({ path: 'm.js', kind: 'code', units: [{ text: 'a'.repeat(10_000) }] }, { chunkSize: 1000, overlap: 0 });
    assert.ok(minified.every((c) => c.text.length <= 1000));
    assert.equal(new Set(minified.map((c) => c.id)).size, minified.length, 'chunk ids are unique');
  });
});

/** Keyword search over `chunks` (one file each), returning the paths found, best first. */
async function keywordSearch(chunks: Chunk[]): Promise<(query: string, k: number) => string[]> {
  const index = await SegmentIndex.open(undefined, quiet);
  await index.addFiles(chunks.map((chunk) => ({ path: chunk.path, facts: { size: 0, mtimeMs: 0, hash: '' }, chunks: [chunk] })));
  return (query, k) => index.keyword(query, k).map((hit) => index.chunk(hit.doc).path);
}

describe('keyword search', () => {
  const chunk = (name: string, text: string): Chunk => ({ id: `${name}#0`, path: name, text, startLine: 1, endLine: 1 });
  let query: (query: string, k: number) => string[];
  before(async () => {
    query = await keywordSearch([
      chunk('table', 'Cái bàn này làm bằng gỗ sồi.'),
      chunk('sell', 'Cửa hàng bán rau mỗi sáng.'),
      chunk('friend', 'Bạn của tôi sống ở Đà Nẵng.'),
      chunk('cancel', 'The Stop button cancels the pipeline token.'),
      chunk('history', 'Die Geschichte der Universität beginnt im Mittelalter.'),
    ]);
  });

  test('exact terms find their chunk', () => {
    assert.equal(query('pipeline token', 3)[0], 'cancel');
  });

  test('an unaccented query finds accented text', () => {
    assert.equal(query('Da Nang', 3)[0], 'friend');
    assert.deepEqual(new Set(query('ban', 5)), new Set(['table', 'sell', 'friend']));
    assert.equal(query('Universitat', 3)[0], 'history');
  });

  test('an accented query ranks the exact accent first', () => {
    assert.equal(query('bàn', 3)[0], 'table');
    assert.equal(query('bán', 3)[0], 'sell');
    assert.equal(query('bạn', 3)[0], 'friend');
  });

  test('longer words match by prefix and by one edit; short words only exactly', () => {
    assert.equal(query('Geschichtes', 3)[0], 'history', 'one edit');
    assert.equal(query('Mittel', 3)[0], 'history', 'prefix');
    assert.deepEqual(query('bu', 3), [], 'no prefix match for a short word');
  });

  test('decomposed (NFD) text and queries match', async () => {
    const nfd = await keywordSearch([chunk('nfd', 'Tiếng Việt'.normalize('NFD'))]);
    assert.equal(nfd('tiếng', 1)[0], 'nfd');
    assert.equal(nfd('tieng', 1)[0], 'nfd');
    assert.equal(nfd('tiếng'.normalize('NFD'), 1)[0], 'nfd');
  });
});

describe('workspace index', () => {
  const store = path.join(root, 'store');
  const docs = path.join(root, 'docs');
  const ref = (name: string) => ({ absPath: path.join(docs, name), displayPath: name });
  const token = () => new RequestToken('test');

  test('indexes a folder, honouring .gitignore and skipping dependency folders', async () => {
    write('docs/a.md', '# Alpha\nThe alpha document talks about zebras.\n');
    write('docs/b.txt', 'Beta text about giraffes.\n');
    write('docs/src/c.ts', 'export const answer = 42; // the quokka constant\n');
    write('docs/node_modules/dep/readme.md', '# dependency\nhippopotamus\n');
    write('docs/secret/notes.md', 'ignored platypus\n');
    write('docs/.gitignore', 'secret/\n');
    write('docs/image.png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const files = await walkFolder(docs);
    assert.deepEqual(files.map((f) => f.displayPath), ['a.md', 'b.txt', 'src/c.ts']);

    const index = await WorkspaceIndex.open(store, quiet);
    const report = await index.indexFiles(files, token());
    assert.deepEqual(report, { indexed: 3, unchanged: 0, failed: [], cancelled: false });
    const hit = index.search('quokka', 1)[0];
    assert.equal(hit.path, 'src/c.ts');
    assert.equal(hit.startLine, 1);
  });

  test('after a restart, unchanged files are not read again; an edited file is re-indexed', async () => {
    const reopened = await WorkspaceIndex.open(store, quiet);
    assert.equal(reopened.search('zebras', 1)[0]?.path, 'a.md', 'the saved index loads');
    const again = await reopened.indexFiles(await walkFolder(docs), token());
    assert.equal(again.unchanged, 3);
    assert.equal(again.indexed, 0);

    write('docs/a.md', '# Alpha\nNow the alpha document is about penguins.\n');
    const edited = await reopened.indexFiles([ref('a.md')], token());
    assert.equal(edited.indexed, 1);
    assert.equal(reopened.search('zebras', 3).length, 0, 'the old text is gone');
    assert.equal(reopened.search('penguins', 1)[0]?.path, 'a.md');
  });

  test('deleted and renamed files', async () => {
    const index = await WorkspaceIndex.open(store, quiet);
    fs.renameSync(path.join(docs, 'b.txt'), path.join(docs, 'renamed.txt'));
    await index.removeFiles(['b.txt']);
    await index.indexFiles([ref('renamed.txt')], token());
    assert.equal(index.search('giraffes', 3).map((h) => h.path).join(), 'renamed.txt');
    assert.equal(index.status().files, 3);
  });

  test('a failing file is one file’s error, remembered with its reason', async () => {
    write('docs/blob.txt', Buffer.from([0, 1, 2, 3, 0, 0, 7]));
    const index = await WorkspaceIndex.open(store, quiet);
    const report = await index.indexFiles([ref('blob.txt'), ref('a.md')], token());
    assert.equal(report.failed.length, 1);
    assert.equal(report.failed[0].reason, 'binary');
    assert.match(report.failed[0].message, /blob\.txt/);
    assert.deepEqual(index.status().failures.map((f) => f.path), ['blob.txt']);
  });

  test('Cancel stops between files and keeps what was indexed', async () => {
    const many = Array.from({ length: 30 }, (_, i) => write(`docs/many/${i}.md`, `# Doc ${i}\nkeyword${i}\n`));
    const index = await WorkspaceIndex.open(store, quiet);
    const before = index.status().files;
    const cancel = token();
    const report = await index.indexFiles(
      many.map((absPath) => ({ absPath, displayPath: path.relative(docs, absPath) })),
      cancel,
      ({ done }) => {
        if (done === 10) cancel.cancel();
      },
    );
    assert.equal(report.cancelled, true);
    assert.equal(report.indexed, 10);
    assert.equal(index.status().files, before + 10, 'counted as the run answers, before the background save');
    await index.close();
    assert.equal(index.search('keyword3', 1)[0]?.path, 'many/3.md', 'indexed before Cancel: searchable');
    const reopened = await WorkspaceIndex.open(store, quiet);
    assert.equal(reopened.search('keyword3', 1)[0]?.path, 'many/3.md', 'indexed before Cancel: saved and searchable');
    assert.ok(!reopened.search('keyword20', 30).some((hit) => hit.path === 'many/20.md'), 'not indexed after Cancel');
  });

  test('a new chunk size cuts every file again on the next run; the old chunks serve until then', async () => {
    const store = path.join(root, 'chunking-store');
    const file = write('chunking/long.md', Array.from({ length: 60 }, (_, i) => `Line ${i} about the albatross colony.`).join('\n'));
    const files = [{ absPath: file, displayPath: 'long.md' }];
    const first = await WorkspaceIndex.open(store, quiet, { chunkSize: 1200, overlap: 200 });
    await first.indexFiles(files, token());
    const before = first.status().chunks;
    await first.close();

    const reopened = await WorkspaceIndex.open(store, quiet, { chunkSize: 300, overlap: 0 });
    assert.equal(reopened.status().chunks, before, 'old chunks still there');
    assert.equal(reopened.search('albatross', 1)[0]?.path, 'long.md');
    const report = await reopened.indexFiles(files, token());
    assert.equal(report.indexed, 1, 'the unchanged file was cut again');
    assert.ok(reopened.status().chunks > before * 2, `${reopened.status().chunks} chunks of 300 characters vs ${before} of 1200`);
    assert.equal(await reopened.setChunkOptions({ chunkSize: 300, overlap: 0 }), false, 'the same options change nothing');
  });

  test('a truncated manifest loads as an empty index instead of failing', async () => {
    const broken = path.join(root, 'broken-store');
    fs.mkdirSync(broken, { recursive: true });
    fs.writeFileSync(path.join(broken, 'manifest.json'), '{"version":3,"nextSegment":2,"segments":[1],"files":[["a.md",{"size"');
    const index = await WorkspaceIndex.open(broken, quiet);
    assert.equal(index.status().chunks, 0);
  });

  test('a damaged segment costs only its own files, which are read again', async () => {
    const store = path.join(root, 'damaged-store');
    write('damaged/one.md', 'The first file mentions walruses.\n');
    write('damaged/two.md', 'The second file mentions narwhals.\n');
    const files = ['one.md', 'two.md'].map((name) => ({ absPath: path.join(root, 'damaged', name), displayPath: name }));
    const index = await WorkspaceIndex.open(store, quiet);
    await index.indexFiles(files.slice(0, 1), token());
    await index.indexFiles(files.slice(1), token());
    const segments = fs.readdirSync(store).filter((name) => name.startsWith('seg-')).sort();
    assert.equal(segments.length, 2, 'one segment per indexing run');
    // Segment names are random: the one holding one.md is found by its text.
    const damaged = path.join(store, segments.find((name) => fs.readFileSync(path.join(store, name)).includes('walruses'))!);
    fs.writeFileSync(damaged, fs.readFileSync(damaged).subarray(0, 40));
    const reopened = await WorkspaceIndex.open(store, quiet);
    assert.equal(reopened.search('narwhals', 1)[0]?.path, 'two.md');
    assert.equal(reopened.status().files, 1);
    const report = await reopened.indexFiles(files, token());
    assert.deepEqual([report.indexed, report.unchanged], [1, 1], 'the lost file is read again, the other is not');
    assert.equal(reopened.search('walruses', 1)[0]?.path, 'one.md');
  });

  test('many small changes are merged into few segments and stay searchable after a restart', async () => {
    const store = path.join(root, 'merge-store');
    const index = await WorkspaceIndex.open(store, quiet);
    for (let i = 0; i < 20; i++) {
      write(`merge/${i}.md`, `Note ${i} about the topic tern${i}.\n`);
      await index.indexFiles([{ absPath: path.join(root, 'merge', `${i}.md`), displayPath: `${i}.md` }], token());
    }
    write('merge/3.md', 'Note 3 now talks about puffins.\n');
    await index.indexFiles([{ absPath: path.join(root, 'merge', '3.md'), displayPath: '3.md' }], token());
    await index.removeFiles(['4.md']);
    const segments = fs.readdirSync(store).filter((name) => name.startsWith('seg-'));
    assert.ok(segments.length < 8, `${segments.length} segment files`);
    const reopened = await WorkspaceIndex.open(store, quiet);
    assert.equal(reopened.status().files, 19);
    assert.equal(reopened.status().chunks, 19);
    for (const i of [0, 7, 19]) assert.equal(reopened.search(`tern${i}`, 1)[0]?.path, `${i}.md`);
    assert.equal(reopened.search('puffins', 1)[0]?.path, '3.md');
    assert.equal(reopened.search('tern3', 5).length, 0, 'the old text of an edited file is gone');
    assert.equal(reopened.search('tern4', 5).length, 0, 'a removed file is gone');
  });
});

describe('sources', () => {
  test('overlapping chunks of one file are cited once, the best kept', () => {
    const hits = [
      { path: 'a.md', startLine: 10, endLine: 20, score: 3 },
      { path: 'a.md', startLine: 18, endLine: 30, score: 2 },
      { path: 'b.md', startLine: 18, endLine: 30, score: 2 },
      { path: 'a.md', startLine: 31, endLine: 40, score: 1 },
    ];
    assert.deepEqual(
      withoutOverlaps(hits, 5).map((h) => `${h.path}:${h.startLine}`),
      ['a.md:10', 'b.md:18', 'a.md:31'],
    );
    assert.equal(withoutOverlaps(hits, 2).length, 2);
  });
});

describe('a kill during a write', () => {
  test('the pipeline killed while saving leaves an index that loads', async () => {
    const docs = path.join(root, 'kill-docs');
    for (let i = 0; i < 400; i++) write(`kill-docs/${i}.md`, `# Document ${i}\n${`lorem ipsum dolor sit amet ${i} `.repeat(60)}\n`);
    const store = path.join(root, 'kill-store');
    for (let attempt = 0; attempt < 5; attempt++) {
      const child = fork(path.join(__dirname, '../support/indexWriter.ts'), [store, docs], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
      await new Promise((resolve) => child.once('message', resolve));
      await new Promise((resolve) => setTimeout(resolve, 100 + attempt * 137));
      child.kill('SIGKILL');
      await new Promise((resolve) => child.once('exit', resolve));
      // Whatever the moment of the kill, the last completed save loads whole: never a lost index.
      const index = await WorkspaceIndex.open(store, quiet);
      assert.ok(index.status().files >= 350, `attempt ${attempt}: ${index.status().files} files survived`);
      assert.equal(index.search('lorem ipsum', 1).length, 1);
    }
  });
});
