/**
 * The index store meets damaged, truncated, future-version and wrong-shape files: each is
 * reported clearly, the bad file is kept aside (never deleted), and nothing else is lost —
 * the other files stay searchable and only the files concerned are read again.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken } from '../../src/pipeline/cancellation';
import { FORMAT_VERSION } from '../../src/pipeline/indexing/store/manifest';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-damage-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const CLI = path.resolve(__dirname, '../../dist/cli.js');

let tokens = 0;
const token = () => new RequestToken(`damage-${++tokens}`);

/** A logger that keeps what the user would read in the log. */
function recorder(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, log: (level, message) => lines.push(`${level}: ${message}`) };
}

/** A store of three files, each indexed in its own run (so each has its own segment). */
async function threeFileStore(name: string): Promise<{ store: string; docs: string; files: { absPath: string; displayPath: string }[] }> {
  const docs = path.join(root, `${name}-docs`);
  const store = path.join(root, `${name}-store`);
  fs.mkdirSync(docs, { recursive: true });
  const words = { 'walrus.md': 'walruses', 'narwhal.md': 'narwhals', 'puffin.md': 'puffins' };
  const files = Object.entries(words).map(([file, word]) => {
    fs.writeFileSync(path.join(docs, file), `# ${word}\n\nThis note is about ${word} and nothing else.\n`);
    return { absPath: path.join(docs, file), displayPath: file };
  });
  const index = await WorkspaceIndex.open(store, { log: () => {} });
  for (const file of files) await index.indexFiles([file], token());
  await index.close();
  return { store, docs, files };
}

function segmentHolding(store: string, word: string): string {
  const name = fs.readdirSync(store).find((entry) => entry.startsWith('seg-') && entry.endsWith('.bin') && fs.readFileSync(path.join(store, entry)).includes(word));
  assert.ok(name, `no segment holds ${word}`);
  return name;
}

