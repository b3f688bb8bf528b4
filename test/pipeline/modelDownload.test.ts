/**
 * A Hugging Face embedding model through the real pipeline process (dist/pipeline.js) and
 * the host's PipelineClient: the pipeline reports it missing, the download runs over RPC
 * with progress, a Cancel ($/cancelRequest) stops it, a second request resumes it, and the
 * pipeline then searches by meaning. The hub is a stand-in on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { PipelineClient } from '../../src/host/pipelineClient';
import type { Source } from '../../src/protocol/events';
import type { DownloadProgress, ModelsState } from '../../src/protocol/models';
import { ensureTinyGguf } from '../fixtures/tinyGguf';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';
import { startModelHost, type ModelHost } from '../support/modelHost';
import { ask, PIPELINE_SCRIPT, tinyModelSettings, until } from '../support/pipelineHarness';

const ID = 'tiny-org/tiny-embedder';

describe('a hub embedding model in the pipeline process', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-hub-'));
  let host: ModelHost;
  let client: PipelineClient;
  const states: ModelsState[] = [];
  const logs: string[] = [];

  before(async () => {
    const source = writeTinyEmbedder(path.join(root, 'source'), { dim: 256 }).dir;
    host = await startModelHost({ [ID]: source }, { aliases: { 'onnx/model_quantized.onnx': 'onnx/model.onnx' } });
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, 'docs', 'garden.md'), '# Garden\n\nThe garden has apple trees and a small house.\n');
    fs.writeFileSync(path.join(root, 'docs', 'coffee.md'), '# Coffee\n\nCoffee and music at night in the city.\n');
    const settings = tinyModelSettings(await ensureTinyGguf(), { embeddingModel: ID, maxAnswerTokens: 4 });
    client = new PipelineClient({
      pipelineScript: PIPELINE_SCRIPT,
      storageDir: path.join(root, 'storage'),
      modelsDir: path.join(root, 'models'),
      settings: () => settings,
      log: (_level, message) => logs.push(message),
      onModelsState: (state) => states.push(state),
      env: { LOCAL_RAG_MODEL_HOST: host.url },
    });
    await client.indexFiles(
      ['garden.md', 'coffee.md'].map((name) => ({ absPath: path.join(root, 'docs', name), displayPath: name })),
      new CancellationTokenSource().token,
    );
  });
  after(async () => {
    await client?.dispose();
    await host?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function sourcesFor(question: string): Promise<Source[]> {
    const { events } = await ask(client, `q-${Math.random()}`, question);
    return events.flatMap((event) => ('sources' in event ? event.sources : []));
  }

  test('reports the model missing and searches with keywords until it is downloaded', async () => {
    assert.ok(await until(() => states.length > 0));
    assert.deepEqual(states.at(-1), { missing: [{ role: 'embedding', id: ID }] });
    assert.ok(logs.some((message) => message.includes(`${ID} is not downloaded yet; searching with keywords only`)));
    assert.ok(!(await sourcesFor('gardening')).some((source) => source.path === 'garden.md'), 'keywords alone miss "gardening"');
    const size = await client.modelSize({ role: 'embedding', id: ID });
    assert.ok(size.totalBytes > 700_000, `${size.totalBytes} bytes`);
  });

  test('Cancel stops the download over RPC; the next download resumes and the model is used', async () => {
    host.bytesPerSecond = 300_000;
    const source = new CancellationTokenSource();
    const progress: DownloadProgress[] = [];
    let cancelledAt = 0;
    const first = await client.downloadModel({ role: 'embedding', id: ID }, source.token, (update) => {
      progress.push(update);
      if (!cancelledAt && update.percentage > 30) {
        cancelledAt = performance.now();
        source.cancel();
      }
    });
    assert.deepEqual(first, { completed: false });
    assert.ok(performance.now() - cancelledAt < 1000, 'the download stopped within a second of Cancel');
    assert.ok(progress.length >= 2 && progress.at(-1)!.speed > 0);

    host.bytesPerSecond = Infinity;
    const requestsBefore = host.requests.length;
    assert.deepEqual(await client.downloadModel({ role: 'embedding', id: ID }, new CancellationTokenSource().token), { completed: true });
    const resumed = host.requests.slice(requestsBefore).filter((request) => request.method === 'GET');
    assert.ok(resumed.some((request) => /^bytes=[1-9]\d*-$/.test(request.range ?? '')), JSON.stringify(resumed));

    assert.ok(await until(() => states.at(-1)?.missing.length === 0), 'nothing is missing any more');
    assert.ok(
      await until(async () => (await sourcesFor('gardening'))[0]?.path === 'garden.md', 20_000),
      'the downloaded model embedded the index and vector search finds the passage',
    );
  });
});
