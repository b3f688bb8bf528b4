/**
 * The columns of one segment made from the live chunks of several, by copying: the places,
 * the text's bytes (checked against their CRCs on the way), the int8 vectors and the
 * postings (mergePostings.ts). Nothing is re-tokenized, re-encoded or re-quantized, so
 * folding a hundred thousand chunks into one segment costs about what reading and writing
 * them does — what makes tiered merging (segmentIndex.ts) affordable at a million chunks.
 */
import type { Segment, SegmentColumns } from './segment';
import { NameList, newChunkColumns } from './chunkColumns';
import { exactSource, fieldSource, mergePostings } from './mergePostings';

/** Chunks `live` (ascending) of `segment`. */
export interface MergePart {
  segment: Segment;
  live: readonly number[];
}

const YIELD_EVERY = 4096;

export async function mergeColumns(parts: readonly MergePart[]): Promise<Omit<SegmentColumns, 'groups'>> {
  const n = parts.reduce((sum, { live }) => sum + live.length, 0);
  const files = new NameList();
  const headings = new NameList();
  const columns = newChunkColumns(n);
  const { fileOf, position, startLine, endLine, page, heading, length, textStarts, textCrcs } = columns;
  const renumbers: Int32Array[] = [];
  let textBytes = 0;
  let to = 0;
  for (const { segment, live } of parts) {
    const c = segment.columns;
    const renumber = new Int32Array(segment.size).fill(-1);
    renumbers.push(renumber);
    for (const d of live) {
      renumber[d] = to;
      // Only live chunks' files and headings are kept.
      fileOf[to] = files.numberOf(c.files[c.fileOf[d]]);
      position[to] = c.position[d];
      startLine[to] = c.startLine[d];
      endLine[to] = c.endLine[d];
      page[to] = c.page[d];
      heading[to] = c.heading[d] && headings.numberOf(c.headings[c.heading[d] - 1]) + 1;
      length[to] = c.length[d];
      textCrcs[to] = c.textCrcs[d];
      textStarts[to] = textBytes;
      textBytes += c.textStarts[d + 1] - c.textStarts[d];
      to++;
    }
  }
  textStarts[n] = textBytes;
  const text = await copyText(parts, textBytes);
  const folded = await mergePostings(parts.map(({ segment }, p) => fieldSource(segment.folded, renumbers[p], segment.variants)));
  const accented = new Set(folded.postings.terms.filter((_, t) => folded.flags[t]));
  const exact = await mergePostings(parts.map(({ segment }, p) => exactSource(segment.exact, segment.folded, segment.variants, accented, renumbers[p])));
  return {
    ...columns,
    files: files.names,
    headings: headings.names,
    text,
    folded: folded.postings,
    variants: folded.flags,
    exact: exact.postings,
    vectors: copyVectors(parts, n),
  };
}

/** The live chunks' text, back to back: read in runs of consecutive live chunks, each chunk checked. */
async function copyText(parts: readonly MergePart[], bytes: number): Promise<Uint8Array> {
  const out = new Uint8Array(bytes);
  let at = 0;
  let copied = 0;
  for (const { segment, live } of parts) {
    for (let i = 0; i < live.length; ) {
      let j = i + 1;
      while (j < live.length && live[j] === live[j - 1] + 1 && j - i < YIELD_EVERY) j++;
      const run = segment.textOf(live[i], live[j - 1] + 1);
      out.set(run, at);
      at += run.length;
      copied += j - i;
      i = j;
      if (copied >= YIELD_EVERY) {
        copied = 0;
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }
  return out;
}

/** The live chunks' int8 codes and scales, as they are (merging never re-quantizes). */
function copyVectors(parts: readonly MergePart[], n: number): SegmentColumns['vectors'] {
  const first = parts[0]?.segment.vectors;
  if (!first) return undefined;
  const { modelId, dimension } = first;
  const codes = new Int8Array(n * dimension);
  const scales = new Float32Array(n);
  let to = 0;
  for (const { segment, live } of parts) {
    const vectors = segment.vectors;
    if (!vectors || vectors.modelId !== modelId || vectors.dimension !== dimension) throw new Error('segments of different vector models cannot be merged');
    for (const d of live) {
      codes.set(vectors.codes.subarray(d * dimension, (d + 1) * dimension), to * dimension);
      scales[to++] = vectors.scales[d];
    }
  }
  return { modelId, dimension, codes, scales };
}
