/**
 * The chat model as a download, through the real pipeline process and the host's
 * PipelineClient: an empty `localRag.chatModel` offers the default model, an `hf:` URI is
 * reported missing, its download shows progress, a Cancel stops it mid-way, the next
 * download resumes with an HTTP Range, and the downloaded GGUF then answers. The hub is a
 * stand-in on 127.0.0.1 serving the tiny generated GGUF at Hugging Face paths.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { PipelineClient } from '../../src/host/pipelineClient';
import { DEFAULT_CHAT_MODEL, type DownloadProgress, type ModelsState } from '../../src/protocol/models';
import type { DeviceInfo } from '../../src/protocol/rpc';
import type { PipelineSettings } from '../../src/protocol/settings';
import { buildTinyGguf, ensureTinyGguf } from '../fixtures/tinyGguf';
import { startModelHost, type ModelHost } from '../support/modelHost';
import { ask, PIPELINE_SCRIPT, tinyModelSettings, until } from '../support/pipelineHarness';

const REPO = 'tiny-org/Tiny-Chat-GGUF';
const URI = `hf:${REPO}/tiny-chat-q4_k_m.gguf`;
/** A repository whose file gets a new revision while a download of it is stopped. */
const MOVING_REPO = 'tiny-org/Moving-Chat-GGUF';
const MOVING_URI = `hf:${MOVING_REPO}/moving-q4_k_m.gguf`;