/** Every file in the folder with its bytes, to show that nothing was changed. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(
    fs
      .readdirSync(dir)
      .sort()
      .map((name) => [name, fs.readFileSync(path.join(dir, name)).toString('base64')]),
  );
}

describe('a damaged segment', () => {
  for (const [damage, spoil] of [
    ['one flipped byte (same size: only the checksum tells)', (bytes: Buffer) => {
      const copy = Buffer.from(bytes);
      const at = copy.indexOf('walruses');
      copy[at] ^= 0x20;
      return copy;
    }],
    ['truncated', (bytes: Buffer) => bytes.subarray(0, Math.floor(bytes.length / 2))],
    ['not a segment at all', (bytes: Buffer) => Buffer.alloc(bytes.length, 0x41)],
  ] as const) {
    test(`${damage}: its file is forgotten and read again, the bad file kept aside, the others kept`, async () => {
      const { store, files } = await threeFileStore(`segment-${damage.split(' ')[0]}`);
      const bad = segmentHolding(store, 'walruses');
      const original = fs.readFileSync(path.join(store, bad));
      const spoiled = spoil(original);
      fs.writeFileSync(path.join(store, bad), spoiled);

      const log = recorder();
      const index = await WorkspaceIndex.open(store, log);
      const message = log.lines.find((line) => line.includes(bad));
      assert.ok(message, `no message names ${bad}: ${log.lines.join(' | ')}`);
      assert.match(message, /^warn: .*damaged.*1 file\(s\) will be indexed again/);
      const aside = fs.readdirSync(store).find((name) => name.startsWith(`${bad}.corrupt-`));
      assert.ok(aside, 'the damaged segment was not kept aside');
      assert.deepEqual(fs.readFileSync(path.join(store, aside)), spoiled, 'the kept file is the damaged one, untouched');
      assert.equal(fs.existsSync(path.join(store, bad)), false);
      const problems = index.status().storeProblems ?? [];
      assert.equal(problems.length, 1, `one problem shown for one damaged part: ${problems.join(' | ')}`);
      assert.match(problems[0], new RegExp(`damaged.*1 file\\(s\\) will be indexed again \\(the damaged file was kept as ${aside}\\)`), 'Show Index Summary says it too, with where the file was kept');

      assert.equal(index.status().files, 2);
      assert.equal(index.search('walruses', 1).length, 0);
      assert.equal(index.search('narwhals', 1)[0]?.path, 'narwhal.md');
      assert.equal(index.search('puffins', 1)[0]?.path, 'puffin.md');
      const report = await index.indexFiles(files, token());
      assert.deepEqual([report.indexed, report.unchanged], [1, 2], 'only the lost file is read again');
      assert.equal(index.search('walruses', 1)[0]?.path, 'walrus.md');
      await index.close();

      const reopened = await WorkspaceIndex.open(store, log);
      assert.equal(reopened.status().files, 3);
    });
  }

  test('a read-only opener (the CLI searching) forgets the damaged file but changes nothing on disk', async () => {
    const { store } = await threeFileStore('segment-readonly');
    const bad = segmentHolding(store, 'narwhals');
    const file = path.join(store, bad);
    fs.writeFileSync(file, fs.readFileSync(file).subarray(0, 100));
    const before = snapshot(store);
    const log = recorder();
    const index = await WorkspaceIndex.open(store, log, undefined, { readOnly: true });
    assert.equal(index.search('narwhals', 1).length, 0);
    assert.equal(index.search('puffins', 1)[0]?.path, 'puffin.md');
    assert.ok(log.lines.some((line) => line.includes(bad) && line.includes('damaged')));
    assert.deepEqual(snapshot(store), before);
  });
});

describe('a broken manifest', () => {
  const broken: [string, (good: string) => string][] = [
    ['cut short', (good) => good.slice(0, good.length - 20)],
    ['not JSON at all', () => '\u0000\u0000garbage'],
    ['files of the wrong shape', (good) => JSON.stringify({ ...JSON.parse(good), files: 5 })],
    ['an entry whose size is a string', (good) => {
      const manifest = JSON.parse(good);
      manifest.files[0][1].size = 'big';
      return JSON.stringify(manifest);
    }],
    ['a segment record without its checksum', (good) => {
      const manifest = JSON.parse(good);
      delete manifest.segments[0].crc32;
      return JSON.stringify(manifest);
    }],
    ['an array instead of an object', () => '[1,2,3]'],
  ];
  for (const [what, spoil] of broken) {
    test(`${what}: start-up does not throw, the manifest is kept aside, the index starts empty and is rebuilt`, async () => {
      const { store, files } = await threeFileStore(`manifest-${what.split(' ').join('-')}`);
      const manifest = path.join(store, 'manifest.json');
      const spoiled = spoil(fs.readFileSync(manifest, 'utf8'));
      fs.writeFileSync(manifest, spoiled);
      fs.writeFileSync(path.join(store, 'chat-history.json'), '[]');

      const log = recorder();
      const index = await WorkspaceIndex.open(store, log);
      assert.equal(index.status().files, 0);
      const aside = fs.readdirSync(store).find((name) => name.startsWith('manifest.json.corrupt-'));
      assert.ok(aside, `the manifest was not kept aside: ${fs.readdirSync(store).join(', ')}`);
      assert.equal(fs.readFileSync(path.join(store, aside), 'utf8'), spoiled);
      assert.ok(
        log.lines.some((line) => /^warn: The saved index could not be read \(the index manifest is damaged/.test(line) && line.includes(aside)),
        log.lines.join(' | '),
      );
      const problems = index.status().storeProblems ?? [];
      assert.ok(problems.length === 1 && problems[0].includes(aside), `Show Index Summary names the kept manifest once: ${problems.join(' | ')}`);
      assert.equal(fs.readFileSync(path.join(store, 'chat-history.json'), 'utf8'), '[]', 'other files in the folder are left alone');

      const report = await index.indexFiles(files, token());
      assert.equal(report.indexed, 3);
      await index.close();
      const reopened = await WorkspaceIndex.open(store, log);
      assert.equal(reopened.search('narwhals', 1)[0]?.path, 'narwhal.md');
    });
  }
});

describe('a store from a newer version', () => {
  async function futureStore(name: string): Promise<{ store: string; files: { absPath: string; displayPath: string }[] }> {
    const made = await threeFileStore(name);
    const manifest = path.join(made.store, 'manifest.json');
    const future = { ...JSON.parse(fs.readFileSync(manifest, 'utf8')), version: FORMAT_VERSION + 1, somethingNew: { shape: 'unknown to us' } };
    fs.writeFileSync(manifest, JSON.stringify(future));
    // What a newer version might keep beside it, and a stray our own rules would remove.
    fs.writeFileSync(path.join(made.store, 'seg-12.bin'), 'a segment of the newer format');
    fs.writeFileSync(path.join(made.store, 'manifest.json.123.tmp'), 'left by a newer writer');
    const old = Date.now() / 1000 - 3600;
    fs.utimesSync(path.join(made.store, 'manifest.json.123.tmp'), old, old);
    return made;
  }

  test('is refused with both versions named, and nothing in it is deleted or overwritten', async () => {
    const { store, files } = await futureStore('future');
    const before = snapshot(store);
    const log = recorder();
    const index = await WorkspaceIndex.open(store, log);
    const expected = `This index was written by a newer Local RAG (format ${FORMAT_VERSION + 1}; this version reads up to ${FORMAT_VERSION})`;
    assert.ok(log.lines.some((line) => line.startsWith(`error: ${expected}`)), log.lines.join(' | '));
    assert.match(index.newerFormat ?? '', new RegExp(expected.replace(/[()]/g, '\\$&')));
    assert.equal(index.status().files, 0);
    assert.ok(index.status().storeProblems?.some((problem) => problem.startsWith(expected)), 'Show Index Summary names the newer format');
    await assert.rejects(index.indexFiles(files, token()), new RegExp(`written by a newer Local RAG \\(format ${FORMAT_VERSION + 1}`));
    await assert.rejects(index.removeFiles(['walrus.md']), /written by a newer Local RAG/);
    await index.close();
    assert.deepEqual(snapshot(store), before, 'the newer store was changed');
  });

  test('the CLI exits non-zero with that message and leaves the store as it was', { skip: !fs.existsSync(CLI) && 'run npm run build first' }, async () => {
    const { store } = await futureStore('future-cli');
    const before = snapshot(store);
    for (const args of [['search', 'narwhals'], ['index', path.join(root, 'future-cli-docs')]]) {
      const run = spawnSync(process.execPath, [CLI, ...args, '--store', store], { encoding: 'utf8' });
      assert.notEqual(run.status, 0, `${args[0]} succeeded on a newer store`);
      assert.match(run.stderr, new RegExp(`This index was written by a newer Local RAG \\(format ${FORMAT_VERSION + 1}; this version reads up to ${FORMAT_VERSION}\\)`));
    }
    assert.deepEqual(snapshot(store), before);
  });
});

describe('a store of format 3', () => {
  test('loads as it is and becomes the current format, with checksums, at the next save', async () => {
    const { store, docs } = await threeFileStore('v3');
    // Rewritten as format 3 wrote it: numbered segment files, a plain list of ids, no checksums.
    const manifestFile = path.join(store, 'manifest.json');
    const manifest = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    const ids = new Map<number, number>();
    manifest.segments.forEach((record: { id: number; file: string }, i: number) => {
      ids.set(record.id, i + 1);
      fs.renameSync(path.join(store, record.file), path.join(store, `seg-${i + 1}.bin`));
    });
    const files = manifest.files.map(([file, entry]: [string, { segment: number }]) => [file, { ...entry, segment: ids.get(entry.segment) ?? 0 }]);
    fs.writeFileSync(manifestFile, JSON.stringify({ version: 3, chunking: manifest.chunking, nextSegment: ids.size + 1, segments: [...ids.values()], files }));

    const index = await WorkspaceIndex.open(store, { log: () => {} });
    assert.equal(index.status().files, 3);
    assert.equal(index.search('puffins', 1)[0]?.path, 'puffin.md');
    fs.writeFileSync(path.join(docs, 'tern.md'), 'A fourth note, about terns.\n');
    await index.indexFiles([{ absPath: path.join(docs, 'tern.md'), displayPath: 'tern.md' }], token());
    await index.close();
    const saved = JSON.parse(fs.readFileSync(manifestFile, 'utf8'));
    assert.equal(saved.version, FORMAT_VERSION);
    assert.ok(saved.segments.every((record: { crc32?: number }) => Number.isInteger(record.crc32)));
    const reopened = await WorkspaceIndex.open(store, { log: () => {} });
    for (const word of ['walruses', 'narwhals', 'puffins', 'terns']) assert.equal(reopened.search(word, 1).length, 1, word);
  });
});

describe('readers', () => {
  test('a read-only open removes nothing: not temp files, not segments the manifest does not name yet', async () => {
    const { store } = await threeFileStore('reader');
    // What a writer in another process has on disk mid-save: a temp file, a segment not yet in the manifest.
    fs.writeFileSync(path.join(store, 'seg-v4-abcdef123.bin.4242-0a0b0c0d.tmp'), 'being written');
    fs.copyFileSync(path.join(store, segmentHolding(store, 'puffins')), path.join(store, 'seg-v4-fedcba987.bin'));
    const before = snapshot(store);
    const index = await WorkspaceIndex.open(store, { log: () => {} }, undefined, { readOnly: true });
    assert.equal(index.search('puffins', 1)[0]?.path, 'puffin.md');
    await index.close();
    assert.deepEqual(snapshot(store), before);
  });
});
