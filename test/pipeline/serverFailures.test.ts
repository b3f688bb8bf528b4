/**
 * Every way a model server can fail ends the answer with a clear message, never a hang:
 * against a real llama-server where it can fail on demand (no server listening, a wrong or
 * missing API key, an unknown model), and against a test double only for what a real server
 * will not do on demand (accept the connection and send nothing; cut the stream mid-answer).
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { TerminalEvent } from '../../src/protocol/events';
import type { PipelineSettings } from '../../src/protocol/settings';
import { freePort, startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness, type Harness } from '../support/pipelineHarness';

const API_KEY = 'sk-test-4f8a1c92e7';
const MODEL = 'tiny-chat';

describe('model server failures', () => {
  let server: LlamaServer;
  let harness: Harness;
  let requests = 0;
  before(async () => {
    server = await startLlamaServer({ parallel: 1, apiKey: API_KEY, alias: MODEL });
    harness = await startHarness({ chatProvider: 'openaiCompatible', embeddingModel: '', rerankerModel: '', maxAnswerTokens: 30 });
    await indexSampleDocs(harness);
  });
  after(async () => {
    await harness?.dispose();
    await server?.stop();
  });

  async function askWith(settings: Partial<PipelineSettings>): Promise<{ terminal: TerminalEvent; text: string; ms: number }> {
    harness.client.configure({ ...harness.settings, chatProvider: 'openaiCompatible', ...settings });
    const started = performance.now();
    const { terminal, text } = await ask(harness.client, `failure-${++requests}`, SAMPLE_QUESTIONS[0]);
    return { terminal, text, ms: performance.now() - started };
  }
  const errorOf = (terminal: TerminalEvent) => ('error' in terminal ? terminal : assert.fail(`expected an error, got ${JSON.stringify(terminal)}`));
  const neverTheKey = () => {
    assert.ok(!harness.logs.some((line) => line.message.includes(API_KEY)), 'the API key is in no log line');
  };

  test('the right key and model answer (the baseline the failures below depart from)', { timeout: 60_000 }, async () => {
    const { terminal, text } = await askWith({ serverBaseUrl: `${server.url}/v1`, serverChatModel: MODEL, serverApiKey: API_KEY });
    assert.ok('done' in terminal, JSON.stringify(terminal));
    assert.ok(text.length > 0);
  });

  test('connection refused: says the server is not reachable, at once', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const { terminal, ms } = await askWith({ serverBaseUrl: `http://127.0.0.1:${port}/v1` });
    const failure = errorOf(terminal);
    assert.equal(failure.code, 'failed', 'Retry is offered');
    assert.match(failure.error, new RegExp(`127\\.0\\.0\\.1:${port}.*connection was refused`));
    assert.ok(ms < 5_000, `failed in ${ms.toFixed(0)} ms`);
  });

  test('a host that does not resolve: says so, at once', { timeout: 30_000 }, async () => {
    const { terminal, ms } = await askWith({ serverBaseUrl: 'http://no-such-host.invalid:8080/v1' });
    const failure = errorOf(terminal);
    assert.equal(failure.code, 'failed');
    assert.match(failure.error, /Could not find the host of the model server at http:\/\/no-such-host\.invalid:8080\/v1/);
    assert.ok(ms < 10_000, `failed in ${ms.toFixed(0)} ms`);
  });

  test('https to a server that speaks plain http: a TLS failure, said as one', { timeout: 60_000 }, async () => {
    const { terminal } = await askWith({ serverBaseUrl: `${server.url.replace('http:', 'https:')}/v1`, serverChatModel: MODEL, serverApiKey: API_KEY });
    const failure = errorOf(terminal);
    assert.equal(failure.code, 'failed');
    assert.match(failure.error, /secure \(TLS\) connection/);
  });

  test('no API key, or a wrong one: asks for the key, and never repeats it', { timeout: 30_000 }, async () => {
    const missing = errorOf((await askWith({ serverBaseUrl: `${server.url}/v1`, serverChatModel: MODEL })).terminal);
    assert.equal(missing.code, 'modelUnavailable');
    assert.match(missing.error, /401.*needs an API key.*Set Server API Key/);
    const wrong = errorOf((await askWith({ serverBaseUrl: `${server.url}/v1`, serverChatModel: MODEL, serverApiKey: `${API_KEY}-wrong` })).terminal);
    assert.match(wrong.error, /401.*Check the API key.*Set Server API Key/);
    assert.ok(!wrong.error.includes(API_KEY), 'the message does not repeat the key');
    neverTheKey();
  });

  test('an unknown model: lists the models the server has', { timeout: 30_000 }, async () => {
    const failure = errorOf((await askWith({ serverBaseUrl: `${server.url}/v1`, serverChatModel: 'llama-70b', serverApiKey: API_KEY })).terminal);
    assert.equal(failure.code, 'modelUnavailable');
    assert.match(failure.error, new RegExp(`no model "llama-70b"\\. It lists: ${MODEL}\\. Set "localRag.server.chatModel"`));
  });

  test('a server that accepts the connection and sends nothing: a time-out to the first byte, not a hang', { timeout: 30_000 }, async () => {
    // Test double: a real server never stalls on demand. This one accepts and stays silent.
    const sockets: net.Socket[] = [];
    const silent = net.createServer((socket) => sockets.push(socket));
    const port = await listen(silent);
    try {
      const { terminal, ms } = await askWith({ serverBaseUrl: `http://127.0.0.1:${port}/v1`, serverChatModel: MODEL, serverFirstByteTimeoutMs: 1_000 });
      const failure = errorOf(terminal);
      assert.equal(failure.code, 'failed', 'Retry is offered');
      assert.match(failure.error, /sent nothing for 1 s.*localRag\.server\.firstByteTimeout/);
      assert.ok(ms < 5_000, `failed in ${ms.toFixed(0)} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      silent.close();
    }
  });

  test('a stream cut mid-answer: the partial answer stays, marked failed, with Retry', { timeout: 30_000 }, async () => {
    // Test double: a real server does not drop its connection on demand. This one streams
    // two chunks of an answer, then destroys the socket without finishing the response.
    const cut = http.createServer((request, response) => {
      if (request.url?.endsWith('/models')) return void response.end(JSON.stringify({ data: [{ id: MODEL }] }));
      if (!request.url?.endsWith('/chat/completions')) return void response.writeHead(404).end();
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
      response.write(chunk('The Stop button '));
      setTimeout(() => {
        response.write(chunk('ends the'));
        setTimeout(() => request.socket.destroy(), 50);
      }, 50);
    });
    const port = await listen(cut);
    try {
      const { terminal, text } = await askWith({ serverBaseUrl: `http://127.0.0.1:${port}/v1`, serverChatModel: MODEL, serverFirstByteTimeoutMs: 5_000 });
      const failure = errorOf(terminal);
      assert.equal(failure.code, 'failed', 'Retry is offered');
      assert.match(failure.error, /closed the connection mid-answer/);
      assert.equal(text, 'The Stop button ends the', 'the partial answer reached the view');
      const last = (await harness.client.getHistory()).at(-1);
      assert.equal(last?.outcome, 'error');
      assert.equal(last?.answer, 'The Stop button ends the', 'the partial answer is kept');
    } finally {
      cut.close();
      cut.closeAllConnections();
    }
  });

  /** Test double: an OpenAI-shaped server whose answer stream `stream` writes (a real server does not misbehave on demand). */
  async function withStreamingDouble(
    stream: (response: http.ServerResponse, chunk: (content: string) => string) => void,
    run: (baseUrl: string, closed: Promise<void>) => Promise<void>,
  ): Promise<void> {
    let closedResolve!: () => void;
    const closed = new Promise<void>((resolve) => (closedResolve = resolve));
    const double = http.createServer((request, response) => {
      if (request.url?.endsWith('/models')) return void response.end(JSON.stringify({ data: [{ id: MODEL }] }));
      if (!request.url?.endsWith('/chat/completions')) return void response.writeHead(404).end();
      response.on('close', closedResolve);
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      stream(response, (content) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`);
    });
    const port = await listen(double);
    try {
      await run(`http://127.0.0.1:${port}/v1`, closed);
    } finally {
      double.close();
      double.closeAllConnections();
    }
  }

  test('a server that goes quiet mid-answer: a time-out, the partial answer kept, with Retry', { timeout: 30_000 }, async () => {
    // It streams two pieces, then nothing, the connection left open.
    await withStreamingDouble(
      (response, chunk) => {
        response.write(chunk('The Stop button '));
        setTimeout(() => response.write(chunk('ends the')), 50);
      },
      async (baseUrl) => {
        const { terminal, text, ms } = await askWith({ serverBaseUrl: baseUrl, serverChatModel: MODEL, serverFirstByteTimeoutMs: 1_000 });
        const failure = errorOf(terminal);
        assert.equal(failure.code, 'failed', 'Retry is offered');
        assert.match(failure.error, /sent nothing more for 1 s mid-answer.*localRag\.server\.firstByteTimeout/);
        assert.ok(ms < 6_000, `failed in ${ms.toFixed(0)} ms`);
        assert.equal(text, 'The Stop button ends the', 'the partial answer reached the view');
        assert.equal((await harness.client.getHistory()).at(-1)?.answer, 'The Stop button ends the', 'and is kept');
      },
    );
  });

  test('a server that ignores max_tokens: the answer ends at the limit and the connection is closed', { timeout: 30_000 }, async () => {
    // It streams forever, whatever max_tokens says (30 here: at most 960 characters kept).
    await withStreamingDouble(
      (response, chunk) => {
        const timer = setInterval(() => response.write(chunk('endless words ')), 2);
        response.on('close', () => clearInterval(timer));
      },
      async (baseUrl, closed) => {
        const { terminal, text } = await askWith({ serverBaseUrl: baseUrl, serverChatModel: MODEL, serverFirstByteTimeoutMs: 5_000 });
        assert.ok('done' in terminal, JSON.stringify(terminal));
        assert.ok(text.length > 0 && text.length <= 30 * 32, `answer of ${text.length} characters`);
        await closed; // the server saw the connection close: it stops writing
      },
    );
  });
});

async function listen(server: net.Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}
