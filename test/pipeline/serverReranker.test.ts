/**
 * Reranking through a real llama-server's `/v1/rerank` (`--reranking`, the tiny model):
 * one probability per passage, a clear error from a server that does not rerank, Stop
 * closing the request, and the search status naming the server's reranker.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { CancelledError, RequestToken } from '../../src/pipeline/cancellation';
import { ServerReranker } from '../../src/pipeline/embedding/serverReranker';
import { startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness, until } from '../support/pipelineHarness';

const PASSAGES = ['Press the Stop button to end an answer.', 'The index is built from the workspace.', 'Cats sleep all day.'];

/** A local HTTP server answering every request with `answer`; resolves its base URL. */
async function listen(answer: http.RequestListener): Promise<{ url: string; server: http.Server }> {
  const server = http.createServer(answer);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/v1`, server };
}

describe('reranking through an OpenAI-compatible server (llama-server --reranking)', () => {
  let reranking: LlamaServer;
  let plain: LlamaServer;
  before(async () => {
    [reranking, plain] = await Promise.all([startLlamaServer({ parallel: 1, reranking: true }), startLlamaServer({ parallel: 1 })]);
  });
  after(async () => {
    await Promise.all([reranking?.stop(), plain?.stop()]);
  });

  test('the real server scores every passage, read as a probability in passage order', { timeout: 60_000 }, async () => {
    const reranker = new ServerReranker({ endpoint: { apiBase: `${reranking.url}/v1` }, model: 'tiny-rerank' });
    const scores = await reranker.score('How do I stop an answer?', PASSAGES, new RequestToken('rerank'));
    assert.equal(scores.length, PASSAGES.length);
    // llama-server returns the raw logit (the tiny model's is well above 1): the sigmoid makes it 0..1.
    for (const score of scores) assert.ok(score > 0 && score < 1, `a probability: ${score}`);
  });

  test('a server started without --reranking: the error says so', { timeout: 60_000 }, async () => {
    const reranker = new ServerReranker({ endpoint: { apiBase: `${plain.url}/v1` }, model: 'tiny-rerank' });
    await assert.rejects(reranker.score('stop', PASSAGES, new RequestToken('rerank')), (error: Error) => {
      assert.match(error.message, new RegExp(`The model server at ${plain.url}/v1 answered /rerank with 5\\d\\d`));
      assert.match(error.message, /--reranking/);
      return true;
    });
  });

  test('results come back sorted by score and are put back in passage order', { timeout: 60_000 }, async () => {
    // Test double: the tiny model scores every passage alike (no classification head), so
    // this one forwards to the real server and only replaces its scores by distinct logits.
    const wanted = [-2, 3, 0.5];
    const double = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        const real = await fetch(`${reranking.url}${request.url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: Buffer.concat(chunks) });
        const answer = (await real.json()) as { results: { index: number; relevance_score: number }[] };
        answer.results = answer.results.map((result) => ({ ...result, relevance_score: wanted[result.index] })).sort((a, b) => b.relevance_score - a.relevance_score);
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
      });
    });
    try {
      const reranker = new ServerReranker({ endpoint: { apiBase: double.url }, model: 'tiny-rerank' });
      const scores = await reranker.score('stop', PASSAGES, new RequestToken('rerank'));
      assert.deepEqual(
        scores.map((score) => score.toFixed(3)),
        wanted.map((logit) => (1 / (1 + Math.exp(-logit))).toFixed(3)),
      );
    } finally {
      double.server.close();
    }
  });

  test('Stop during the request rejects at once and closes the connection', { timeout: 60_000 }, async () => {
    // Test double: the real server answers the tiny model's rerank in milliseconds, too soon
    // to stop; this one never answers, as a server busy with a long list would not yet.
    let closed = false;
    const double = await listen((request) => request.socket.once('close', () => (closed = true)));
    try {
      const reranker = new ServerReranker({ endpoint: { apiBase: double.url }, model: 'tiny-rerank' });
      const token = new RequestToken('rerank');
      const scoring = reranker.score('stop', PASSAGES, token);
      setTimeout(() => token.cancel(), 100);
      const started = Date.now();
      await assert.rejects(scoring, CancelledError);
      assert.ok(Date.now() - started < 1_000, 'released at once');
      assert.ok(await until(async () => closed, 5_000), 'the connection to the server was closed');
    } finally {
      double.server.closeAllConnections();
      double.server.close();
    }
  });

  test('with localRag.server.rerankerModel the candidates of an answer are reranked by the server, and the search status names it', { timeout: 120_000 }, async () => {
    // Counts the /rerank calls on their way to the real server; changes nothing.
    let reranks = 0;
    const counter = await listen((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', async () => {
        if (request.url?.endsWith('/rerank')) reranks++;
        const real = await fetch(`${reranking.url}${request.url}`, { method: request.method, headers: { 'content-type': 'application/json' }, body: request.method === 'POST' ? Buffer.concat(chunks) : undefined });
        response.writeHead(real.status, { 'content-type': 'application/json' }).end(Buffer.from(await real.arrayBuffer()));
      });
    });
    const harness = await startHarness({ embeddingModel: '', rerankerModel: '', serverBaseUrl: counter.url, serverRerankerModel: 'tiny-rerank', maxAnswerTokens: 16 });
    try {
      await indexSampleDocs(harness);
      assert.ok(await until(async () => (await harness.client.indexStatus()).search?.reranker === 'tiny-rerank', 30_000), JSON.stringify((await harness.client.indexStatus()).search));
      const answer = await ask(harness.client, 'reranked', SAMPLE_QUESTIONS[0]);
      assert.equal(reranks, 1, 'one /rerank request for the question');
      assert.ok(answer.events.some((event) => 'sources' in event && event.sources.length > 0), 'the answer has its sources');
      assert.ok(!harness.logs.some((entry) => /reranker failed/.test(entry.message)), JSON.stringify(harness.logs));
    } finally {
      await harness.dispose();
      counter.server.close();
    }
  });
});
