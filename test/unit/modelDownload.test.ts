/**
 * Hugging Face model downloads (src/pipeline/embedding/hubModel.ts) from a stand-in hub on
 * 127.0.0.1 serving the tiny generated embedder at the hub's paths: progress, a prompt
 * Cancel, a resume that fetches only what is missing, and the downloaded model in use.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { DownloadProgress } from '../../src/protocol/models';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/protocol/settings';
import { RequestToken } from '../../src/pipeline/cancellation';
import { dot } from '../../src/pipeline/embedding/embedder';
import { downloadHubModel, downloadSize, hubModel, isDownloaded, type HubModel } from '../../src/pipeline/embedding/hubModel';
import { OnnxModels, resolveModel } from '../../src/pipeline/embedding/onnxModels';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';
import { sha256, startModelHost, type ModelHost } from '../support/modelHost';

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
    const stop = new RequestToken('download-1');
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
    assert.equal(await downloadHubModel(model, { token: new RequestToken('download-2'), host: host.url, onProgress: (p) => progress.push(p) }), true);
    const fetched = host.requests.slice(requestsBefore).filter((request) => request.method === 'GET');
    const weightsHash = sha256(fs.readFileSync(path.join(source, 'onnx', 'model.onnx')));
    // The hub redirects an LFS file to its CDN; the downloader went straight there.
    assert.deepEqual(fetched.map((request) => request.path), [`/cdn/${weightsHash}/model_quantized.onnx`], 'finished files are not fetched again');
    assert.equal(fetched[0].range, `bytes=${partial}-`);
    assert.equal(fetched[0].ifRange, `"${weightsHash}"`, 'the resume names the version it continues');
    assert.equal(fetched[0].status, 206);
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
      const [garden, coffee] = await embedder.embedPassages(['The garden has apple trees.', 'Coffee and music at night.'], new RequestToken('embed'));
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
    assert.equal(await downloadHubModel(model, { token: new RequestToken('repair'), host: host.url }), true);
    assert.equal(fs.statSync(weights).size, modelBytes);

    // An id the host does not have fails with its address, and leaves nothing complete behind.
    const unknown = hubModel('tiny-org/nothing-here', modelsDir);
    await assert.rejects(downloadHubModel(unknown, { token: new RequestToken('404'), host: host.url }), /nothing-here\/resolve\/main\/config\.json answered 404/);
    assert.equal(isDownloaded(unknown), false);
  });

  test('a value that is neither a folder nor an owner/name id is refused', () => {
    assert.throws(() => resolveModel('../escape', modelsDir), /neither an absolute folder nor a Hugging Face model id/);
    assert.throws(() => hubModel('a/..', modelsDir), /not a Hugging Face model id/);
    assert.deepEqual(resolveModel('', modelsDir), { kind: 'off' });
    assert.equal(resolveModel(source, modelsDir).kind, 'ready');
  });
});

/**
 * Issue 9, item 6: a download comes from one revision whatever the hub does meanwhile, a
 * resume never splices two revisions, a byte corrupted in transfer is caught by the hash the
 * hub publishes, and two processes never write one part file.
 */
