/**
 * Several processes on one index store, as with two VS Code windows on one folder or the
 * CLI beside the extension: real writer processes (the real WorkspaceIndex, forked) and a
 * reader loop, repeated. Every file a writer reported indexed is there afterwards, every
 * file it removed is gone, no search fails, nothing is reported damaged.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken } from '../../src/pipeline/cancellation';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';
import { markerOf, type WriterRound } from '../support/storeWriter';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-concurrency-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));
const CLI = path.resolve(__dirname, '../../dist/cli.js');

interface Writer {
  child: ChildProcess;
  rounds: WriterRound[];
  done: Promise<void>;
}

function startWriter(store: string, docs: string, name: string, rounds: number, perRound: number, pauseMs = 0): Writer {
  const child = fork(path.join(__dirname, '../support/storeWriter.ts'), [store, docs, name, String(rounds), String(perRound), String(pauseMs)], {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (data) => (stderr += data));
  const writer: Writer = { child, rounds: [], done: Promise.resolve() };
  writer.done = new Promise((resolve, reject) => {
    child.on('message', (message) => {
      if (message === 'done') resolve();
      else if (typeof message === 'object' && message && 'fatal' in message) reject(new Error(`writer ${name}: ${(message as { fatal: string }).fatal}`));
      else writer.rounds.push(message as WriterRound);
    });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`writer ${name} exited with ${code}: ${stderr}`))));
  });
  return writer;
}

/** A logger that fails the test on any warning: racing writers must never look like damage. */
function strictLogger(problems: string[]): Logger {
  return { log: (level, message) => level !== 'info' && level !== 'trace' && problems.push(`${level}: ${message}`) };
}

/** What the writers' reports say must be in the index now, and what must not. */
function expected(writers: { rounds: WriterRound[] }[]): { present: Set<string>; removed: Set<string> } {
  const present = new Set<string>();
  const removed = new Set<string>();
  for (const round of writers.flatMap((writer) => writer.rounds)) {
    round.indexed.forEach((file) => present.add(file));
    round.removed.forEach((file) => {
      present.delete(file);
      removed.add(file);
    });
  }
  return { present, removed };
}

function assertHolds(index: WorkspaceIndex, present: Set<string>, removed: Set<string>, who: string): void {
  const missing = [...present].filter((file) => index.search(markerOf(file), 3)[0]?.path !== file);
  assert.deepEqual(missing, [], `${who}: files reported indexed are missing`);
  const back = [...removed].filter((file) => index.search(markerOf(file), 3).some((hit) => hit.path === file));
  assert.deepEqual(back, [], `${who}: removed files came back`);
}

function leftovers(store: string): string[] {
  return fs.readdirSync(store).filter((name) => name.endsWith('.tmp') || name.includes('.corrupt-'));
}

