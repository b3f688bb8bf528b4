/**
 * Settings a workspace could once set to anything (issue 9, item 7): `localRag.threads`,
 * `contextSize` and `maxAnswerTokens` are restricted in untrusted workspaces (package.json)
 * and clamped by the pipeline whatever their source — threads to the machine's parallelism,
 * the context to what the model was trained on (and memory holds), the answer to the context
 * — with each clamp written to the log once. On the real tiny GGUF through node-llama-cpp.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RequestToken } from '../../src/pipeline/cancellation';
import { ChatModel } from '../../src/pipeline/llm/chatModel';
import { chooseThreads } from '../../src/pipeline/llm/threads';
import type { Logger } from '../../src/pipeline/log';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../src/protocol/settings';
import { writeTinyGguf } from '../fixtures/tinyGguf';

const TRAINED_CONTEXT = 256;

describe('threads, context and answer length are clamped', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-limits-'));
  const modelPath = path.join(dir, 'tiny-512.gguf');
  const logs: string[] = [];
  const logger: Logger = { log: (level, message) => logs.push(`[${level}] ${message}`) };
  let model: ChatModel;

  before(() => {
    // A model trained on a short context, so that a clamped answer is short enough to wait for.
    writeTinyGguf(modelPath, { contextLength: TRAINED_CONTEXT });
    model = new ChatModel(logger);
  });
  after(async () => {
    await model?.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a thread count above the machine parallelism is cut to it, and says so', () => {
    const cores = os.availableParallelism();
    assert.deepEqual(chooseThreads(100000), { threads: cores, clamped: `localRag.threads 100000 is more than this machine's ${cores} cores; using ${cores}.` });
    assert.deepEqual(chooseThreads(64, undefined, 2), { threads: 2, clamped: "localRag.threads 64 is more than this machine's 2 cores; using 2." });
    assert.deepEqual(chooseThreads(1, undefined, 2), { threads: 1 }, 'a count the machine has is used as set');
    assert.deepEqual(chooseThreads(0, undefined, 2), { threads: 1 }, '0 still picks from the core count');
  });

  test('the real model runs with clamped threads, context and answer length; each clamp logged once', async () => {
    const settings: PipelineSettings = {
      ...DEFAULT_PIPELINE_SETTINGS,
      chatModel: modelPath,
      gpuLayers: 0,
      threads: 100000,
      contextSize: 1_000_000,
      maxAnswerTokens: 1_000_000_000,
    };
    // Unclamped, this answer never ends: the tiny model never emits an end token, and past
    // the window the session shifts its context and goes on.
    const answer = await model.generate(settings, { systemPrompt: 'Answer.', history: [], prompt: 'Hello?', maxTokens: settings.maxAnswerTokens, token: new RequestToken('first'), onText() {} });
    assert.ok(answer.length > 0);
    // A second answer (stopped at its first words) is clamped again without a second log line.
    const stop = new RequestToken('second');
    await assert.rejects(
      model.generate(settings, { systemPrompt: 'Answer.', history: [], prompt: 'Again?', maxTokens: settings.maxAnswerTokens, token: stop, onText: () => stop.cancel() }),
      { name: 'CancelledError' },
    );
    const device = model.device!;
    assert.ok(device.threads <= os.availableParallelism(), `${device.threads} threads`);
    const cores = os.availableParallelism();
    const once = (line: string) => assert.equal(logs.filter((entry) => entry === line).length, 1, `${line}\n${logs.join('\n')}`);
    once(`[warn] localRag.threads 100000 is more than this machine's ${cores} cores; using ${cores}.`);
    once(`[warn] localRag.contextSize 1000000 is more than the model's trained context of ${TRAINED_CONTEXT} tokens; using ${TRAINED_CONTEXT}.`);
    const answerClamp = logs.filter((entry) => entry.startsWith('[warn] localRag.maxAnswerTokens 1000000000 is more than the model'));
    assert.equal(answerClamp.length, 1, logs.join('\n'));
    const contextTokens = Number(/context of (\d+) tokens/.exec(answerClamp[0])![1]);
    assert.ok(contextTokens >= TRAINED_CONTEXT && contextTokens < TRAINED_CONTEXT + 256, `context ${contextTokens}`);
    assert.match(logs.join('\n'), new RegExp(`${device.threads} threads, context ${contextTokens} tokens`));
  });

  test('package.json restricts the three settings in untrusted workspaces', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'package.json'), 'utf8')) as {
      capabilities: { untrustedWorkspaces: { supported: unknown; restrictedConfigurations: string[] } };
    };
    const restricted = manifest.capabilities.untrustedWorkspaces.restrictedConfigurations;
    for (const key of ['localRag.threads', 'localRag.contextSize', 'localRag.maxAnswerTokens', 'localRag.chatModel']) {
      assert.ok(restricted.includes(key), `${key} is restricted`);
    }
    assert.equal(manifest.capabilities.untrustedWorkspaces.supported, 'limited');
  });
});
