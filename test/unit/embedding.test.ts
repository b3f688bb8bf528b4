/**
 * Embedder and Reranker (src/pipeline/embedding) on the real @huggingface/transformers +
 * onnxruntime-node stack, with tiny generated models (test/fixtures/tinyOnnx.ts) whose
 * vectors and relevance logits carry lexical overlap: texts that share words are closer.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken, CancelledError } from '../../src/pipeline/cancellation';
import { Embedder, dot } from '../../src/pipeline/embedding/embedder';
import { ModelLoadError } from '../../src/pipeline/embedding/modelFolder';
import { loadTransformers } from '../../src/pipeline/embedding/worker/transformers';
import { Reranker } from '../../src/pipeline/embedding/reranker';
import { writeTinyCrossEncoder, writeTinyEmbedder } from '../fixtures/tinyOnnx';

const DIM = 32;

let dir: string;
let embedderDir: string;
let crossEncoderDir: string;
let embedder: Embedder;
let reranker: Reranker;

const QUERY = 'how do I install the extension';
const MATCHING = 'install the extension from the marketplace';
const UNRELATED = 'the weather is sunny today';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-embedding-'));
  embedderDir = path.join(dir, 'tiny-embedder');
  crossEncoderDir = path.join(dir, 'tiny-cross-encoder');
  writeTinyEmbedder(embedderDir, { dim: DIM });
  writeTinyCrossEncoder(crossEncoderDir, { dim: DIM });
  embedder = await Embedder.load(embedderDir, { threads: 1, batchSize: 2 });
  reranker = await Reranker.load(crossEncoderDir, { threads: 1, batchSize: 2 });
});

after(async () => {
  await embedder?.dispose();
  await reranker?.dispose();
  fs.rmSync(dir, { recursive: true, force: true });
});

const token = (): RequestToken => new RequestToken('test');
const norm = (v: Float32Array): number => Math.sqrt(dot(v, v));

describe('tiny ONNX fixture', () => {
  test('writes the same bytes for the same options, quickly', () => {
    const a = path.join(dir, 'det-a');
    const b = path.join(dir, 'det-b');
    const started = performance.now();
    writeTinyEmbedder(a, { seed: 7 });
    writeTinyCrossEncoder(path.join(dir, 'det-ce'), { seed: 7 });
    const elapsed = performance.now() - started;
    writeTinyEmbedder(b, { seed: 7 });
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']) {
      assert.deepEqual(fs.readFileSync(path.join(a, file)), fs.readFileSync(path.join(b, file)), file);
    }
    assert.ok(elapsed < 1000, `took ${elapsed} ms`);
  });

  test('tokenizes ASCII, English and Vietnamese without [UNK]', async () => {
    const { AutoTokenizer } = await loadTransformers();
    const tokenizer = await AutoTokenizer.from_pretrained(embedderDir, { local_files_only: true });
    assert.deepEqual(tokenizer.tokenize('Tiếng Việt là ngôn ngữ'), ['tiếng', 'việt', 'là', 'ngôn', 'ngữ']);
    assert.deepEqual(tokenizer.tokenize('install xyz42'), ['install', 'x', '##y', '##z', '##4', '##2']);
    // Decomposed (NFD) input is composed first.
    assert.deepEqual(tokenizer.tokenize('Việt'.normalize('NFD')), ['việt']);
    assert.ok(!tokenizer.tokenize('Cà phê sữa đá ở Sài Gòn, phở Hà Nội!').includes('[UNK]'));
  });
});

describe('Embedder', () => {
  test('has the model dimension and an identity that follows the model', async () => {
    assert.equal(embedder.dimension, DIM);
    assert.equal(embedder.modelDir, embedderDir);
    assert.match(embedder.modelId, /^tiny-embedder@[0-9a-f]{16}$/);

    const other = path.join(dir, 'tiny-embedder-64');
    writeTinyEmbedder(other, { dim: 64 });
    const wide = await Embedder.load(other, { threads: 1 });
    try {
      assert.equal(wide.dimension, 64);
      assert.equal((await wide.embedQuery('hello')).length, 64);
      assert.notEqual(wide.modelId.split('@')[1], embedder.modelId.split('@')[1]);
    } finally {
      await wide.dispose();
    }
    // The same model in another load has the same identity.
    const again = await Embedder.load(embedderDir, { threads: 1 });
    try {
      assert.equal(again.modelId, embedder.modelId);
    } finally {
      await again.dispose();
    }
  });

  test('gives the same normalized vector for the same text', async () => {
    const a = await embedder.embedQuery(QUERY);
    const b = await embedder.embedQuery(QUERY);
    assert.ok(a instanceof Float32Array);
    assert.equal(a.length, DIM);
    assert.deepEqual(a, b);
    assert.ok(Math.abs(norm(a) - 1) < 1e-5, `norm ${norm(a)}`);

    // Whatever the batch and its padding, a passage gets the same vector, in input order.
    const texts = [MATCHING, 'a much longer passage about the history of the river and the mountain and the sea', UNRELATED, MATCHING, 'tea'];
    const vectors = await embedder.embedPassages(texts, token());
    assert.equal(vectors.length, texts.length);
    for (const v of vectors) assert.ok(Math.abs(norm(v) - 1) < 1e-5);
    const alone = await Promise.all(texts.map(async (t) => (await embedder.embedPassages([t], token()))[0]));
    texts.forEach((_, i) => assert.ok(dot(vectors[i], alone[i]) > 1 - 1e-5, `text ${i}`));
    assert.ok(dot(vectors[0], vectors[3]) > 1 - 1e-5);
  });

  test('puts a passage that shares the query words above one that does not', async () => {
    const q = await embedder.embedQuery(QUERY);
    const [a, b] = await embedder.embedPassages([MATCHING, UNRELATED], token());
    assert.ok(dot(q, a) > dot(q, b) + 0.1, `cos(q, A) ${dot(q, a)} vs cos(q, B) ${dot(q, b)}`);

    // A small retrieval: each query finds its own passage first.
    const passages = [
      'the python library reads the database table',
      'rain and snow in the mountain village this week',
      'coffee and tea with rice for the student',
      'click the settings window to change the keyboard language',
    ];
    const queries = ['python database', 'snow mountain', 'coffee tea', 'keyboard settings'];
    const pv = await embedder.embedPassages(passages, token());
    for (const [i, query] of queries.entries()) {
      const qv = await embedder.embedQuery(query);
      const ranked = pv.map((v, j) => ({ j, score: dot(qv, v) })).sort((x, y) => y.score - x.score);
      assert.equal(ranked[0].j, i, `${query}: ${JSON.stringify(ranked)}`);
    }
  });

  test('embeds Vietnamese and ranks by shared syllables', async () => {
    const q = await embedder.embedQuery('cà phê sữa đá');
    const [coffee, pho] = await embedder.embedPassages(['Quán cà phê sữa đá ở Sài Gòn', 'Phở bò Hà Nội ngon nhất'], token());
    assert.equal(q.length, DIM);
    for (const v of [q, coffee, pho]) assert.ok(v.every(Number.isFinite));
    assert.ok(dot(q, coffee) > dot(q, pho), `${dot(q, coffee)} vs ${dot(q, pho)}`);
  });

  test('stops between batches when cancelled, and before the first when already cancelled', async () => {
    const texts = ['one', 'two', 'three', 'four', 'five'];
    const cancelling = token();
    const progress: Array<[number, number]> = [];
    await assert.rejects(
      embedder.embedPassages(texts, cancelling, (done, total) => {
        progress.push([done, total]);
        cancelling.cancel();
      }),
      CancelledError,
    );
    assert.deepEqual(progress, [[2, 5]]);

    const cancelled = token();
    cancelled.cancel();
    let batches = 0;
    await assert.rejects(embedder.embedPassages(texts, cancelled, () => batches++), CancelledError);
    assert.equal(batches, 0);
    await assert.rejects(embedder.embedQuery('one', cancelled), CancelledError);

    const all: Array<[number, number]> = [];
    await embedder.embedPassages(texts, token(), (done, total) => all.push([done, total]));
    assert.deepEqual(all, [[2, 5], [4, 5], [5, 5]]);
    assert.deepEqual(await embedder.embedPassages([], token()), []);
  });

  test('names the folder when the model is missing or broken', async () => {
    const missing = path.join(dir, 'no-such-model');
    await assert.rejects(Embedder.load(missing), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.equal(error.modelDir, missing);
      assert.match(error.message, /no-such-model" does not exist/);
      return true;
    });

    const incomplete = path.join(dir, 'incomplete');
    writeTinyEmbedder(incomplete);
    fs.rmSync(path.join(incomplete, 'onnx', 'model.onnx'));
    fs.rmSync(path.join(incomplete, 'tokenizer_config.json'));
    await assert.rejects(Embedder.load(incomplete), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.ok(error.message.includes(`"${incomplete}"`), error.message);
      assert.match(error.message, /tokenizer_config\.json, onnx\/model\.onnx missing/);
      return true;
    });
    await assert.rejects(Embedder.load(path.join(dir, 'tiny-embedder'), { dtype: 'q8' }), /onnx\/model_quantized\.onnx missing/);

    const broken = path.join(dir, 'broken');
    writeTinyEmbedder(broken);
    fs.writeFileSync(path.join(broken, 'onnx', 'model.onnx'), 'this is not an ONNX model');
    await assert.rejects(Embedder.load(broken, { threads: 1 }), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.ok(error.message.startsWith(`Could not load the embedding model in "${broken}": `), error.message);
      return true;
    });

    const badConfig = path.join(dir, 'bad-config');
    writeTinyEmbedder(badConfig);
    fs.writeFileSync(path.join(badConfig, 'config.json'), '{ not json');
    await assert.rejects(Embedder.load(badConfig), /bad-config" has an unreadable config\.json/);
  });

  test('refuses work after dispose', async () => {
    const short = await Embedder.load(embedderDir, { threads: 1 });
    await short.dispose();
    await short.dispose();
    await assert.rejects(short.embedQuery('x'), /was disposed/);
  });
});

describe('Reranker', () => {
  test('scores a passage that shares the query words above one that does not', async () => {
    const scores = await reranker.score(QUERY, [UNRELATED, MATCHING, 'the extension', 'rain'], token());
    assert.equal(scores.length, 4);
    for (const s of scores) assert.ok(s > 0 && s < 1, `score ${s}`);
    assert.ok(scores[1] > scores[0] + 0.3, JSON.stringify(scores));
    assert.ok(scores[2] > scores[3], JSON.stringify(scores));
    // Deterministic, and the same whatever the batch.
    const again = await reranker.score(QUERY, [MATCHING], token());
    assert.ok(Math.abs(again[0] - scores[1]) < 1e-6);
    assert.match(reranker.modelId, /^tiny-cross-encoder@[0-9a-f]{16}$/);
  });

  test('reranks Vietnamese by shared syllables', async () => {
    const [coffee, pho] = await reranker.score('cà phê sữa đá', ['Quán cà phê sữa đá ở Sài Gòn', 'Phở bò Hà Nội ngon nhất'], token());
    assert.ok(coffee > pho, `${coffee} vs ${pho}`);
  });

  test('stops between batches when cancelled', async () => {
    const cancelled = token();
    cancelled.cancel();
    await assert.rejects(reranker.score(QUERY, [MATCHING], cancelled), CancelledError);
    assert.deepEqual(await reranker.score(QUERY, [], token()), []);
  });

  test('names the folder when the model is missing or broken', async () => {
    await assert.rejects(Reranker.load(path.join(dir, 'nothing-here')), /reranker model folder ".*nothing-here" does not exist/);
    const broken = path.join(dir, 'broken-ce');
    writeTinyCrossEncoder(broken);
    fs.writeFileSync(path.join(broken, 'onnx', 'model.onnx'), Buffer.alloc(64, 7));
    await assert.rejects(Reranker.load(broken, { threads: 1 }), (error: unknown) => {
      assert.ok(error instanceof ModelLoadError);
      assert.ok(error.message.startsWith(`Could not load the reranker model in "${broken}": `), error.message);
      return true;
    });
  });
});
