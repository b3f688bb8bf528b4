/** The per-chunk columns every segment has, and the lists of names (files, headings) they point into. */

/** Chunk `d`'s facts are at index `d` of each. */
export interface ChunkColumns {
  /** Index into the segment's `files`. */
  fileOf: Uint32Array;
  /** Position of the chunk in its file (its id is `path#position`). */
  position: Uint32Array;
  startLine: Uint32Array;
  endLine: Uint32Array;
  /** PDF page, 0 for none. */
  page: Uint32Array;
  /** Index into the segment's `headings` plus one, 0 for none. */
  heading: Uint32Array;
  /** Words per chunk (BM25's document length). */
  length: Uint32Array;
  /** Where each chunk's text starts in the text section, plus where the last one ends (`size + 1` entries). */
  textStarts: Uint32Array;
  /** CRC-32 of each chunk's text, checked when it is read from disk. */
  textCrcs: Uint32Array;
}

/** The columns of `n` chunks, zeroed (`textStarts` has one more entry: where the last text ends). */
export function newChunkColumns(n: number): ChunkColumns {
  return {
    fileOf: new Uint32Array(n),
    position: new Uint32Array(n),
    startLine: new Uint32Array(n),
    endLine: new Uint32Array(n),
    page: new Uint32Array(n),
    heading: new Uint32Array(n),
    length: new Uint32Array(n),
    textStarts: new Uint32Array(n + 1),
    textCrcs: new Uint32Array(n),
  };
}

/** Names in the order of their first use, each numbered once. */
export class NameList {
  readonly names: string[] = [];
  private readonly numbers = new Map<string, number>();

  numberOf(name: string): number {
    let at = this.numbers.get(name);
    if (at === undefined) this.numbers.set(name, (at = this.names.push(name) - 1));
    return at;
  }
}