describe('a model download pinned to one revision and verified', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-verified-'));
  const modelsDir = path.join(root, 'models');
  const aliases = { 'onnx/model_quantized.onnx': 'onnx/model.onnx' };
  const repos = ['moving', 'resumed', 'spliced', 'tampered', 'shared'].map((name) => `tiny-org/${name}`);
  const WEIGHTS = 'onnx/model_quantized.onnx';
  let source: string;
  let other: Record<string, Buffer>;
  let host: ModelHost;

  before(async () => {
    source = writeTinyEmbedder(path.join(root, 'source'), { dim: 256 }).dir;
    // Revision B: every file changed, the weights to other bytes of the very same size (the case a size check misses).
    const weightsB = fs.readFileSync(path.join(writeTinyEmbedder(path.join(root, 'sourceB'), { dim: 256, seed: 99 }).dir, 'onnx', 'model.onnx'));
    assert.equal(weightsB.length, fs.statSync(path.join(source, 'onnx', 'model.onnx')).size);
    assert.notDeepEqual(weightsB, fs.readFileSync(path.join(source, 'onnx', 'model.onnx')));
    other = {
      'config.json': Buffer.from(JSON.stringify({ ...JSON.parse(fs.readFileSync(path.join(source, 'config.json'), 'utf8')), revision: 'B' })),
      'tokenizer.json': Buffer.concat([fs.readFileSync(path.join(source, 'tokenizer.json')), Buffer.from('\n')]),
      'tokenizer_config.json': Buffer.concat([fs.readFileSync(path.join(source, 'tokenizer_config.json')), Buffer.from('\n')]),
      [WEIGHTS]: weightsB,
    };
    host = await startModelHost(Object.fromEntries(repos.map((repo) => [repo, source])), { aliases });
  });
  after(async () => {
    await host?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  const revisionA = (file: string) => fs.readFileSync(path.join(source, file === WEIGHTS ? 'onnx/model.onnx' : file));
  const onDisk = (model: HubModel, file: string) => fs.readFileSync(path.join(model.dir, file));

  /** Starts a slow download of `model` and cancels it once more than half of it has arrived. */
  async function cancelHalfway(model: HubModel): Promise<number> {
    host.bytesPerSecond = 400_000;
    const stop = new RequestToken('half');
    const result = await downloadHubModel(model, {
      token: stop,
      host: host.url,
      onProgress: (progress) => progress.percentage > 50 && stop.cancel(),
    });
    host.bytesPerSecond = Infinity;
    assert.equal(result, false);
    const partial = fs.statSync(path.join(model.dir, `${WEIGHTS}.part`)).size;
    assert.ok(partial > 0);
    return partial;
  }

  test('a revision pushed between two requests does not mix revisions: every file comes from the commit resolved first', async () => {
    const [repo] = repos;
    const model = hubModel(repo, modelsDir);
    const pinned = host.head(repo);
    // main moves as the second request arrives: after the first was answered with commit A.
    let asked = 0;
    host.onRequest = (request) => {
      if (request.path.startsWith(`/${repo}/resolve/`) && ++asked === 2) host.publish(repo, other);
    };
    try {
      assert.equal(await downloadHubModel(model, { token: new RequestToken('moving'), host: host.url }), true);
    } finally {
      host.onRequest = undefined;
    }
    assert.notEqual(host.head(repo), pinned, 'main moved during the download');
    for (const file of model.files) assert.deepEqual(onDisk(model, file), revisionA(file), `${file} is revision A's`);
    const manifest = JSON.parse(fs.readFileSync(path.join(model.dir, 'local-rag-download.json'), 'utf8'));
    assert.equal(manifest.revision, pinned);
    assert.equal(manifest.hashes[WEIGHTS].hex, sha256(revisionA(WEIGHTS)));
    const paths = host.requests.filter((request) => request.path.startsWith(`/${repo}/resolve/`)).map((request) => request.path);
    assert.equal(paths.filter((p) => p.includes('/resolve/main/')).length, 1, `main is resolved once: ${paths.join(', ')}`);
  });

  test('a resume after the file changed on the hub restarts it (If-Range answered 200): the result is the new revision, not a splice', async () => {
    const model = hubModel(repos[1], modelsDir);
    const partial = await cancelHalfway(model);
    host.publish(repos[1], other);
    const before = host.requests.length;
    assert.equal(await downloadHubModel(model, { token: new RequestToken('resume'), host: host.url }), true);
    const get = host.requests.slice(before).find((request) => request.method === 'GET' && request.path.endsWith('/model_quantized.onnx'))!;
    assert.equal(get.range, `bytes=${partial}-`);
    assert.equal(get.ifRange, `"${sha256(revisionA(WEIGHTS))}"`, 'the resume names the version its bytes came from');
    assert.equal(get.status, 200, 'the hub sent the whole new file');
    for (const file of model.files) assert.deepEqual(onDisk(model, file), other[file], `${file} is revision B's`);
  });

  test('a server that resumes whatever If-Range says cannot splice either: the hash catches it, the part is deleted, the next try is whole', async () => {
    const model = hubModel(repos[2], modelsDir);
    await cancelHalfway(model);
    host.publish(repos[2], other);
    host.ignoreIfRange = true;
    try {
      await assert.rejects(downloadHubModel(model, { token: new RequestToken('spliced'), host: host.url }), {
        message: 'model_quantized.onnx was corrupted in transfer (SHA-256 mismatch); the partial file was deleted, try again.',
      });
    } finally {
      host.ignoreIfRange = false;
    }
    assert.equal(fs.existsSync(path.join(model.dir, `${WEIGHTS}.part`)), false, 'the spliced part is gone');
    assert.equal(fs.existsSync(path.join(model.dir, WEIGHTS)), false);
    assert.equal(isDownloaded(model), false);
    assert.equal(await downloadHubModel(model, { token: new RequestToken('again'), host: host.url }), true);
    assert.deepEqual(onDisk(model, WEIGHTS), other[WEIGHTS]);
  });

  test('one byte corrupted in transfer is caught by the published SHA-256; nothing corrupt is kept', async () => {
    const model = hubModel(repos[3], modelsDir);
    host.tamper = (file, start, body) => {
      if (file.endsWith('/model_quantized.onnx') && start === 0) body[body.length >> 1] ^= 0x40;
      return body;
    };
    try {
      await assert.rejects(downloadHubModel(model, { token: new RequestToken('tampered'), host: host.url }), {
        message: 'model_quantized.onnx was corrupted in transfer (SHA-256 mismatch); the partial file was deleted, try again.',
      });
    } finally {
      host.tamper = undefined;
    }
    assert.deepEqual(fs.readdirSync(path.join(model.dir, 'onnx')), [], 'neither the file nor its part is kept');
    assert.equal(isDownloaded(model), false);
    assert.equal(await downloadHubModel(model, { token: new RequestToken('clean'), host: host.url }), true);
    assert.deepEqual(onDisk(model, WEIGHTS), revisionA(WEIGHTS));
  });

  test('two processes downloading one model: the second waits for the first, then finds it complete; the file is fetched once', async () => {
    const repo = repos[4];
    host.bytesPerSecond = 300_000;
    const start = () => {
      let stdout = '';
      let stderr = '';
      const child = fork(path.join(__dirname, '../support/downloadWorker.ts'), [modelsDir, repo, host.url], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
      child.stdout!.on('data', (data) => (stdout += data));
      child.stderr!.on('data', (data) => (stderr += data));
      const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
      const exited = new Promise<string>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`exit ${code}: ${stderr}`))));
      });
      return { child, ready, exited };
    };
    try {
      const workers = [start(), start()];
      await Promise.all(workers.map((worker) => worker.ready));
      for (const worker of workers) worker.child.send('go');
      const outputs = await Promise.all(workers.map((worker) => worker.exited));
      assert.deepEqual(outputs.map((output) => output.trim().split('\n').at(-1)), ['done true', 'done true']);
      assert.equal(outputs.filter((output) => output.startsWith('waiting')).length, 1, `one of them waited: ${JSON.stringify(outputs)}`);
    } finally {
      host.bytesPerSecond = Infinity;
    }
    const model = hubModel(repo, modelsDir);
    assert.equal(isDownloaded(model), true);
    for (const file of model.files) assert.deepEqual(onDisk(model, file), revisionA(file));
    const weightsGets = host.requests.filter((request) => request.method === 'GET' && request.path === `/cdn/${sha256(revisionA(WEIGHTS))}/model_quantized.onnx`);
    // Earlier tests fetched these bytes too; count only the ones since this repository was first asked for.
    const first = host.requests.findIndex((request) => request.path.startsWith(`/${repo}/`));
    assert.equal(weightsGets.filter((request) => host.requests.indexOf(request) > first).length, 1, 'the weights were fetched once, not once per window');
    assert.deepEqual(fs.readdirSync(path.join(model.dir, 'onnx')), ['model_quantized.onnx'], 'no part file left behind');
  });
});
