/**
 * A model server the user already runs, in a real VS Code: the workspace's settings point
 * Local RAG at a real llama-server (started by test/integration/run.mjs with `--api-key`),
 * the key goes in with Set Server API Key (SecretStorage), answers stream from the server,
 * and Stop frees the server's slot — checked from the server's side, on `/slots`.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';
import type { ChatUpdate } from '../../../src/host/chatController';
import type { TerminalEvent } from '../../../src/protocol/events';
import type { IndexReport } from '../../../src/protocol/indexing';
import { until } from '../../support/until';

const SERVER = process.env.LOCAL_RAG_TEST_LLAMA_SERVER ?? '';
const KEY = process.env.LOCAL_RAG_TEST_LLAMA_SERVER_KEY ?? '';
const DATA_DIR = process.env.LOCAL_RAG_TEST_DATA_DIR ?? '';
/** The name run.mjs gives the model (`--alias`): what `/v1/models` lists. */
const MODEL = 'tiny-server-model';
const SETTINGS = ['chatProvider', 'server.baseUrl', 'server.chatModel', 'maxAnswerTokens'];

const DOC = ['# Lighthouse keeping', '', 'The lighthouse keeper trims the lamp wick at dusk and logs every passing ship.'].join('\n');
const QUESTION = 'What does the lighthouse keeper log?';

async function api(): Promise<LocalRagApi> {
  const extension = vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag');
  assert.ok(extension, 'local-rag.local-rag is installed');
  return extension.activate();
}

async function allSlotsIdle(): Promise<boolean> {
  const response = await fetch(`${SERVER}/slots`, { headers: { authorization: `Bearer ${KEY}` } });
  assert.equal(response.status, 200, 'llama-server lists its slots');
  return ((await response.json()) as Array<{ is_processing: boolean }>).every((slot) => !slot.is_processing);
}

/** Every file under `dir`, for the search for the key. */
function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}

const ask = (question: string) => vscode.commands.executeCommand('localRag.ask', question) as Thenable<TerminalEvent>;
const contentCount = (updates: ChatUpdate[]) => updates.filter((update) => update.type === 'event' && 'content' in update.event).length;

