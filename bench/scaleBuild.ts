/**
 * The building half of bench/scale.ts, in a process of its own so that its memory (the
 * writer holds every segment until it saves) is gone before the measuring starts. Writes
 * the store and, with topic vectors, fresh query vectors and their exact top-10 over every
 * vector written (ExactNeighbours, as the vectors stream by: nothing else keeps them).
 */
import * as fs from 'node:fs';
import { mulberry32 } from '../test/fixtures/random';
import { ExactNeighbours } from './exactNeighbours';
import { TopicVectors } from '../test/fixtures/topicVectors';
import { buildXquadStore, xquadChunkId } from './xquadStore';

export interface ScaleBuildRequest {
  store: string;
  chunks: number;
  modelId: string;
  dimension: number;
  /** Topic-mixture vectors and this many queries with their exact neighbours; random unit vectors without. */
  topicQueries?: number;
  /** Where the result goes, as JSON. */
  out: string;
}

export interface ScaleBuildResult {
  buildMs: number;
  /** UTF-8 bytes of every chunk's text. */
  rawTextBytes: number;
  vectors: string;
  /** The query vectors (with `topicQueries`), and each one's exact 10 nearest chunk ids, nearest first. */
  queries: number[][];
  exactTop10: string[][];
  /** Peak RSS of this process, MB. */
  maxRssMb: number;
}

const TOPIC_SEED = 384;
const QUERY_SEED = 7;
const K = 10;
const PROGRESS_EVERY = 100_000;

async function build(request: ScaleBuildRequest): Promise<ScaleBuildResult> {
  const topics = request.topicQueries ? new TopicVectors(request.dimension, TOPIC_SEED) : undefined;
  const queryRandom = mulberry32(QUERY_SEED);
  const queries = topics ? Array.from({ length: request.topicQueries! }, () => topics.draw(queryRandom)) : [];
  const exact = queries.length ? await ExactNeighbours.create(queries, K) : undefined;
  let rawTextBytes = 0;
  const started = Date.now();
  const buildMs = await buildXquadStore(request.store, request.chunks, { modelId: request.modelId, dimension: request.dimension, topics }, async (ordinal, text, vector) => {
    // A million chunks take minutes: say how it goes.
    if (ordinal > 0 && ordinal % PROGRESS_EVERY === 0) console.log(`scale: ${ordinal} of ${request.chunks} chunks written, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    rawTextBytes += Buffer.byteLength(text);
    if (exact && vector) await exact.add(vector);
  });
  const exactTop10 = exact ? (await exact.result()).map((ordinals) => ordinals.map(xquadChunkId)) : [];
  return {
    buildMs,
    rawTextBytes,
    vectors: topics?.description ?? `${request.dimension}-dimension random unit vectors`,
    queries: queries.map((query) => [...query]),
    exactTop10,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
}

if (require.main === module) {
  const request = JSON.parse(process.argv[2]) as ScaleBuildRequest;
  build(request)
    .then((result) => {
      fs.writeFileSync(request.out, JSON.stringify(result));
      process.exit(0);
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exit(1);
    });
}
