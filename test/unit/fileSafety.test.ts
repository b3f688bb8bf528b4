/**
 * Files that are not files, and links out of the folder: a workspace holding a symlink to
 * /dev/zero, a FIFO, a link to / and one to /etc/passwd under documents' names, read
 * through the real walk, the real WorkspaceIndex (as the host and the watcher send files),
 * the attachment reader and the built CLI (dist/cli.js: `npm run build` first).
 *
 * On the code before safeRead each of these hung or grew without bound, so every read runs
 * under a deadline: a hang fails the test instead of hanging the suite.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { RequestToken, CancelledError } from '../../src/pipeline/cancellation';
import { extractPdf, shutdownPdfWorkers } from '../../src/pipeline/indexing/extract/pdf';
import { hashRegularFile, readRegularFile } from '../../src/pipeline/indexing/extract/safeRead';
import { extractText } from '../../src/pipeline/indexing/extract/text';
import { ExtractionError } from '../../src/pipeline/indexing/types';
import { walkFolderReport } from '../../src/pipeline/indexing/walk';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';
import type { FileRef } from '../../src/protocol/indexing';

const CLI = path.resolve(__dirname, '../../dist/cli.js');
const run = promisify(execFile);
const quiet: Logger = { log: () => {} };
/** Longer than any of these reads takes when bounded; far shorter than reading /dev/zero for ever. */
const DEADLINE_MS = 15_000;

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-file-safety-'));
const workspace = path.join(root, 'workspace');
const docs = path.join(workspace, 'docs');
const outside = path.join(root, 'outside');

before(() => {
  process.env.LOCAL_RAG_PDF_WORKER ??= path.resolve(__dirname, '../../dist/pdfWorker.mjs');
  fs.mkdirSync(docs, { recursive: true });
  fs.mkdirSync(outside, { recursive: true });
  fs.writeFileSync(path.join(docs, 'real.md'), '# Real\n\nThe lighthouse keeper counts albatrosses.\n');
  fs.writeFileSync(path.join(outside, 'secret.md'), '# Secret\n\nThe vault code is zanzibar.\n');
  fs.symlinkSync('/dev/zero', path.join(docs, 'zero.md'));
  fs.symlinkSync('/dev/zero', path.join(docs, 'zero.pdf'));
  execFileSync('mkfifo', [path.join(docs, 'pipe.md')]);
  execFileSync('mkfifo', [path.join(docs, 'pipe.pdf')]);
  fs.symlinkSync('/', path.join(docs, 'root'));
  fs.symlinkSync('/etc/passwd', path.join(docs, 'passwd.md'));
  fs.symlinkSync(outside, path.join(docs, 'elsewhere'));
  // Inside the folder: followed (the file is indexed under the link's name).
  fs.symlinkSync('real.md', path.join(docs, 'alias.md'));
  // A link to an ancestor: walked once, not for ever.
  fs.symlinkSync('..', path.join(docs, 'loop'));
});

after(async () => {
  await shutdownPdfWorkers();
  fs.rmSync(root, { recursive: true, force: true });
});

