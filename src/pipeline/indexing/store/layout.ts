/**
 * The segments seen as one numbered collection, as search walks them: chunk `d` of segment
 * `s` is `bases[s] + d`, so the scores of a whole query fit in one flat array.
 */
import { lengthNorms } from './ranking';
import type { Segment } from './segment';

export interface Layout {
  segments: Segment[];
  bases: number[];
  total: number;
  /** 1 for chunks whose file still points at their segment. */
  live: Uint8Array;
  /** BM25's length normalisation of every chunk (see ranking.ts). */
  norms: Float32Array;
}

/** Numbers `segments` in this order; a chunk is live when `fileLive` says so of its file in its segment. */
export function layOut(segments: Segment[], fileLive: (segment: Segment, file: string) => boolean): Layout {
  const bases: number[] = [];
  let total = 0;
  for (const segment of segments) {
    bases.push(total);
    total += segment.size;
  }
  const live = new Uint8Array(total);
  segments.forEach((segment, s) => {
    const liveFiles = segment.files.map((file) => fileLive(segment, file));
    for (let d = 0; d < segment.size; d++) live[bases[s] + d] = liveFiles[segment.fileOf[d]] ? 1 : 0;
  });
  return { segments, bases, total, live, norms: lengthNorms(segments.map((segment) => segment.length), total) };
}
