/**
 * Hybrid retrieval: the workspace index with the real transformers.js embedder (a tiny
 * generated ONNX model) — vectors made while indexing, saved, re-made when the model
 * changes, fused with BM25 (store/ranking.ts; the fusion's rule itself: fusion.test.ts).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RequestToken } from '../../src/pipeline/cancellation';
import { Embedder } from '../../src/pipeline/embedding/embedder';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-hybrid-'));
const quiet = { log: () => {} };
const token = () => new RequestToken('test');

/** The index in `folder` opened again with `model`, and the [done, total] of each batch it embedded. */
async function reopenWith(folder: string, model: Embedder): Promise<{ reopened: WorkspaceIndex; progress: number[][] }> {
  const reopened = await WorkspaceIndex.open(folder, quiet);
  const progress: number[][] = [];
  await reopened.useEmbedder(model, token(), (done, total) => progress.push([done, total]));
  return { reopened, progress };
}

describe('hybrid retrieval', () => {
  let embedder: Embedder;
  let other: Embedder;
  const docs = path.join(root, 'docs');
  const store = path.join(root, 'store');
  const files = ['garden.md', 'coffee.md', 'code.md'].map((name) => ({ absPath: path.join(docs, name), displayPath: name }));

  before(async () => {
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(path.join(docs, 'garden.md'), '# Garden\nThe garden has apple trees and a small house.\n');
    fs.writeFileSync(path.join(docs, 'coffee.md'), '# Coffee\nCoffee and music at night in the city.\n');
    fs.writeFileSync(path.join(docs, 'code.md'), '# Code\nThe editor opens the code file of the extension.\n');
    embedder = await Embedder.load(writeTinyEmbedder(path.join(root, 'embedder-a')).dir, { threads: 1 });
    other = await Embedder.load(writeTinyEmbedder(path.join(root, 'embedder-b'), { seed: 7, dim: 48 }).dir, { threads: 1 });
  });
  after(async () => {
    await embedder?.dispose();
    await other?.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  });

  test('vectors find what keywords miss, and the fusion keeps keyword hits', async () => {
    const index = await WorkspaceIndex.open(store, quiet);
    await index.useEmbedder(embedder, token());
    await index.indexFiles(files, token());
    assert.equal(index.isHybrid, true);
    assert.ok(!index.search('gardening', 3).some((hit) => hit.path === 'garden.md'), 'BM25 alone does not match "gardening"');
    const vector = await index.embedQuery('gardening', token());
    assert.equal(index.search('gardening', 3, vector)[0]?.path, 'garden.md');
    const exact = await index.embedQuery('coffee music', token());
    assert.equal(index.search('coffee music', 3, exact)[0]?.path, 'coffee.md');
  });

  test('vectors are saved: reopening with the same model embeds nothing again', async () => {
    const { reopened, progress } = await reopenWith(store, embedder);
    assert.deepEqual(progress, [], 'no chunk lacked a vector');
    const vector = await reopened.embedQuery('gardening', token());
    assert.equal(reopened.search('gardening', 3, vector)[0]?.path, 'garden.md');
  });

  test('a different embedding model re-embeds every chunk instead of failing on the dimension', async () => {
    const { reopened, progress } = await reopenWith(store, other);
    const chunks = reopened.status().chunks;
    assert.deepEqual(progress.at(-1), [chunks, chunks]);
    const vector = await reopened.embedQuery('garden apple', token());
    assert.equal(vector?.length, 48);
    assert.equal(reopened.search('garden apple', 3, vector)[0]?.path, 'garden.md');
  });

  test('files indexed one at a time keep their vectors when their small segments are merged', async () => {
    const many = path.join(root, 'many-store');
    const index = await WorkspaceIndex.open(many, quiet);
    await index.useEmbedder(embedder, token());
    const copies = Array.from({ length: 9 }, (_, i) => files[i % files.length]).map((file, i) => {
      const absPath = path.join(docs, `copy-${i}-${file.displayPath}`);
      fs.copyFileSync(file.absPath, absPath);
      return { absPath, displayPath: `copy-${i}-${file.displayPath}` };
    });
    for (const file of copies) await index.indexFiles([file], token());
    const segments = fs.readdirSync(many).filter((name) => name.startsWith('seg-'));
    assert.ok(segments.length < 8, `${segments.length} segments after 9 one-file runs`);
    const { reopened, progress } = await reopenWith(many, embedder);
    assert.deepEqual(progress, [], 'every chunk still has its vector');
    const vector = await reopened.embedQuery('gardening', token());
    assert.match(reopened.search('gardening', 3, vector)[0]?.path ?? '', /garden\.md$/);
  });

  test('without an embedding model, search is keywords only', async () => {
    const reopened = await WorkspaceIndex.open(store, quiet);
    await reopened.useEmbedder(undefined, token());
    assert.equal(reopened.isHybrid, false);
    assert.equal(await reopened.embedQuery('garden', token()), undefined);
    assert.equal(reopened.search('garden', 1)[0]?.path, 'garden.md');
  });
});