/** `work`, or a failure naming `what` when it is still running at the deadline. */
async function within<T>(what: string, work: Promise<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

const ref = (name: string): FileRef => ({ absPath: path.join(docs, name), displayPath: `docs/${name}` });

describe('a walk of the folder (the CLI) never leaves it', () => {
  test('links out of the folder (to /, /etc/passwd, /dev/zero, another folder) are skipped with why; a link inside is followed', async () => {
    const result = await within('walkFolderReport', walkFolderReport(workspace));
    assert.deepEqual(
      result.files.map((file) => file.displayPath),
      ['docs/alias.md', 'docs/real.md'],
      'only the files whose real path is inside the folder',
    );
    assert.ok(result.files.every((file) => !file.absPath.startsWith('/etc') && fs.realpathSync(file.absPath).startsWith(fs.realpathSync(workspace))));
    const skipped = Object.fromEntries(result.skipped.map((skip) => [skip.path, skip.reason]));
    assert.deepEqual(skipped, {
      'docs/elsewhere/': 'outsideWorkspace',
      'docs/passwd.md': 'outsideWorkspace',
      'docs/pipe.md': 'notAFile',
      'docs/pipe.pdf': 'notAFile',
      'docs/root/': 'outsideWorkspace',
      'docs/zero.md': 'outsideWorkspace',
      'docs/zero.pdf': 'outsideWorkspace',
    });
    assert.match(result.skipped.find((skip) => skip.path === 'docs/passwd.md')!.message, /links outside the folder being indexed \(to \/etc\/passwd\)/);
  });

  test('a cap on files per run: the rest are listed as left out', async () => {
    const result = await walkFolderReport(workspace, { maxFiles: 1 });
    assert.deepEqual(result.files.map((file) => file.displayPath), ['docs/alias.md']);
    assert.deepEqual(result.leftOut.map((file) => file.displayPath), ['docs/real.md']);
  });
});

describe('files that are not files, sent straight to the index (the host, the watcher, Index This File)', () => {
  test('a link to /dev/zero, a FIFO, as .md and .pdf: refused as not a regular file, at once and in bounded memory; the real file is indexed', async () => {
    const index = await WorkspaceIndex.open(undefined, quiet);
    const files = ['zero.md', 'zero.pdf', 'pipe.md', 'pipe.pdf', 'real.md'].map(ref);
    const rssBefore = process.memoryUsage.rss();
    const report = await within('indexFiles', index.indexFiles(files, new RequestToken('index')));
    const grown = process.memoryUsage.rss() - rssBefore;
    assert.ok(grown < 64 * 1024 * 1024, `memory grew ${Math.round(grown / 1048576)} MB`);
    assert.equal(report.indexed, 1, JSON.stringify(report));
    assert.deepEqual(
      report.failed.map((failure) => [failure.path, failure.reason]),
      [
        ['docs/zero.md', 'notAFile'],
        ['docs/zero.pdf', 'notAFile'],
        ['docs/pipe.md', 'notAFile'],
        ['docs/pipe.pdf', 'notAFile'],
      ],
    );
    assert.match(report.failed[2].message, /docs\/pipe\.md is a named pipe \(FIFO\), not a regular file/);
    assert.match(report.failed[0].message, /docs\/zero\.md is a device, not a regular file/);
    assert.deepEqual(index.status().failures.map((failure) => failure.reason), ['notAFile', 'notAFile', 'notAFile', 'notAFile'], 'listed in the index summary');
    assert.equal(index.search('albatrosses', 1)[0]?.path, 'docs/real.md');
  });

  test('the reader itself (not only the index) refuses a FIFO and a link to a device at once', async () => {
    const options = { maxBytes: 1024, tooLarge: () => new ExtractionError('too large', 'tooLarge') };
    for (const name of ['pipe.md', 'zero.md']) {
      await assert.rejects(within(name, readRegularFile(path.join(docs, name), name, options)), (error: ExtractionError) => error.reason === 'notAFile');
    }
  });

  test('a regular file over the limit is refused from the open handle’s size, before it is read', async () => {
    const big = path.join(root, 'big.txt');
    fs.writeFileSync(big, 'x'.repeat(10_000));
    await assert.rejects(
      readRegularFile(big, 'big.txt', { maxBytes: 4096, tooLarge: (size) => new ExtractionError(`size ${size}`, 'tooLarge') }),
      /size 10000/,
      'refused from the open handle\'s size, before reading',
    );
  });

  test('a PDF being hashed stops on cancel, between reads', async () => {
    const large = path.join(root, 'large.pdf');
    // 90 MB (sparse): under the PDF limit, many reads long.
    fs.closeSync(fs.openSync(large, 'w'));
    fs.truncateSync(large, 90 * 1024 * 1024);
    const token = new RequestToken('hash');
    const hashing = hashRegularFile(large, 'large.pdf', { maxBytes: 100 * 1024 * 1024, tooLarge: () => new ExtractionError('x', 'tooLarge'), token });
    setImmediate(() => token.cancel());
    await assert.rejects(within('hash', hashing), CancelledError);

    // The same through the index: Cancel stops the run while the PDF is read.
    const index = await WorkspaceIndex.open(undefined, quiet);
    const indexToken = new RequestToken('index');
    const indexing = index.indexFiles([{ absPath: large, displayPath: 'large.pdf' }], indexToken);
    setImmediate(() => indexToken.cancel());
    const report = await within('indexFiles', indexing);
    assert.equal(report.cancelled, true);
  });
});

describe('attachments (Ask About This File, Attach, local-rag ask --attach)', () => {
  test('the attachment reader refuses a link to /dev/zero and a FIFO at once', async () => {
    const token = new RequestToken('attach');
    for (const name of ['zero.md', 'pipe.md']) {
      await assert.rejects(
        within(name, extractText(path.join(docs, name), name, undefined, token)),
        (error: ExtractionError) => error.reason === 'notAFile' && /not a regular file/.test(error.message),
      );
    }
  });
});

describe('attached PDFs (read in the PDF worker)', () => {
  test('a FIFO or a link to /dev/zero named .pdf is refused before the worker would wait on it or read it without end', async () => {
    for (const name of ['pipe.pdf', 'zero.pdf']) {
      await assert.rejects(
        within(name, extractPdf(path.join(docs, name), name, new RequestToken('attach'))),
        (error: ExtractionError) => error.reason === 'notAFile',
      );
    }
  });
});

describe('local-rag (dist/cli.js)', () => {
  test('index lists links out of the folder and pipes as skipped, indexes the rest, never reads /etc/passwd', async () => {
    const store = path.join(root, 'store');
    const { stdout } = await run('node', [CLI, 'index', workspace, '--store', store, '--json'], { timeout: DEADLINE_MS });
    const report = JSON.parse(stdout) as { indexed: number; skipped: { path: string; reason: string }[]; leftOut: string[] };
    assert.equal(report.indexed, 2);
    assert.ok(report.skipped.some((skip) => skip.path === 'docs/passwd.md' && skip.reason === 'outsideWorkspace'));
    assert.ok(report.skipped.some((skip) => skip.path === 'docs/root/' && skip.reason === 'outsideWorkspace'));
    const search = await run('node', [CLI, 'search', 'root', '--store', store, '--json'], { timeout: DEADLINE_MS });
    assert.ok(!/\/bin\/(ba)?sh/.test(search.stdout), 'nothing of /etc/passwd is in the index');
    const text = await run('node', [CLI, 'index', workspace, '--store', path.join(root, 'store-text')], { timeout: DEADLINE_MS });
    assert.match(text.stdout, /docs\/passwd\.md: docs\/passwd\.md links outside the folder being indexed/);
  });

  test('--max-files caps the run and says which files were left and how to raise it', async () => {
    const { stdout, stderr } = await run('node', [CLI, 'index', workspace, '--store', path.join(root, 'store-cap'), '--json', '--max-files', '1'], {
      timeout: DEADLINE_MS,
    });
    const report = JSON.parse(stdout) as { indexed: number; leftOut: string[] };
    assert.equal(report.indexed, 1);
    assert.deepEqual(report.leftOut, ['docs/real.md']);
    assert.match(stderr, /1 more files were not indexed: the limit is 1 files per run \(docs\/real\.md\)\. Run again with --max-files 2/);
  });

  test('ask --attach of a FIFO or a link to /dev/zero ends at once with a clear error', async () => {
    for (const name of ['pipe.md', 'zero.md']) {
      const outcome = await run('node', [CLI, 'ask', 'What is in it?', '--attach', path.join(docs, name), '--store', path.join(root, 'attach-store')], {
        timeout: DEADLINE_MS,
      }).then(
        () => ({ code: 0, stderr: '', killed: false }),
        (error: { code?: number; stderr?: string; killed?: boolean }) => ({ code: error.code, stderr: error.stderr ?? '', killed: error.killed }),
      );
      assert.equal(outcome.killed, false, `${name}: ended before the deadline`);
      assert.equal(outcome.code, 1, outcome.stderr);
      assert.match(outcome.stderr, new RegExp(`${name.replace('.', '\\.')} is (a named pipe \\(FIFO\\)|a device), not a regular file`));
    }
  });
});
