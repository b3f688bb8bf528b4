/** The million-chunk figures of bench/scale.ts, each with issue 15's target. */
import type { ScaleRun } from './scale';
import { median, type Figure } from './stats';

const MB = 1e6;

export function millionFigures({ chunks, label, dimension, storeBytes, build, probe }: ScaleRun): Figure[] {
  const name = (figure: string) => `${label} chunks: ${figure}`;
  const store = `${probe.chunks} chunks in ${probe.segments} segments, ${build.vectors}; built in ${(build.buildMs / 1000).toFixed(0)} s (exact neighbours included; builder peak RSS ${build.maxRssMb.toFixed(0)} MB)`;
  const vector = probe.vectorOnly;
  const sizeRatio = storeBytes / build.rawTextBytes;
  return [
    { name: name('cold load'), value: probe.loadMs, unit: 'ms', target: '≤ 3000 ms', detail: `open the saved index in a fresh process, ready to search; ${store}` },
    {
      name: name('peak memory of the process'),
      value: probe.maxRssMb,
      unit: 'MB',
      target: '≤ 1200 MB',
      detail: `max RSS: load, queries, changes; of which the embedder alone (a ${dimension}-dimension tiny ONNX model, loaded, one query embedded): ${probe.embedderRssMb.toFixed(0)} MB`,
    },
    { name: name('BM25 query p50'), value: probe.keyword.p50, unit: 'ms', target: '≤ 50 ms', detail: `keyword only, top 10, ${chunks / 1e6}M chunks of German and Spanish XQuAD text` },
    { name: name('BM25 query p95'), value: probe.keyword.p95, unit: 'ms', target: '≤ 150 ms' },
    {
      name: name('hybrid query p50 (query embedding included)'),
      value: probe.hybrid.p50,
      unit: 'ms',
      target: '≤ 80 ms',
      detail: `the question embedded (p50 ${probe.embedQuery.p50.toFixed(1)} ms), then searched with a topic-made query vector; vector search alone p50 ${vector?.p50.toFixed(1)} / p95 ${vector?.p95.toFixed(1)} ms`,
    },
    { name: name('hybrid query p95'), value: probe.hybrid.p95, unit: 'ms', target: '≤ 200 ms' },
    {
      name: name('vector search recall@10 against exact search'),
      value: vector?.recallAt10 ?? NaN,
      unit: '',
      target: '≥ 0.95',
      detail: `${vector?.queries} fresh topic-made queries; the index's vector hits (k = 10) against the exact top-10 by brute force over the vectors written`,
    },
    {
      name: name('saving a one-file change (median)'),
      value: median(probe.oneFileSaveMs),
      unit: 'ms',
      target: '≤ 200 ms',
      detail: `edit re-indexed and saved: ${probe.oneFileSaveMs.map((ms) => ms.toFixed(0)).join(', ')} ms; removal saved: ${probe.removeMs.map((ms) => ms.toFixed(0)).join(', ')} ms`,
    },
    {
      name: name('index size on disk'),
      value: storeBytes / MB,
      unit: 'MB',
      target: `≤ 2× the raw text (${((2 * build.rawTextBytes) / MB).toFixed(0)} MB)`,
      detail: `${sizeRatio.toFixed(2)}× the raw text: ${(build.rawTextBytes / MB).toFixed(0)} MB of chunk text (UTF-8)`,
    },
  ];
}
