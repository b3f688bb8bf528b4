/**
 * The segments seen as one numbered collection, as search walks them: chunk `d` of segment
 * `s` is `bases[s] + d`, so the scores of a whole query fit in one flat array.
 */
import type { Segment } from './segment';

export interface Layout {
  segments: Segment[];
  bases: number[];
  total: number;
  /** 1 for chunks whose file still points at their segment. */
  live: Uint8Array;
  /** Words per chunk, on average over every chunk (BM25's length normalisation, ranking.ts). */
  averageLength: number;
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
  let words = 0;
  segments.forEach((segment, s) => {
    const liveFiles = Uint8Array.from(segment.files, (file) => (fileLive(segment, file) ? 1 : 0));
    const { fileOf } = segment;
    const base = bases[s];
    for (let d = 0; d < fileOf.length; d++) live[base + d] = liveFiles[fileOf[d]];
    words += segment.words;
  });
  return { segments, bases, total, live, averageLength: total ? words / total : 1 };
}
