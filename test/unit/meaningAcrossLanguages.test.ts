/**
 * Meaning counts, across languages: with an embedder, a question in Vietnamese about an
 * English page is answered from it although they share no word, and a question about
 * nothing in the workspace still gets "nothing found". The embedder is the tiny generated
 * ONNX model (real transformers.js and onnxruntime-node) made to know a few translations:
 * "phà" and "ferry" (and three more pairs) share one embedding row, as a multilingual model
 * puts a word and its translation close together; the tiny cross-encoder is made the same
 * way. Through ChatService and WorkspaceRetriever to the answer's sources.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RequestManager, RequestToken } from '../../src/pipeline/cancellation';
import { ChatService } from '../../src/pipeline/chat/chatService';
import { ChatHistory } from '../../src/pipeline/chat/history';
import { Embedder } from '../../src/pipeline/embedding/embedder';
import { Reranker } from '../../src/pipeline/embedding/reranker';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import { ChatModel } from '../../src/pipeline/llm/chatModel';
import type { Retriever } from '../../src/pipeline/retrieval/retriever';
import { WorkspaceRetriever } from '../../src/pipeline/retrieval/workspaceRetriever';
import type { ChatEvent, Source } from '../../src/protocol/events';
import { DEFAULT_PIPELINE_SETTINGS } from '../../src/protocol/settings';
import { mulberry32 } from '../fixtures/random';
import { writeTinyCrossEncoder, writeTinyEmbedder } from '../fixtures/tinyOnnx';
import { headlessChat } from '../support/headlessChat';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-meaning-'));
const quiet = { log: () => {} };

/** Words the test models take to mean the same: translations, and two English synonyms. */
const SAME_MEANING = [
  ['ferry', 'phà', 'boat'],
  ['ticket', 'vé'],
  ['price', 'giá', 'fare'],
  ['harbour', 'bến'],
];
/** The page's other words, whole in the vocabulary as in a real model's (not spelled out letter by letter). */
const FERRY_WORDS = ['leaves', 'every', 'hour', 'five', 'dollars'];
const FERRY_PAGE = '# Ferry\n\nThe ferry leaves the harbour every hour. A ferry ticket has a price of five dollars.\n';
const VIETNAMESE_QUESTION = 'Giá vé phà ở bến?';
/** About nothing in the workspace ("What is my cat's name?", "What is the weather like today?"). */
const UNRELATED_QUESTIONS = ['Con mèo của tôi tên là gì?', 'Thời tiết hôm nay thế nào?'];
/** In other words than the page's: BM25 matches only "a" there, which the gate does not count. */
const SYNONYM_QUESTION = 'What does a boat fare cost?';

/** English pages about everything but ferries, from the tiny model's vocabulary. */
function otherPages(count: number): Record<string, string> {
  const words = (
    'garden apple tree house coffee music night city code editor file extension school teacher student book ' +
    'river mountain snow rain sun weather phone computer keyboard window server network database memory song video'
  ).split(' ');
  const random = mulberry32(3);
  const pick = () => words[Math.floor(random() * words.length)];
  const pages: Record<string, string> = {};
  for (let i = 0; i < count; i++) {
    const sentence = () => `The ${pick()} and the ${pick()} of the ${pick()} are ${pick()} ${pick()}.`;
    pages[`notes/${i}.md`] = `# ${pick()}\n\n${sentence()} ${sentence()} ${sentence()}\n`;
  }
  return pages;
}

