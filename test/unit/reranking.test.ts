/**
 * The optional cross-encoder in retrieval (src/pipeline/retrieval/workspaceRetriever.ts) on
 * the real transformers.js stack with the tiny generated cross-encoder, which scores
 * passages by how much of the whole question they cover.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RequestToken, CancelledError } from '../../src/pipeline/cancellation';
import { Reranker } from '../../src/pipeline/embedding/reranker';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import { WorkspaceRetriever } from '../../src/pipeline/retrieval/workspaceRetriever';
import { writeTinyCrossEncoder } from '../fixtures/tinyOnnx';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-rerank-'));
const quiet = { log: () => {} };
const token = () => new RequestToken('test');
const QUESTION = 'coffee music night';

// "night" is rare, "coffee" and "music" common: keyword scoring puts the passage that only
// repeats "night" first; the passage that covers coffee AND music reads closer to the question.
const DOCS: Record<string, string> = {
  'trains.txt': 'Night, night, night, night: the night train.\n',
  'cafe.txt': 'Coffee and music.\n',
  'tea.txt': 'Coffee with tea.\n',
  'tea2.txt': 'Tea and coffee.\n',
  'rice.txt': 'Music and rice.\n',
  'rice2.txt': 'Rice and music.\n',
  'city.txt': 'Coffee, tea, rice and music in the city.\n',
  'bus.txt': 'Music on the bus, coffee in the car.\n',
};

describe('reranking the fused candidates', () => {
  let index: WorkspaceIndex;
  let reranker: Reranker;

  before(async () => {
    const docs = path.join(root, 'docs');
    fs.mkdirSync(docs, { recursive: true });
    for (const [name, text] of Object.entries(DOCS)) fs.writeFileSync(path.join(docs, name), text);
    index = await WorkspaceIndex.open(path.join(root, 'store'), quiet);
    await index.indexFiles(Object.keys(DOCS).map((name) => ({ absPath: path.join(docs, name), displayPath: name })), token());
    reranker = await Reranker.load(writeTinyCrossEncoder(path.join(root, 'cross-encoder')).dir, { threads: 1 });
  });
  after(async () => {
    await reranker?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('a cross-encoder puts the passage that answers the whole question first', async () => {
    const plain = await new WorkspaceRetriever(() => index, quiet).retrieve(QUESTION, token());
    assert.equal(plain[0]?.path, 'trains.txt', 'keywords alone favour the repeated rare word');

    const reranked = await new WorkspaceRetriever(() => index, quiet, 5, () => reranker).retrieve(QUESTION, token());
    assert.equal(reranked.length, 5);
    assert.equal(reranked[0].path, 'cafe.txt');
    const trains = reranked.findIndex((source) => source.path === 'trains.txt');
    assert.ok(trains === -1 || trains > 0, JSON.stringify(reranked.map((s) => s.path)));
    // Scores are the cross-encoder's relevance, best first.
    for (let i = 1; i < reranked.length; i++) assert.ok(reranked[i - 1].score >= reranked[i].score);
    assert.ok(reranked.every((source) => source.score > 0 && source.score < 1));
  });

  test('a Stop while reranking ends the retrieval', async () => {
    const cancelled = token();
    cancelled.cancel();
    await assert.rejects(new WorkspaceRetriever(() => index, quiet, 5, () => reranker).retrieve(QUESTION, cancelled), CancelledError);
    // Two pairs per model call: the Stop lands while the first call runs, the next one is not made.
    const small = await Reranker.load(path.join(root, 'cross-encoder'), { threads: 1, batchSize: 2 });
    try {
      const stopping = token();
      const pending = new WorkspaceRetriever(() => index, quiet, 5, () => small).retrieve(QUESTION, stopping);
      setImmediate(() => stopping.cancel());
      await assert.rejects(pending, CancelledError);
    } finally {
      await small.dispose();
    }
  });

  test('a failing reranker leaves the keyword order and says so once', async () => {
    const logs: string[] = [];
    const broken = await Reranker.load(path.join(root, 'cross-encoder'), { threads: 1 });
    await broken.dispose();
    const retriever = new WorkspaceRetriever(() => index, { log: (_level, message) => logs.push(message) }, 5, () => broken);
    assert.equal((await retriever.retrieve(QUESTION, token()))[0]?.path, 'trains.txt');
    await retriever.retrieve(QUESTION, token());
    assert.equal(logs.filter((message) => message.includes('was disposed')).length, 1);
  });
});