describe('the chat model downloaded from a hub', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-chat-dl-'));
  const modelsDir = path.join(root, 'models');
  let host: ModelHost;
  let client: PipelineClient;
  let settings: PipelineSettings;
  const states: ModelsState[] = [];
  const devices: DeviceInfo[] = [];

  before(async () => {
    const served = path.join(root, 'served');
    fs.mkdirSync(served);
    fs.copyFileSync(await ensureTinyGguf(), path.join(served, 'tiny-chat-q4_k_m.gguf'));
    const moving = path.join(root, 'moving');
    fs.mkdirSync(moving);
    fs.copyFileSync(await ensureTinyGguf(), path.join(moving, 'moving-q4_k_m.gguf'));
    host = await startModelHost({ [REPO]: served, [MOVING_REPO]: moving });
    // Empty, as a first-time user has it.
    settings = tinyModelSettings('', { maxAnswerTokens: 8 });
    client = new PipelineClient({
      pipelineScript: PIPELINE_SCRIPT,
      storageDir: path.join(root, 'storage'),
      modelsDir,
      settings: () => settings,
      log: () => {},
      onModelsState: (state) => states.push(state),
      onDevice: (device) => devices.push(device),
      env: { LOCAL_RAG_MODEL_HOST: host.url },
    });
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, 'docs', 'garden.md'), '# Garden\n\nThe garden has apple trees and a small house.\n');
    await client.indexFiles([{ absPath: path.join(root, 'docs', 'garden.md'), displayPath: 'garden.md' }], new CancellationTokenSource().token);
  });
  after(async () => {
    await client?.dispose();
    await host?.close();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('with no chat model set, the default one is offered and an answer says how to get it', async () => {
    assert.ok(await until(() => states.length > 0));
    assert.deepEqual(states.at(-1), { missing: [{ role: 'chat', id: DEFAULT_CHAT_MODEL }] });
    const { terminal, text } = await ask(client, 'no-model', 'What is in the garden?');
    assert.ok('done' in terminal, JSON.stringify(terminal));
    assert.match(text, /Select Model/);
    assert.deepEqual(await client.listChatModels(), []);
  });

  test('an hf: URI is reported missing with its size, downloads with progress, cancels, resumes, then answers', async () => {
    settings = { ...settings, chatModel: URI };
    client.configure(settings);
    assert.ok(await until(() => states.at(-1)?.missing[0]?.id === URI), JSON.stringify(states.at(-1)));
    assert.deepEqual(states.at(-1), { missing: [{ role: 'chat', id: URI }] });
    const ggufBytes = fs.statSync(await ensureTinyGguf()).size;
    const size = await client.modelSize({ role: 'chat', id: URI });
    assert.deepEqual(size, { totalBytes: ggufBytes, remainingBytes: ggufBytes, host: new URL(host.url).host });

    // Served slowly so that Cancel lands mid-way.
    host.bytesPerSecond = 200_000;
    const cancel = new CancellationTokenSource();
    const progress: DownloadProgress[] = [];
    const first = await client.downloadModel({ role: 'chat', id: URI }, cancel.token, (update) => {
      progress.push(update);
      if (update.percentage > 30) cancel.cancel();
    });
    assert.deepEqual(first, { completed: false });
    assert.ok(progress.length >= 2, `${progress.length} progress updates`);
    assert.equal(progress.at(-1)!.totalBytes, ggufBytes);
    assert.ok(progress.at(-1)!.speed > 0 && progress.at(-1)!.percentage < 100);
    const left = await client.modelSize({ role: 'chat', id: URI });
    assert.ok(left.remainingBytes > 0 && left.remainingBytes < ggufBytes, `what arrived is kept: ${left.remainingBytes} of ${ggufBytes} left`);
    const early = await ask(client, 'half', 'What is in the garden?');
    assert.match(early.text, /Select Model/, 'a half-downloaded model is never loaded');

    host.bytesPerSecond = Infinity;
    const before = host.requests.length;
    assert.deepEqual(await client.downloadModel({ role: 'chat', id: URI }, new CancellationTokenSource().token), { completed: true });
    const gets = host.requests.slice(before).filter((request) => request.method === 'GET');
    assert.equal(gets.length, 1);
    assert.match(gets[0].range ?? '', /^bytes=[1-9]\d*-$/, 'the second download resumed where the first stopped');

    assert.ok(await until(() => states.at(-1)?.missing.length === 0), 'nothing is missing any more');
    const [listed] = await client.listChatModels();
    assert.equal(listed.uri, URI);
    assert.equal(listed.path, path.join(modelsDir, 'tiny-org', 'Tiny-Chat-GGUF', 'tiny-chat-q4_k_m.gguf'));
    assert.deepEqual(fs.readFileSync(listed.path), fs.readFileSync(await ensureTinyGguf()));

    const answered = await ask(client, 'with-model', 'What is in the garden?');
    assert.ok('done' in answered.terminal, JSON.stringify(answered.terminal));
    assert.ok(answered.text.length > 0 && !/Select Model/.test(answered.text), `the downloaded model wrote the answer: ${answered.text}`);
    assert.deepEqual(
      devices.at(-1),
      { gpu: false, deviceNames: [], threads: 1, gpuLayers: 0, modelPath: listed.path, modelName: 'local-rag-tiny-llama' },
      'the device report names the file, the model (its GGUF general.name) and the CPU',
    );
  });

  test('a download stopped before the repository got a new revision resumes into the new file, never a splice of the two', async () => {
    const first = fs.readFileSync(await ensureTinyGguf());
    // Another seed: other weights in a file of exactly the same size, which a size check cannot tell apart.
    const second = buildTinyGguf({ seed: 4321 });
    assert.equal(second.length, first.length);
    host.bytesPerSecond = 200_000;
    const cancel = new CancellationTokenSource();
    const stopped = await client.downloadModel({ role: 'chat', id: MOVING_URI }, cancel.token, (update) => update.percentage > 30 && cancel.cancel());
    assert.deepEqual(stopped, { completed: false });
    host.bytesPerSecond = Infinity;
    host.publish(MOVING_REPO, { 'moving-q4_k_m.gguf': second });

    const before = host.requests.length;
    assert.deepEqual(await client.downloadModel({ role: 'chat', id: MOVING_URI }, new CancellationTokenSource().token), { completed: true });
    const [get] = host.requests.slice(before).filter((request) => request.method === 'GET');
    assert.match(get.range ?? '', /^bytes=[1-9]\d*-$/, 'it tried to resume');
    assert.equal(get.status, 200, 'the hub answered with the whole new revision');
    const file = path.join(modelsDir, 'tiny-org', 'Moving-Chat-GGUF', 'moving-q4_k_m.gguf');
    assert.ok(fs.readFileSync(file).equals(second), 'the file on disk is the new revision, byte for byte');
    settings = { ...settings, chatModel: MOVING_URI };
    client.configure(settings);
    const answered = await ask(client, 'moving', 'What is in the garden?');
    assert.ok('done' in answered.terminal && answered.text.length > 0 && !/Select Model/.test(answered.text), answered.text);
  });
});
