/** The `local-rag` command line (dist/cli.js), as a user runs it from a terminal. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { ensureTinyGguf } from '../fixtures/tinyGguf';
import { SAMPLE_QUESTIONS, writeSampleDocs } from '../support/pipelineHarness';

const CLI = path.resolve(__dirname, '../../dist/cli.js');
const run = promisify(execFile);
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-cli-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function write(relative: string, content: string): void {
  const file = path.join(root, relative);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, content);
}

describe('local-rag CLI', () => {
  const store = path.join(root, 'store');

  test('index, then search --json returns the passages best first with their places', async () => {
    write('docs/guide.md', '# Hướng dẫn\nNhấn nút Dừng để dừng câu trả lời.\n\n## Cancel\nThe Stop button cancels the pipeline token.\n');
    write('docs/notes.txt', 'Unrelated notes about gardening.\n');
    const indexed = await run('node', [CLI, 'index', path.join(root, 'docs'), '--store', store, '--json']);
    const report = JSON.parse(indexed.stdout) as { indexed: number; files: number; chunks: number };
    assert.equal(report.indexed, 2);
    assert.equal(report.files, 2);

    const { stdout } = await run('node', [CLI, 'search', 'dung', '--store', store, '--json', '--k', '3']);
    const hits = JSON.parse(stdout) as { path: string; score: number; startLine: number; endLine: number; heading?: string; text: string }[];
    assert.equal(hits[0].path, 'guide.md');
    assert.deepEqual([hits[0].startLine, hits[0].endLine, hits[0].heading], [1, 3, 'Hướng dẫn']);
    assert.match(hits[0].text, /Dừng/);
    for (let i = 1; i < hits.length; i++) assert.ok(hits[i - 1].score >= hits[i].score, 'best first');
  });

  test('ask streams the answer to stdout, phases to stderr; Ctrl+C stops it with exit code 130', async () => {
    // Documents that hold the question's key words, so the model answers (with nothing relevant the answer is instant).
    const askStore = path.join(root, 'ask-store');
    writeSampleDocs(path.join(root, 'sample-docs'));
    const indexed = await run('node', [CLI, 'index', path.join(root, 'sample-docs'), '--store', askStore]);
    assert.match(indexed.stdout, /^Indexed: 4 read/);
    const model = await ensureTinyGguf();
    const child = spawn('node', [CLI, 'ask', SAMPLE_QUESTIONS[0], '--store', askStore, '--model', model, '--threads', '1', '--gpu-layers', '0']);
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (data) => (stderr += data));
    let interrupted = false;
    child.stdout.on('data', (data) => {
      stdout += data;
      if (stdout.length > 40 && !interrupted) {
        interrupted = true;
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    assert.equal(code, 130, stderr);
    assert.match(stderr, /Analyzing…\nSearching…/);
    assert.match(stderr, /\[1\] stop\.md/);
    assert.match(stderr, /\[Stopped\]/);
    assert.ok(stdout.trim().length > 40, 'the partial answer was printed');
    const history = JSON.parse(fs.readFileSync(path.join(askStore, 'chat-history.json'), 'utf8')) as { outcome: string; answer: string }[];
    assert.equal(history.at(-1)?.outcome, 'cancelled');
    assert.match(history.at(-1)?.answer ?? '', /\[Stopped\]$/);
  });

  test('ask --attach answers from the file: read, summarized, then answered, citing the file', async () => {
    const model = await ensureTinyGguf();
    const file = path.join(root, 'harbour.md');
    fs.writeFileSync(file, '# Harbour report\n\nThe harbour opens at dawn and the ferry leaves at nine.\n');
    const { stdout, stderr } = await run('node', [CLI, 'ask', 'When does the ferry leave?', '--attach', file, '--store', path.join(root, 'attach-store'), '--model', model, '--threads', '1', '--gpu-layers', '0'], { timeout: 120_000 });
    assert.match(stderr, /Reading harbour\.md…/);
    assert.match(stderr, /Summarizing harbour\.md…/);
    assert.match(stderr, /\[\d\] harbour\.md/, 'the file is the cited source');
    assert.match(stdout, /^Summary of harbour\.md:/, 'the summary streams first');
  });

  test('without arguments it prints its usage', async () => {
    await assert.rejects(run('node', [CLI]), (error: { code: number; stderr: string }) => error.code === 2 && /local-rag index <folder>/.test(error.stderr));
  });
});
