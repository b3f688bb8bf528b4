/**
 * Embeddings from a real llama-server (`--embeddings`) while indexing: retried when the
 * server is busy, recorded under the server's model id, and redone when the model changes.
 */
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as net from 'node:net';
import { after, before, describe, test } from 'node:test';
import { startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { indexSampleDocs, startHarness, until, type Harness } from '../support/pipelineHarness';

describe('embeddings from an OpenAI-compatible server (llama-server --embeddings)', () => {
  let server: LlamaServer;
  let proxy: http.Server;
  let harness: Harness;
  const calls = { embeddings: 0, refused: 0 };
  let refuseNext = 2;
  before(async () => {
    server = await startLlamaServer({ parallel: 2, embeddings: true });
    // Test double in front of the real server: a real one is not busy on demand, so this
    // answers the first embedding requests with 503 (Retry-After: 0) and forwards the rest.
    proxy = http.createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        if (request.url?.endsWith('/embeddings')) {
          calls.embeddings++;
          if (refuseNext > 0) {
            refuseNext--;
            calls.refused++;
            return void response.writeHead(503, { 'retry-after': '0' }).end('{"error":{"message":"busy"}}');
          }
        }
        fetch(`${server.url}${request.url}`, { method: request.method, headers: { 'content-type': 'application/json' }, body: request.method === 'POST' ? Buffer.concat(chunks) : undefined })
          .then(async (answer) => response.writeHead(answer.status, { 'content-type': 'application/json' }).end(Buffer.from(await answer.arrayBuffer())))
          .catch(() => response.destroy());
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    const { port } = proxy.address() as net.AddressInfo;
    harness = await startHarness({ embeddingModel: '', rerankerModel: '', serverBaseUrl: `http://127.0.0.1:${port}/v1`, serverEmbeddingModel: 'tiny-embed' });
  });
  after(async () => {
    await harness?.dispose();
    proxy?.close();
    await server?.stop();
  });

  const searchMode = async () => (await harness.client.indexStatus()).search;

  test('indexing embeds through the server, retrying when it is busy; search is hybrid with its model', { timeout: 120_000 }, async () => {
    await indexSampleDocs(harness);
    assert.ok(await until(async () => (await searchMode())?.kind === 'hybrid', 30_000), `hybrid search: ${JSON.stringify(await searchMode())}`);
    assert.deepEqual(await searchMode(), { kind: 'hybrid', embeddingModel: 'tiny-embed' });
    assert.equal(calls.refused, 2, 'two requests were refused as busy');
    assert.ok(calls.embeddings > 2, 'and retried until they were answered');
  });

  test('another server model re-embeds the index instead of mixing vector spaces', { timeout: 120_000 }, async () => {
    const before = calls.embeddings;
    harness.client.configure({ ...harness.settings, serverEmbeddingModel: 'tiny-embed-2' });
    assert.ok(await until(async () => (await searchMode())?.embeddingModel === 'tiny-embed-2' && (await searchMode())?.kind === 'hybrid', 30_000), JSON.stringify(await searchMode()));
    assert.ok(calls.embeddings > before, 'the chunks were embedded again');
    const log = harness.logs.map((line) => line.message).join('\n');
    assert.match(log, /Embedding \d+ chunks with server:.*#tiny-embed-2@/);
  });
});