describe('A model server you already run (llama-server)', () => {
  let local: LocalRagApi;
  const config = () => vscode.workspace.getConfiguration('localRag');

  before(async () => {
    assert.ok(SERVER && KEY && DATA_DIR, 'test/integration/run.mjs starts llama-server and names it');
    local = await api();
    const doc = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'notes', 'lighthouse.md');
    await vscode.workspace.fs.writeFile(doc, Buffer.from(DOC));
    const report = (await vscode.commands.executeCommand('localRag.indexFile', doc)) as IndexReport;
    assert.equal(report.indexed, 1, JSON.stringify(report));
    await vscode.commands.executeCommand('localRag.setServerApiKey', '');
    await config().update('chatProvider', 'openaiCompatible', vscode.ConfigurationTarget.Workspace);
    await config().update('server.baseUrl', `${SERVER}/v1`, vscode.ConfigurationTarget.Workspace);
    await config().update('server.chatModel', MODEL, vscode.ConfigurationTarget.Workspace);
  });

  after(async () => {
    // The key belongs to the server: removed while the settings still name it.
    await vscode.commands.executeCommand('localRag.setServerApiKey', '');
    for (const key of SETTINGS) await config().update(key, undefined, vscode.ConfigurationTarget.Workspace);
  });

  it('without its key the server refuses, and the answer says how to set one', async () => {
    let result: TerminalEvent | undefined;
    // Until the new settings have reached the pipeline (the embedded model would answer before).
    const refused = await until(async () => {
      result = await ask(QUESTION);
      return 'error' in result;
    }, 15_000, 500);
    assert.ok(refused && result && 'error' in result, JSON.stringify(result));
    assert.match(result.error, /401.*Set Server API Key/);
  });

  it('with the key from Set Server API Key, an answer streams from the server with its phases and sources', async () => {
    await vscode.commands.executeCommand('localRag.setServerApiKey', KEY);
    await config().update('maxAnswerTokens', 40, vscode.ConfigurationTarget.Workspace);
    const updates: ChatUpdate[] = [];
    const subscription = local.controller.onUpdate((update) => updates.push(update));
    try {
      const result = await ask(QUESTION);
      assert.ok('done' in result, JSON.stringify(result));
      const events = updates.flatMap((update) => (update.type === 'event' ? [update.event] : []));
      assert.deepEqual(events.flatMap((event) => ('phase' in event ? [event.phase] : [])), ['ANALYSIS', 'RETRIEVAL', 'GENERATION']);
      const sources = events.flatMap((event) => ('sources' in event ? event.sources : []));
      // Among the sources, not necessarily first: other suites leave notes about the harbour's lighthouse that match as well.
      assert.ok(sources.some((source) => source.path === 'notes/lighthouse.md'), JSON.stringify(sources));
      assert.ok(contentCount(updates) > 1, 'streamed in pieces, not one block');
      assert.ok(((await local.controller.history()).at(-1)?.answer ?? '').trim().length > 0);
    } finally {
      subscription.dispose();
      await config().update('maxAnswerTokens', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });

  it('the key goes only to the server it was set for: settings naming another server send none', async () => {
    // Another server, as a cloned workspace's settings could name one: a plain Node server
    // that records what it is sent and refuses, as a server without the key would.
    const seen: (string | undefined)[] = [];
    const other = http.createServer((request, response) => {
      seen.push(request.headers.authorization);
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Invalid API Key","type":"authentication_error"}}');
    });
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    try {
      const port = (other.address() as AddressInfo).port;
      await config().update('server.baseUrl', `http://127.0.0.1:${port}/v1`, vscode.ConfigurationTarget.Workspace);
      assert.ok(await until(async () => 'error' in (await ask(QUESTION)) && seen.length > 0, 15_000, 500), 'the question reached the other server');
      assert.deepEqual([...new Set(seen)], [undefined], 'no Authorization header reached another server');
    } finally {
      await config().update('server.baseUrl', `${SERVER}/v1`, vscode.ConfigurationTarget.Workspace);
      other.close();
    }
  });

  it('Stop ends the answer with {cancelled}, and the server frees its slot', async () => {
    let busyBeforeStop: boolean | undefined;
    let stopped: Promise<unknown> | undefined;
    const updates: ChatUpdate[] = [];
    const subscription = local.controller.onUpdate((update) => {
      updates.push(update);
      if (contentCount(updates) === 5 && !stopped) {
        stopped = (async () => {
          busyBeforeStop = !(await allSlotsIdle());
          await vscode.commands.executeCommand('localRag.stop');
        })();
      }
    });
    try {
      const result = await ask('Tell me the long story of the lighthouse keeper.');
      await stopped;
      assert.ok('cancelled' in result, JSON.stringify(result));
      assert.equal(busyBeforeStop, true, 'the server was generating when Stop was pressed');
      assert.ok(await until(allSlotsIdle, 3_000, 20), 'every slot idle within 3 s of Stop');
      assert.equal((await local.controller.history()).at(-1)?.outcome, 'cancelled');
    } finally {
      subscription.dispose();
    }
  });

  it("Select Model lists the server's models, the one in use checked", async () => {
    const listed = (await local.modelPicker.choices()).filter((choice) => choice.serverModel !== undefined);
    assert.deepEqual(listed.map((choice) => [choice.serverModel, choice.current]), [[MODEL, true]]);
  });

  it('the key is in neither the settings nor the log', async () => {
    const workspaceSettings = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, '.vscode', 'settings.json');
    assert.match(fs.readFileSync(workspaceSettings, 'utf8'), /openaiCompatible/, 'the workspace settings name the server');
    // The log reaches its file a moment after it is written.
    const logFile = () => filesUnder(DATA_DIR).find((file) => /Local RAG\.log$/.test(file) && fs.statSync(file).size > 0);
    assert.ok(await until(() => logFile() !== undefined, 10_000, 250), 'the Local RAG log is in the data folder');
    const holding = [workspaceSettings, ...filesUnder(DATA_DIR)].filter((file) => fs.readFileSync(file).includes(KEY));
    assert.deepEqual(holding, []);
  });
});