describe('two writer processes and readers on one store', () => {
  for (let repeat = 0; repeat < 3; repeat++) {
    test(`round ${repeat + 1}: nothing a writer reported is lost, no search fails`, async () => {
      const store = path.join(root, `store-${repeat}`);
      const docs = path.join(root, `docs-${repeat}`);
      const writers = [startWriter(store, docs, `a${repeat}`, 8, 4), startWriter(store, docs, `b${repeat}`, 8, 4)];
      let finished = false;
      const allDone = Promise.all(writers.map((writer) => writer.done)).finally(() => (finished = true));

      const readerProblems: string[] = [];
      const searchErrors: string[] = [];
      // One long-lived reader (a window that only searches) and fresh opens (the CLI's searches).
      const window = await WorkspaceIndex.open(store, strictLogger(readerProblems), undefined, { readOnly: true });
      let searches = 0;
      while (!finished) {
        try {
          await window.refresh();
          window.search('lighthouse harbour', 10);
          const reported = [...expected(writers).present];
          if (reported.length) window.search(markerOf(reported[searches % reported.length]), 3);
          if (searches % 4 === 0) {
            const fresh = await WorkspaceIndex.open(store, strictLogger(readerProblems), undefined, { readOnly: true });
            fresh.search('tide', 5);
          }
          searches++;
        } catch (error) {
          searchErrors.push(String(error));
        }
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      await allDone;

      assert.deepEqual(searchErrors, []);
      assert.deepEqual(readerProblems, [], 'a reader saw damage that was only another process writing');
      assert.deepEqual(writers.flatMap((writer) => writer.rounds.flatMap((round) => round.problems)), [], 'a writer logged a problem');
      assert.ok(searches > 10, `only ${searches} searches ran beside the writers`);
      const { present, removed } = expected(writers);
      assert.equal(present.size, 2 * (8 * 4 - 2));
      const reopened = await WorkspaceIndex.open(store, strictLogger(readerProblems));
      assertHolds(reopened, present, removed, 'a fresh open');
      assert.equal(reopened.status().files, present.size);
      // The long-lived reader follows the disk as a second window must.
      await window.refresh();
      assertHolds(window, present, removed, 'the long-lived reader');
      assert.deepEqual(leftovers(store), []);
    });
  }
});

/** Runs the built CLI; resolves with its exit code and output. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => (stderr += data));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the CLI beside a writer', () => {
  test('`local-rag index` and `search` on the store a writer process is saving: both sets of files kept, every search answers', { skip: !fs.existsSync(CLI) && 'run npm run build first' }, async () => {
    const store = path.join(root, 'cli-store');
    const writerDocs = path.join(root, 'cli-writer-docs');
    const cliDocs = path.join(root, 'cli-docs');
    fs.mkdirSync(cliDocs, { recursive: true });
    // The writer outlives the CLI's runs, so its saves come after them: a writer that kept
    // only its own view would drop the CLI's files.
    const writer = startWriter(store, writerDocs, 'w', 1000, 2, 150);
    let finished = false;
    const writerDone = writer.done.finally(() => (finished = true));

    const cliFiles: string[] = [];
    const failures: string[] = [];
    let searches = 0;
    for (let run = 0; run < 3; run++) {
      for (let i = 0; i < 3; i++) {
        const name = `cli-${run}-${i}.md`;
        fs.writeFileSync(path.join(cliDocs, name), `The CLI wrote ${markerOf(name)} beside the lighthouse.\n`);
        cliFiles.push(name);
      }
      const indexed = await cli(['index', cliDocs, '--store', store, '--json']);
      if (indexed.code !== 0) failures.push(`index exited ${indexed.code}: ${indexed.stderr}`);
      for (let i = 0; i < 2; i++) {
        const searched = await cli(['search', 'lighthouse', '--store', store, '--json', '--k', '20']);
        searches++;
        if (searched.code !== 0 || searched.stderr.trim()) failures.push(`search exited ${searched.code}: ${searched.stderr}`);
        else JSON.parse(searched.stdout);
      }
    }
    assert.equal(finished, false, 'the writer ended before the CLI: the test proves nothing');
    writer.child.send('stop');
    await writerDone;
    assert.deepEqual(failures, []);
    assert.ok(searches >= 4);
    const { present, removed } = expected([writer]);
    for (const file of cliFiles) present.add(file);
    const reopened = await WorkspaceIndex.open(store, { log: () => {} });
    assertHolds(reopened, present, removed, 'after the CLI and the writer');
    const found = await cli(['search', markerOf(cliFiles[0]), '--store', store, '--json', '--k', '1']);
    assert.equal(JSON.parse(found.stdout)[0]?.path, cliFiles[0]);
    assert.deepEqual(leftovers(store), []);
  });
});

describe('a writer that finds the store locked', () => {
  test('says it waits, can be cancelled at once, and saves what it indexed once the lock is free', async () => {
    const store = path.join(root, 'locked-store');
    const docs = path.join(root, 'locked-docs');
    fs.mkdirSync(docs, { recursive: true });
    const files = ['gannet.md', 'kittiwake.md'].map((name) => {
      fs.writeFileSync(path.join(docs, name), `A note on ${markerOf(name)}.\n`);
      return { absPath: path.join(docs, name), displayPath: name };
    });
    const index = await WorkspaceIndex.open(store, { log: () => {} });
    fs.mkdirSync(store, { recursive: true });
    // Another process (a second window) is saving: it holds the store's lock.
    const holder = fork(path.join(__dirname, '../support/lockHolder.ts'), [path.join(store, 'store.lock')], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
    try {
      await new Promise((resolve) => holder.once('message', resolve));
      const token = new RequestToken('locked');
      let waiting = false;
      const run = index.indexFiles(files, token, (progress) => {
        if (!progress.waitingForStore || waiting) return;
        waiting = true;
        setTimeout(() => token.cancel(), 200);
      });
      const report = await run;
      assert.ok(waiting, 'no progress said the run waits for another window');
      assert.equal(report.cancelled, true);
      assert.equal(report.indexed, 2);
      // Not saved yet, but not lost: searchable here, and saved once the other process is done.
      for (const file of files) assert.equal(index.search(markerOf(file.displayPath), 1)[0]?.path, file.displayPath);
      assert.equal(fs.existsSync(path.join(store, 'manifest.json')), false);
      holder.send('release');
      await index.close();
      const reopened = await WorkspaceIndex.open(store, { log: () => {} });
      for (const file of files) assert.equal(reopened.search(markerOf(file.displayPath), 1)[0]?.path, file.displayPath);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});