describe('meaning counts, across languages', () => {
  let embedder: Embedder;
  let index: WorkspaceIndex;
  let reranker: Reranker;
  /** Keywords only, over the ferry page and ten others: every page is a candidate the cross-encoder reads. */
  let keywordIndex: WorkspaceIndex;

  before(async () => {
    const pages: Record<string, string> = { 'guide/ferry.md': FERRY_PAGE, ...otherPages(40) };
    const docs = path.join(root, 'docs');
    for (const [name, text] of Object.entries(pages)) {
      fs.mkdirSync(path.dirname(path.join(docs, name)), { recursive: true });
      fs.writeFileSync(path.join(docs, name), text);
    }
    const models = { synonyms: SAME_MEANING, vocab: FERRY_WORDS };
    embedder = await Embedder.load(writeTinyEmbedder(path.join(root, 'embedder'), models).dir, { threads: 1 });
    reranker = await Reranker.load(writeTinyCrossEncoder(path.join(root, 'cross-encoder'), models).dir, { threads: 1 });
    const files = Object.keys(pages).map((name) => ({ absPath: path.join(docs, name), displayPath: name }));
    index = await WorkspaceIndex.open(path.join(root, 'index'), quiet);
    await index.useEmbedder(embedder, new RequestToken('embed'));
    await index.indexFiles(files, new RequestToken('index'));
    keywordIndex = await WorkspaceIndex.open(path.join(root, 'keyword-index'), quiet);
    await keywordIndex.indexFiles(files.slice(0, 11), new RequestToken('index'));
  });
  after(async () => {
    await index?.close();
    await keywordIndex?.close();
    await embedder?.dispose();
    await reranker?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  async function ask(
    question: string,
    retriever = new WorkspaceRetriever(() => index, quiet),
  ): Promise<{ sources: Source[]; answer: string; found: Source[] }> {
    const history = await ChatHistory.open(path.join(root, `history-${Math.random()}.json`), quiet);
    const found: Source[] = [];
    // The retriever as ChatService sees it, noting what search returned before the gate.
    const noting: Retriever = {
      retrieve: async (query, token) => {
        const sources = await retriever.retrieve(query, token);
        found.push(...sources);
        return sources;
      },
      matchesInMeaning: (source) => retriever.matchesInMeaning(source),
    };
    const settings = { ...DEFAULT_PIPELINE_SETTINGS, chatModel: '' };
    const service = headlessChat(
      new ChatService({ model: new ChatModel(quiet), retriever: noting, history, settings: () => settings, logger: quiet }),
      new RequestManager(() => {}),
    );
    const events: ChatEvent[] = [];
    await service.handle({ requestId: `q-${Math.random()}`, question }, (event) => events.push(event));
    await history.flush();
    const sources = events.flatMap((event) => ('sources' in event ? [event.sources] : [])).at(-1) ?? [];
    const answer = events.map((event) => ('content' in event ? event.content : '')).join('');
    return { sources, answer, found };
  }

  test('keywords alone find nothing for the Vietnamese question; vectors find the English page, clearly', async () => {
    assert.deepEqual(index.search(VIETNAMESE_QUESTION, 5), [], 'no word in common');
    const hits = index.search(VIETNAMESE_QUESTION, 5, await index.embedQuery(VIETNAMESE_QUESTION, new RequestToken('q')));
    assert.equal(hits[0]?.path, 'guide/ferry.md');
    assert.ok((hits[0].confidence ?? 0) > 0, `confidence ${hits[0].confidence}`);
    assert.ok(hits.slice(1).every((hit) => hit.confidence === 0), JSON.stringify(hits.map((hit) => [hit.path, hit.confidence])));
  });

  test('the Vietnamese question about the English page is answered from it', async () => {
    const { sources, answer } = await ask(VIETNAMESE_QUESTION);
    assert.deepEqual(sources.map((source) => source.path), ['guide/ferry.md']);
    assert.match(answer, /The ferry leaves the harbour every hour\. A ferry ticket has a price of five dollars\. \[1\]/);
  });

  test('an unrelated question still gets "nothing found", though vector search returned its nearest pages', async () => {
    for (const question of UNRELATED_QUESTIONS) {
      const { sources, answer, found } = await ask(question);
      assert.ok(found.length > 0, 'vector search always has nearest neighbours');
      assert.deepEqual(sources, [], question);
      assert.match(answer, /found nothing about this in the workspace documents/);
    }
  });

  test('a vector-only match comes in beside keyword hits', async () => {
    // "student" is a keyword of other pages; the ferry page shares no word but means the rest.
    const question = 'Giá vé phà cho student?';
    const hits = index.search(question, 5, await index.embedQuery(question, new RequestToken('q')));
    assert.ok(index.search(question, 50).every((hit) => hit.path !== 'guide/ferry.md'), 'BM25 alone does not find it');
    assert.ok(hits.some((hit) => hit.path === 'guide/ferry.md'), JSON.stringify(hits.map((hit) => [hit.path, hit.confidence])));
  });

  test('a question in other words: the cross-encoder\'s probability counts, keywords alone find nothing', async () => {
    const withReranker = new WorkspaceRetriever(() => keywordIndex, quiet, 5, () => reranker);
    const answered = await ask(SYNONYM_QUESTION, withReranker);
    assert.deepEqual(answered.sources.map((source) => source.path), ['guide/ferry.md']);
    assert.ok(answered.sources[0].score >= 0.5, `probability ${answered.sources[0].score}`);

    const keywordsOnly = await ask(SYNONYM_QUESTION, new WorkspaceRetriever(() => keywordIndex, quiet));
    assert.ok(keywordsOnly.found.length > 0, 'BM25 matched the common words');
    assert.deepEqual(keywordsOnly.sources, []);

    const unrelated = await ask('What does a cat eat?', withReranker);
    assert.ok(unrelated.found.length > 0, 'BM25 matched the common words');
    assert.deepEqual(unrelated.sources, []);
    assert.match(unrelated.answer, /found nothing about this in the workspace documents/);
  });
});
