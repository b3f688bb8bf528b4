/**
 * The real pipeline process spoken to directly over its IPC channel, as the host does but
 * without the host's own ordering: requests that arrive before `initialize` get the answers
 * an uninitialized process has always given, and a `configure` sent while `initialize` is
 * still opening the index is not lost.
 */
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { createMessageConnection, IPCMessageReader, IPCMessageWriter, type MessageConnection } from 'vscode-jsonrpc/node';
import {
  ChatRequest,
  ClearHistoryRequest,
  DownloadModelRequest,
  GetHistoryRequest,
  IndexFilesRequest,
  IndexStatusRequest,
  InitializeRequest,
  ConfigureNotification,
  ListChatModelsRequest,
  ListConversationsRequest,
  LogNotification,
  ModelSizeRequest,
  OpenConversationRequest,
  RemoveFilesRequest,
} from '../../src/protocol/rpc';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/protocol/settings';
import { PIPELINE_SCRIPT, until, writeSampleDocs } from '../support/pipelineHarness';

interface Direct {
  connection: MessageConnection;
  logs: string[];
  close(): Promise<void>;
}

function startDirect(): Direct {
  const child: ChildProcess = fork(PIPELINE_SCRIPT, [], { stdio: ['ignore', 'ignore', 'ignore', 'ipc'], execArgv: [] });
  const connection = createMessageConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
  const logs: string[] = [];
  connection.onNotification(LogNotification, ({ message }) => logs.push(message));
  connection.listen();
  return {
    connection,
    logs,
    async close() {
      const exited = new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : child.once('exit', () => resolve())));
      connection.dispose();
      child.disconnect?.();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}

async function rejection(pending: Promise<unknown>): Promise<string> {
  try {
    await pending;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
  return 'resolved';
}

/** vscode-jsonrpc wraps a handler's error in the name of the request. */
const notInitialized = (method: string) => `Request ${method} failed with message: The pipeline process was not initialized.`;

describe('the pipeline process before initialize', () => {
  test('answers as an uninitialized process: some requests fail, the rest have nothing to show', async () => {
    assert.ok(fs.existsSync(PIPELINE_SCRIPT), 'Run `npm run build` first: dist/pipeline.js is missing.');
    const direct = startDirect();
    const { connection } = direct;
    try {
      const model = { role: 'embedding', id: 'someone/some-model' } as const;
      assert.equal(await rejection(connection.sendRequest(ChatRequest, { requestId: 'r1', question: 'Anyone there?' })), notInitialized(ChatRequest.method));
      assert.equal(await rejection(connection.sendRequest(IndexFilesRequest, { files: [] })), notInitialized(IndexFilesRequest.method));
      assert.equal(await rejection(connection.sendRequest(ModelSizeRequest, model)), notInitialized(ModelSizeRequest.method));
      assert.equal(await rejection(connection.sendRequest(DownloadModelRequest, model)), notInitialized(DownloadModelRequest.method));
      assert.equal(await rejection(connection.sendRequest(ListChatModelsRequest)), notInitialized(ListChatModelsRequest.method));

      assert.deepEqual(await connection.sendRequest(IndexStatusRequest), { files: 0, chunks: 0, failures: [] });
      assert.equal(await connection.sendRequest(RemoveFilesRequest, { paths: ['a.md'] }), 0);
      assert.deepEqual(await connection.sendRequest(GetHistoryRequest), []);
      assert.deepEqual(await connection.sendRequest(ListConversationsRequest), []);
      assert.equal(await connection.sendRequest(OpenConversationRequest, { id: 'c1' }), null);
      assert.equal(await connection.sendRequest(ClearHistoryRequest), null);
    } finally {
      await direct.close();
    }
  });

  test('a configure sent while initialize opens the saved index is applied to it', async () => {
    const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-test-'));
    // Keywords only (no embedding model to load): the test is about settings, not search.
    const settings = { ...DEFAULT_PIPELINE_SETTINGS };
    try {
      const first = startDirect();
      try {
        await first.connection.sendRequest(InitializeRequest, { storageDir, settings });
        const report = await first.connection.sendRequest(IndexFilesRequest, { files: writeSampleDocs(path.join(storageDir, 'docs')) });
        assert.ok(report.indexed > 0, JSON.stringify(report));
      } finally {
        await first.close();
      }

      const second = startDirect();
      try {
        const started = second.connection.sendRequest(InitializeRequest, { storageDir, settings });
        second.connection.sendNotification(ConfigureNotification, { ...settings, chunkSize: settings.chunkSize + 300 }).catch(() => {});
        await started;
        const changed = (message: string) => message.startsWith('Chunk size or overlap changed');
        assert.ok(await until(() => second.logs.some(changed)), `the new chunk size was not applied: ${JSON.stringify(second.logs)}`);
      } finally {
        await second.close();
      }
    } finally {
      fs.rmSync(storageDir, { recursive: true, force: true });
    }
  });
});
