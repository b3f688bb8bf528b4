/**
 * A chat history file cut short, through the real pipeline process (dist/pipeline.js) and
 * the host's PipelineClient: the pipeline moves it aside instead of starting over on top
 * of it, and the host hears which file was kept (it shows that as a warning notification).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, test } from 'node:test';
import { PipelineClient } from '../../src/host/pipelineClient';
import type { LogParams } from '../../src/protocol/rpc';
import { PIPELINE_SCRIPT, tinyModelSettings } from '../support/pipelineHarness';

const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-history-files-'));
let client: PipelineClient | undefined;
after(async () => {
  await client?.dispose();
  fs.rmSync(storageDir, { recursive: true, force: true });
});

test('a truncated chat-history.json is kept aside and the host is told which file', async () => {
  const file = path.join(storageDir, 'chat-history.json');
  const cut = JSON.stringify([{ question: 'What is Stop?', answer: 'It stops.', outcome: 'done', sources: [], askedAt: 1 }]).slice(0, 40);
  fs.writeFileSync(file, cut);
  const kept: NonNullable<LogParams['keptAside']>[] = [];
  const settings = tinyModelSettings('');
  client = new PipelineClient({
    pipelineScript: PIPELINE_SCRIPT,
    storageDir,
    settings: () => settings,
    log: (_level, _message, details) => details?.keptAside && kept.push(details.keptAside),
  });
  assert.deepEqual(await client.getHistory(), []);
  assert.equal(kept.length, 1, 'one notice');
  assert.equal(kept[0].file, file);
  assert.equal(fs.readFileSync(kept[0].movedTo, 'utf8'), cut, 'the damaged bytes are kept');
  assert.equal(path.dirname(kept[0].movedTo), storageDir);
});
