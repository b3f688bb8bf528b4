/**
 * The index at scale, in two sizes (`BENCH_SCALE_SIZES`, default `100000,1000000`): hybrid
 * query latency (the query embedded by the tiny embedder, included), cold load, saving a
 * one-file change, and the peak memory of the process that does it. The store is built
 * through the index's own segment writer from XQuAD text (German and Spanish words in random
 * runs, ~800 characters a chunk), in a process of its own; the measuring runs in a fresh one,
 * as the pipeline would after a restart.
 *
 * Below a million chunks the vectors are random unit vectors of the tiny embedder's
 * 32 dimensions (the figures README and docs/benchmarks.md have always shown). From a million
 * on (issue 15's targets) they are 384-dimension topic-mixture vectors (topicVectors.ts),
 * since an approximate index's recall means something only where neighbours do, and the
 * recall of the index's vector search is measured against exact search over the same vectors.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Embedder } from '../src/pipeline/embedding/embedder';
import { writeTinyEmbedder } from '../test/fixtures/tinyOnnx';
import type { ScaleBuildRequest, ScaleBuildResult } from './scaleBuild';
import type { ScaleProbeMessage, ScaleProbeResult } from './scaleProbe';
import { runChild } from './scaleChild';
import { millionFigures } from './scaleMillionFigures';
import { median, runAlone, type Figure } from './stats';
import { xquadText, XQUAD } from './xquadStore';

export type { ScaleProbeResult };

const SIZES = (process.env.BENCH_SCALE_SIZES ?? process.env.BENCH_SCALE_CHUNKS ?? '100000,1000000').split(',').map(Number);
/** From this size on, issue 15's million-chunk setup and targets. */
const MILLION = 1_000_000;

export interface ScaleRun {
  chunks: number;
  /** "100k", "1M": the figures' prefix. */
  label: string;
  dimension: number;
  /** Bytes in the store folder. */
  storeBytes: number;
  build: ScaleBuildResult;
  probe: ScaleProbeResult;
}

export async function benchScale(): Promise<Figure[]> {
  if (!fs.existsSync(XQUAD)) {
    console.log(`No XQuAD data at ${XQUAD}: skipping the scale benchmarks.`);
    return [];
  }
  const figures: Figure[] = [];
  for (const chunks of SIZES) figures.push(...(await benchScaleSize(chunks)));
  return figures;
}

export async function benchScaleSize(chunks: number, million = chunks >= MILLION): Promise<Figure[]> {
  const label = chunks >= MILLION ? `${chunks / MILLION}M` : `${chunks / 1000}k`;
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-scale-'));
  try {
    const modelDir = writeTinyEmbedder(path.join(root, 'embedder'), million ? { dim: 384 } : {}).dir;
    const embedder = await Embedder.load(modelDir, { threads: 1 });
    const { modelId, dimension } = embedder;
    await embedder.dispose();
    // Every 12th XQuAD question (~200); every 24th at a million, where exhaustive search takes ~1 s a query.
    const questions = xquadText().questions.filter((_, i) => i % (million ? 24 : 12) === 0);
    const store = path.join(root, 'store');
    const buildFile = path.join(root, 'build.json');
    const request: ScaleBuildRequest = { store, chunks, modelId, dimension, topicQueries: million ? questions.length : undefined, out: buildFile };
    const building = await runChild('scaleBuild.ts', [JSON.stringify(request)], million ? 12_288 : 6144);
    if (!building.ok) return [failed(label, 'building the store', building.reason, building.peakRssMb)];
    const build = JSON.parse(fs.readFileSync(buildFile, 'utf8')) as ScaleBuildResult;
    const storeBytes = fs.readdirSync(store).reduce((sum, name) => sum + fs.statSync(path.join(store, name)).size, 0);
    const questionsFile = path.join(root, 'questions.json');
    fs.writeFileSync(questionsFile, JSON.stringify(questions));
    let stage = 'starting';
    let loadMs: number | undefined;
    const probing = await runChild('scaleProbe.ts', [store, modelDir, path.join(root, 'docs'), questionsFile, ...(million ? [buildFile] : [])], million ? 12_288 : 6144, (message) => {
      const m = message as ScaleProbeMessage;
      if ('stage' in m) ({ stage, loadMs } = { stage: m.stage, loadMs: m.loadMs ?? loadMs });
    });
    if (!probing.ok) {
      const reached = loadMs === undefined ? '' : `; it had loaded the index in ${loadMs.toFixed(0)} ms`;
      return [failed(label, 'measuring', `${probing.reason} after '${stage}'${reached}`, probing.peakRssMb)];
    }
    const probe = (probing.result as { result: ScaleProbeResult }).result;
    const run: ScaleRun = { chunks, label, dimension, storeBytes, build, probe };
    return million ? millionFigures(run) : hundredThousandFigures(run);
  } finally {
    if (!process.env.BENCH_KEEP) fs.rmSync(root, { recursive: true, force: true });
    else console.log('kept', root);
  }
}

/** The figures README and docs/benchmarks.md show for 100k chunks, under the same names. */
function hundredThousandFigures({ label, dimension, storeBytes, build, probe }: ScaleRun): Figure[] {
  const detail = `${probe.chunks} chunks in ${probe.segments} segments, ${(storeBytes / 1e6).toFixed(0)} MB on disk, ${dimension}-dimension vectors; built in ${(build.buildMs / 1000).toFixed(1)} s`;
  return [
    { name: `${label} chunks: hybrid query p50 (query embedding included)`, value: probe.hybrid.p50, unit: 'ms', target: '≤ 30 ms', detail },
    { name: `${label} chunks: hybrid query p95`, value: probe.hybrid.p95, unit: 'ms', target: '≤ 100 ms', detail: `keyword only p50 ${probe.keyword.p50.toFixed(1)} / p95 ${probe.keyword.p95.toFixed(1)} ms; query embedding p50 ${probe.embedQuery.p50.toFixed(1)} ms` },
    { name: `${label} chunks: cold load`, value: probe.loadMs, unit: 'ms', target: '≤ 2000 ms', detail: 'open the saved index in a fresh process, ready to search' },
    {
      name: `${label} chunks: saving a one-file change (median)`,
      value: median(probe.oneFileSaveMs),
      unit: 'ms',
      target: '≤ 200 ms',
      detail: `edit re-indexed and saved: ${probe.oneFileSaveMs.map((ms) => ms.toFixed(0)).join(', ')} ms; removal saved: ${probe.removeMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    },
    { name: `${label} chunks: peak memory of the process`, value: probe.maxRssMb, unit: 'MB', detail: `max RSS: load, queries, changes (the embedder alone: ${probe.embedderRssMb.toFixed(0)} MB)` },
  ];
}

/** One figure in place of a size's figures when a process died: why, and the memory it had reached. */
function failed(label: string, what: string, reason: string, peakRssMb: number | undefined): Figure {
  return {
    name: `${label} chunks: ${what} failed`,
    value: peakRssMb ?? NaN,
    unit: 'MB',
    detail: `${reason}; peak RSS reached ${peakRssMb === undefined ? 'unknown' : `${peakRssMb.toFixed(0)} MB`}`,
  };
}

if (require.main === module) runAlone(benchScale);
