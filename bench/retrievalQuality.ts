/**
 * Retrieval quality on XQuAD (bench/data/xquad): every paragraph a Markdown document,
 * indexed by the project's own indexer, every question through the project's own search;
 * Recall@1, Recall@5 and MRR@10 of the paragraph that holds the answer, with the questions
 * as written and with their accents stripped (as people often type). Then what the optional
 * cross-encoder adds to a question's retrieval time. `--keyword-only` stops after BM25 alone.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken } from '../src/pipeline/cancellation';
import { Embedder } from '../src/pipeline/embedding/embedder';
import { Reranker } from '../src/pipeline/embedding/reranker';
import { RERANK_CANDIDATES, WorkspaceRetriever } from '../src/pipeline/retrieval/workspaceRetriever';
import { writeTinyCrossEncoder, writeTinyEmbedder } from '../test/fixtures/tinyOnnx';
import { walkFolder } from '../src/pipeline/indexing/walk';
import { WorkspaceIndex } from '../src/pipeline/indexing/workspaceIndex';
import { median, type Figure } from './stats';

const DATA = path.resolve(__dirname, 'data/xquad');
const QUIET = { log: () => {} };

interface Squad {
  data: { title: string; paragraphs: { context: string; qas: { question: string }[] }[] }[];
}

/** Strips accents as a person typing without them would (NFD, drop marks, đ→d), keeping case. */
function stripAccents(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/đ/g, 'd')
    .replace(/Đ/g, 'D');
}

interface Indexed {
  index: WorkspaceIndex;
  questions: { question: string; expected: string }[];
  /** The generated Markdown files go when the benchmark is done with them. */
  remove(): void;
}

/** Every paragraph of XQuAD `language` a Markdown file, indexed (with `embedder`'s vectors when given). */
async function indexLanguage(language: string, embedder?: Embedder): Promise<Indexed> {
  const squad = JSON.parse(fs.readFileSync(path.join(DATA, `xquad.${language}.json`), 'utf8')) as Squad;
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), `local-rag-xquad-${language}-`));
  const remove = () => fs.rmSync(folder, { recursive: true, force: true });
  const questions: { question: string; expected: string }[] = [];
  try {
    squad.data.forEach((article, a) =>
      article.paragraphs.forEach((paragraph, p) => {
        const relative = `${String(a).padStart(2, '0')}-${article.title.replace(/[^\w-]+/g, '_')}/${p}.md`;
        fs.mkdirSync(path.join(folder, path.dirname(relative)), { recursive: true });
        fs.writeFileSync(path.join(folder, relative), `${paragraph.context}\n`);
        for (const qa of paragraph.qas) questions.push({ question: qa.question, expected: relative });
      }),
    );
    const index = await WorkspaceIndex.open(undefined, QUIET);
    const token = new RequestToken('bench');
    await index.useEmbedder(embedder, token);
    await index.indexFiles(await walkFolder(folder), token);
    return { index, questions, remove };
  } catch (error) {
    remove();
    throw error;
  }
}

async function evaluate(language: string, embedder?: Embedder): Promise<Figure[]> {
  const mode = embedder ? 'hybrid (BM25 + tiny embedder, calibrated fusion)' : 'BM25';
  const { index, questions, remove } = await indexLanguage(language, embedder);
  const token = new RequestToken('bench');
  try {
    const figures: Figure[] = [];
    for (const [variant, transform] of [
      ['as written', (q: string) => q],
      ['accents stripped', stripAccents],
    ] as const) {
      let r1 = 0;
      let r5 = 0;
      let mrr = 0;
      for (const { question, expected } of questions) {
        const query = transform(question);
        const ranked = index.search(query, 10, await index.embedQuery(query, token)).map((hit) => hit.path);
        const rank = ranked.indexOf(expected);
        if (rank === 0) r1++;
        if (rank >= 0 && rank < 5) r5++;
        if (rank >= 0) mrr += 1 / (rank + 1);
      }
      const n = questions.length;
      figures.push({
        name: `XQuAD ${language} ${mode}, questions ${variant}: R@1`,
        value: r1 / n,
        unit: '',
        detail: `R@5 ${(r5 / n).toFixed(3)}, MRR@10 ${(mrr / n).toFixed(3)}, ${n} questions, ${index.status().chunks} chunks`,
      });
    }
    return figures;
  } finally {
    remove();
  }
}

/**
 * The optional cross-encoder's share of a question's retrieval (embed the query, search,
 * fuse; then rerank the best 20 with the tiny cross-encoder): each question retrieved both
 * ways, in turn, on the hybrid German index.
 */
async function rerankerShare(embedder: Embedder): Promise<Figure[]> {
  const { index, questions, remove } = await indexLanguage('de', embedder);
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-tiny-cross-encoder-'));
  const reranker = await Reranker.load(writeTinyCrossEncoder(modelDir).dir, { threads: 1 });
  try {
    const plain = new WorkspaceRetriever(() => index, QUIET);
    const reranking = new WorkspaceRetriever(() => index, QUIET, 5, () => reranker);
    const time = async (retriever: WorkspaceRetriever, question: string): Promise<number> => {
      const start = performance.now();
      await retriever.retrieve(question, new RequestToken('bench'));
      return performance.now() - start;
    };
    const asked = questions.filter((_, i) => i % 6 === 0).map(({ question }) => question);
    for (const question of asked.slice(0, 10)) await time(reranking, question); // warm up
    const without: number[] = [];
    const withReranker: number[] = [];
    for (const question of asked) {
      without.push(await time(plain, question));
      withReranker.push(await time(reranking, question));
    }
    const share = withReranker.map((total, i) => (total - without[i]) / total);
    return [
      {
        name: `XQuAD de hybrid retrieval: the reranker's share of a question (top ${RERANK_CANDIDATES}, tiny cross-encoder), median`,
        value: median(share) * 100,
        unit: '%',
        detail: `retrieval with reranking median ${median(withReranker).toFixed(1)} ms, without ${median(without).toFixed(1)} ms, ${asked.length} questions, ${index.status().chunks} chunks`,
      },
    ];
  } finally {
    await reranker.dispose();
    fs.rmSync(modelDir, { recursive: true, force: true });
    remove();
  }
}

/** Keyword search alone (no embedder), German then Spanish: the figures ranking levers are measured on, in seconds. */
async function keywordOnly(): Promise<Figure[]> {
  return [...(await evaluate('de')), ...(await evaluate('es'))];
}

export async function benchRetrievalQuality(): Promise<Figure[]> {
  if (!fs.existsSync(DATA)) {
    console.log(`No XQuAD data at ${DATA}: skipping the retrieval-quality benchmark.`);
    return [];
  }
  const figures = await keywordOnly();
  const modelDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-tiny-embedder-'));
  const embedder = await Embedder.load(writeTinyEmbedder(modelDir).dir, { threads: 1 });
  try {
    figures.push(...(await evaluate('de', embedder)), ...(await evaluate('es', embedder)), ...(await rerankerShare(embedder)));
  } finally {
    await embedder.dispose();
    fs.rmSync(modelDir, { recursive: true, force: true });
  }
  return figures;
}

if (require.main === module) {
  // --keyword-only: BM25 alone, without the tiny embedder's hybrid rows and the reranker's share.
  void (process.argv.includes('--keyword-only') ? keywordOnly() : benchRetrievalQuality()).then((figures) => {
    for (const f of figures) console.log(`${f.name}: ${f.value.toFixed(3)}  (${f.detail})`);
  });
}

