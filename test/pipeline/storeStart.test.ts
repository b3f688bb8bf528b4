/**
 * The real pipeline process starting on a bad storage folder: a broken index manifest never
 * fails the start (it is kept aside and the index rebuilt), and a start that does fail ends
 * that process, so the next question starts a fresh one instead of failing forever.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { PipelineClient } from '../../src/host/pipelineClient';
import type { TerminalEvent } from '../../src/protocol/events';
import type { LogLevel } from '../../src/protocol/rpc';
import { ensureTinyGguf } from '../fixtures/tinyGguf';
import { ask, indexSampleDocs, isAlive, PIPELINE_SCRIPT, SAMPLE_QUESTIONS, startHarness, tinyModelSettings, until } from '../support/pipelineHarness';

/** The question reached a running pipeline: it answered, or said why it could not (nothing indexed). */
function answeredByPipeline(terminal: TerminalEvent): boolean {
  return 'done' in terminal || ('error' in terminal && terminal.code !== 'pipelineExited');
}

describe('pipeline start-up on a bad storage folder', () => {
  test('a manifest of the wrong shape: questions work, it is kept aside, the index is rebuilt', async () => {
    const harness = await startHarness();
    try {
      const indexDir = path.join(harness.storageDir, 'index');
      fs.mkdirSync(indexDir, { recursive: true });
      const broken = JSON.stringify({ version: 3, nextSegment: 2, segments: { one: 1 }, files: 5 });
      fs.writeFileSync(path.join(indexDir, 'manifest.json'), broken);

      // Answered by a running pipeline (with nothing indexed yet, it says so), not a failed start.
      const first = await ask(harness.client, 'q1', SAMPLE_QUESTIONS[0]);
      assert.ok(answeredByPipeline(first.terminal), `the first question failed: ${JSON.stringify(first.terminal)}`);
      const aside = fs.readdirSync(indexDir).find((name) => name.startsWith('manifest.json.corrupt-'));
      assert.ok(aside, 'the broken manifest was not kept aside');
      assert.equal(fs.readFileSync(path.join(indexDir, aside), 'utf8'), broken);
      assert.ok(
        harness.logs.some(({ level, message }) => level === 'warn' && message.includes('could not be read') && message.includes(aside)),
        'the log does not say what happened to the index',
      );

      await indexSampleDocs(harness);
      const second = await ask(harness.client, 'q2', SAMPLE_QUESTIONS[2]);
      assert.ok('done' in second.terminal, JSON.stringify(second.terminal));
      assert.ok(second.events.some((event) => 'sources' in event && event.sources.length > 0), 'the rebuilt index gave no passages');
    } finally {
      await harness.dispose();
    }
  });

  test('a failed start ends that process; the next question starts a fresh one', async () => {
    const modelPath = await ensureTinyGguf();
    const base = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-start-'));
    // The storage folder's place is taken by a file: the process cannot start there.
    const storageDir = path.join(base, 'storage');
    fs.writeFileSync(storageDir, 'not a folder');
    const logs: { level: LogLevel; message: string }[] = [];
    const client = new PipelineClient({
      pipelineScript: PIPELINE_SCRIPT,
      storageDir,
      settings: () => tinyModelSettings(modelPath),
      log: (level, message) => logs.push({ level, message }),
    });
    try {
      const first = await ask(client, 'q1', SAMPLE_QUESTIONS[0]);
      assert.ok('error' in first.terminal, `expected a failed start, got ${JSON.stringify(first.terminal)}`);
      assert.match(first.terminal.error, /storage folder .*storage cannot be used/);

      fs.rmSync(storageDir);
      fs.mkdirSync(storageDir);
      const second = await ask(client, 'q2', SAMPLE_QUESTIONS[1]);
      assert.ok(answeredByPipeline(second.terminal), `the next question did not get a fresh process: ${JSON.stringify(second.terminal)}`);
      await indexSampleDocs({ client, storageDir });
      const third = await ask(client, 'q3', SAMPLE_QUESTIONS[1]);
      assert.ok('done' in third.terminal, JSON.stringify(third.terminal));

      const failed = logs.find(({ message }) => /could not start/.test(message));
      assert.ok(failed, 'the failed start is not in the log');
      const failedPid = Number(/process (\d+) could not start/.exec(failed.message)?.[1]);
      assert.ok(client.pid !== undefined && client.pid !== failedPid);
      assert.ok(await until(() => !isAlive(failedPid), 5000), 'the process that failed to start is still running');
    } finally {
      await client.dispose();
      fs.rmSync(base, { recursive: true, force: true });
    }
  });
});
