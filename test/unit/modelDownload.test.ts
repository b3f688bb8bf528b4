/**
 * Hugging Face model downloads (src/pipeline/embedding/hubModel.ts) from a stand-in hub on
 * 127.0.0.1 serving the tiny generated embedder at the hub's paths: progress, a prompt
 * Cancel, a resume that fetches only what is missing, and the downloaded model in use.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DownloadProgress } from '../../src/protocol/models';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/protocol/settings';
import { CancellationToken } from '../../src/pipeline/cancellation';
import { dot } from '../../src/pipeline/embedding/embedder';
import { downloadHubModel, downloadSize, hubModel, isDownloaded } from '../../src/pipeline/embedding/hubModel';
import { OnnxModels, resolveModel } from '../../src/pipeline/embedding/onnxModels';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';
import { startModelHost, type ModelHost } from '../support/modelHost';

const ID = 'tiny-org/tiny-embedder';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-download-'));
const modelsDir = path.join(root, 'models');
const quiet = { log: () => {} };

describe('downloading a Hugging Face model', () => {
  let source: string;
  let host: ModelHost;
  let modelBytes: number;

  before(async () => {
    // Wide enough (~700 KB of weights) that a slow download can be stopped midway.
    source = writeTinyEmbedder(path.join(root, 'source'), { dim: 256 }).dir;
    modelBytes = fs.statSync(path.join(source, 'onnx', 'model.onnx')).size;
    // Hub ONNX exports ship int8 weights as model_quantized.onnx; the tiny fp32 file stands in.
    host = await startModelHost({ [ID]: source }, { aliases: { 'onnx/model_quantized.onnx': 'onnx/model.onnx' } });
  });
  after(async () => {
    await host?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('an id not downloaded yet is reported missing, with its size, and nothing is fetched', async () => {
    assert.deepEqual(resolveModel(ID, modelsDir), { kind: 'missing', id: ID });
    const models = new OnnxModels(modelsDir, quiet, 1);
    const applied = await models.apply({ ...DEFAULT_PIPELINE_SETTINGS, embeddingModel: ID });
    assert.deepEqual(applied.missing, [{ role: 'embedding', id: ID }]);
    assert.equal(models.embedder, undefined);

    const size = await downloadSize(hubModel(ID, modelsDir), host.url);
    const expected = ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx'].reduce((sum, file) => sum + fs.statSync(path.join(source, file)).size, 0);
    assert.equal(size.totalBytes, expected);
    assert.equal(size.remainingBytes, expected);
    assert.equal(size.host, new URL(host.url).host);
    assert.ok(host.requests.every((request) => request.method === 'HEAD'));
    assert.equal(host.bytesSent, 0);
  });

  test('Cancel stops a slow download promptly; the next attempt resumes; the model then embeds', async () => {
    const model = hubModel(ID, modelsDir);
    host.bytesPerSecond = 400_000;
    const stop = new CancellationToken('download-1');
    const seen: DownloadProgress[] = [];
    let cancelledAt = 0;
    const first = await downloadHubModel(model, {
      token: stop,
      host: host.url,
      onProgress(progress) {
        seen.push(progress);
        if (!cancelledAt && progress.percentage > 50) {
          cancelledAt = performance.now();
          stop.cancel();
        }
      },
    });
    const stoppedIn = performance.now() - cancelledAt;
    assert.equal(first, false, 'a cancelled download says so');
    assert.ok(stoppedIn < 500, `stopped ${stoppedIn.toFixed(0)} ms after Cancel`);
    assert.ok(seen.length > 3 && seen.every((p, i) => i === 0 || p.transferredBytes >= seen[i - 1].transferredBytes), 'progress only grows');
    assert.ok(seen.at(-1)!.speed > 0, 'progress tells the speed');
    assert.ok(seen.at(-1)!.percentage < 100);
    // Interrupted: the weights exist only under a temporary name, and the folder is not a model.
    assert.equal(isDownloaded(model), false);
    assert.deepEqual(resolveModel(ID, modelsDir), { kind: 'missing', id: ID });
    assert.ok(!fs.existsSync(path.join(model.dir, 'onnx', 'model_quantized.onnx')));
    const partial = fs.statSync(path.join(model.dir, 'onnx', 'model_quantized.onnx.part')).size;
    assert.ok(partial > 0 && partial < modelBytes, `${partial} of ${modelBytes} bytes kept`);
    // The server stops sending soon after the Cancel.
    const sentAtCancel = host.bytesSent;
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(host.bytesSent - sentAtCancel < 64 * 1024, `${host.bytesSent - sentAtCancel} bytes sent after Cancel`);

    const left = await downloadSize(model, host.url);
    assert.ok(left.remainingBytes < left.totalBytes - partial + 1, 'the size shown for a resume counts what is already here');

    host.bytesPerSecond = Infinity;
    const requestsBefore = host.requests.length;
    const sentBefore = host.bytesSent;
    const progress: DownloadProgress[] = [];
    assert.equal(await downloadHubModel(model, { token: new CancellationToken('download-2'), host: host.url, onProgress: (p) => progress.push(p) }), true);
    const fetched = host.requests.slice(requestsBefore).filter((request) => request.method === 'GET');
    assert.deepEqual(fetched.map((request) => request.path), [`/${ID}/resolve/main/onnx/model_quantized.onnx`], 'finished files are not fetched again');
    assert.equal(fetched[0].range, `bytes=${partial}-`);
    assert.equal(host.bytesSent - sentBefore, modelBytes - partial, 'only the missing bytes travel');
    assert.equal(progress.at(-1)?.percentage, 100);
    assert.deepEqual(fs.readFileSync(path.join(model.dir, 'onnx', 'model_quantized.onnx')), fs.readFileSync(path.join(source, 'onnx', 'model.onnx')));
    assert.equal(isDownloaded(model), true);

    // Now the setting's id loads the downloaded folder, and vectors carry meaning.
    const models = new OnnxModels(modelsDir, quiet, 1);
    try {
      const applied = await models.apply({ ...DEFAULT_PIPELINE_SETTINGS, embeddingModel: ID });
      assert.deepEqual(applied.missing, []);
      assert.equal(applied.embedderChanged, true);
      const embedder = models.embedder!;
      assert.equal(embedder.dimension, 256);
      const query = await embedder.embedQuery('apple garden');
      const [garden, coffee] = await embedder.embedPassages(['The garden has apple trees.', 'Coffee and music at night.'], new CancellationToken('embed'));
      assert.ok(dot(query, garden) > dot(query, coffee));
      // The same settings again change nothing.
      assert.equal((await models.apply({ ...DEFAULT_PIPELINE_SETTINGS, embeddingModel: ID })).embedderChanged, false);
    } finally {
      await models.dispose();
    }
  });

  test('a file that arrives short or a changed file never completes the folder', async () => {
    const model = hubModel(ID, modelsDir);
    assert.equal(isDownloaded(model), true);
    // A weights file changed on disk (cut short, say) is no longer taken for the model.
    const weights = path.join(model.dir, 'onnx', 'model_quantized.onnx');
    fs.truncateSync(weights, 1000);
    assert.equal(isDownloaded(model), false);
    assert.equal(resolveModel(ID, modelsDir).kind, 'missing');
    // The next download replaces it with the whole file.
    fs.rmSync(weights);
    assert.equal(await downloadHubModel(model, { token: new CancellationToken('repair'), host: host.url }), true);
    assert.equal(fs.statSync(weights).size, modelBytes);

    // An id the host does not have fails with its address, and leaves nothing complete behind.
    const unknown = hubModel('tiny-org/nothing-here', modelsDir);
    await assert.rejects(downloadHubModel(unknown, { token: new CancellationToken('404'), host: host.url }), /nothing-here\/resolve\/main\/config\.json answered 404/);
    assert.equal(isDownloaded(unknown), false);
  });

  test('a value that is neither a folder nor an owner/name id is refused', () => {
    assert.throws(() => resolveModel('../escape', modelsDir), /neither an absolute folder nor a Hugging Face model id/);
    assert.throws(() => hubModel('a/..', modelsDir), /not a Hugging Face model id/);
    assert.deepEqual(resolveModel('', modelsDir), { kind: 'off' });
    assert.equal(resolveModel(source, modelsDir).kind, 'ready');
  });
});
