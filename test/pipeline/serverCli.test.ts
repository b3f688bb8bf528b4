/** `local-rag ask --server URL`: the answer streams from a real llama-server, and Ctrl+C frees its slot. */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { SAMPLE_QUESTIONS, until, writeSampleDocs } from '../support/pipelineHarness';

const CLI = path.resolve(__dirname, '../../dist/cli.js');
const run = promisify(execFile);

describe('local-rag ask --server', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-server-cli-'));
  const store = path.join(root, 'store');
  let server: LlamaServer;
  before(async () => {
    server = await startLlamaServer({ parallel: 2, alias: 'tiny-chat' });
    writeSampleDocs(path.join(root, 'docs'));
    await run('node', [CLI, 'index', path.join(root, 'docs'), '--store', store]);
  });
  after(async () => {
    await server?.stop();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('streams the answer from the server; Ctrl+C stops it (exit 130) and the slot is idle again', { timeout: 120_000 }, async () => {
    // No --model: were the embedded path taken, there would be no model to answer with.
    const child = spawn('node', [CLI, 'ask', SAMPLE_QUESTIONS[0], '--store', store, '--server', `${server.url}/v1`, '--server-model', 'tiny-chat']);
    let stdout = '';
    let stderr = '';
    let interruptedAt = 0;
    child.stderr.on('data', (data) => (stderr += data));
    child.stdout.on('data', (data) => {
      stdout += data;
      if (stdout.length > 40 && !interruptedAt) {
        interruptedAt = performance.now();
        child.kill('SIGINT');
      }
    });
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 130, `exit code 130 after Ctrl+C; stderr:\n${stderr}`);
    assert.match(stderr, /\[Stopped\]/);
    assert.ok(stdout.length > 40, 'the answer streamed to stdout');
    const idle = await until(async () => (await server.slots()).every((slot) => !slot.is_processing), 2_000, 20);
    assert.ok(idle, `every slot idle soon after Ctrl+C: ${JSON.stringify(await server.slots())}`);
  });

  test('an unknown --server-model fails with the models the server has', { timeout: 60_000 }, async () => {
    const failed = await run('node', [CLI, 'ask', SAMPLE_QUESTIONS[0], '--store', store, '--server', server.url, '--server-model', 'nope']).then(
      () => assert.fail('expected a failure'),
      (error: { code: number; stderr: string }) => error,
    );
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /no model "nope"\. It lists: tiny-chat/);
  });
});
