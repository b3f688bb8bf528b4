/**
 * A segment: an immutable batch of chunks with everything search needs — their text and
 * places, the keyword postings of both term forms, and optionally their vectors — in typed
 * arrays that go to disk as one binary file and come back as views over the bytes read,
 * without parsing. The index is a list of segments; a change writes a new small segment
 * instead of rewriting everything (see segmentIndex.ts for which chunks are live).
 *
 * Exact-form postings are kept only for the words that have accented forms in the segment:
 * for every other word the exact postings equal the folded ones, so English or German text
 * pays for one field, and Vietnamese, where accents tell words apart, for two.
 */
import type { Chunk } from '../types';
import { Postings, PostingsBuilder } from './postings';
import { exactTerms, foldTerm } from './terms';

const MAGIC = 0x4c524147; // "LRAG"
const YIELD_EVERY = 256;
const FORMAT = 1;

/** Vectors of every chunk of a segment, from one model. */
export interface SegmentVectors {
  modelId: string;
  dimension: number;
  /** `dimension` floats per chunk, in chunk order. */
  data: Float32Array;
}

interface Header {
  format: number;
  size: number;
  files: string[];
  headings: string[];
  vectors?: { modelId: string; dimension: number };
  sections: Record<SectionName, [offset: number, bytes: number]>;
}

type SectionName =
  | 'fileOf'
  | 'position'
  | 'startLine'
  | 'endLine'
  | 'page'
  | 'heading'
  | 'length'
  | 'textStarts'
  | 'text'
  | 'foldedTerms'
  | 'foldedStarts'
  | 'foldedDocs'
  | 'foldedFreqs'
  | 'variants'
  | 'exactTerms'
  | 'exactStarts'
  | 'exactDocs'
  | 'exactFreqs'
  | 'vectors';

const decoder = new TextDecoder();

/**
 * Everything a segment holds, column by column: chunk `d`'s facts are at index `d` of each
 * per-chunk array. `build` makes them from chunks, `decode` from a file's bytes; they are
 * named, not positional, because sixteen arrays of the same type are easy to swap unseen.
 */
export interface SegmentColumns {
  /** Paths of the files whose chunks are here; `fileOf` points into it. */
  files: string[];
  headings: string[];
  fileOf: Uint32Array;
  /** Position of the chunk in its file (its id is `path#position`). */
  position: Uint32Array;
  startLine: Uint32Array;
  endLine: Uint32Array;
  /** PDF page, 0 for none. */
  page: Uint32Array;
  /** Index into `headings` plus one, 0 for none. */
  heading: Uint32Array;
  /** Words per chunk (BM25's document length). */
  length: Uint32Array;
  /** Where each chunk's text starts in `text`, plus where the last one ends (`size + 1` entries). */
  textStarts: Uint32Array;
  /** Every chunk's text, UTF-8, back to back. */
  text: Uint8Array;
  folded: Postings;
  /** Per folded term: 1 when some of its words carry accents (then `exact` holds their forms). */
  variants: Uint8Array;
  exact: Postings;
  vectors: SegmentVectors | undefined;
}

export class Segment {
  private constructor(
    readonly id: number,
    readonly columns: Readonly<SegmentColumns>,
  ) {}

  /** Number of chunks (live or not). */
  get size(): number {
    return this.columns.fileOf.length;
  }

  get files(): string[] {
    return this.columns.files;
  }

  get fileOf(): Uint32Array {
    return this.columns.fileOf;
  }

  get length(): Uint32Array {
    return this.columns.length;
  }

  get folded(): Postings {
    return this.columns.folded;
  }

  get variants(): Uint8Array {
    return this.columns.variants;
  }

  get exact(): Postings {
    return this.columns.exact;
  }

  get vectors(): SegmentVectors | undefined {
    return this.columns.vectors;
  }

  /**
   * Indexes `chunks` (in file order, each file's chunks together). `vectors`, if given, hold
   * one per chunk. Yields to the event loop every few hundred chunks: a merge of thousands
   * must not hold up a Stop arriving meanwhile.
   */
  static async build(id: number, chunks: Chunk[], vectors?: SegmentVectors): Promise<Segment> {
    const files: string[] = [];
    const fileIndex = new Map<string, number>();
    const headings: string[] = [];
    const headingIndex = new Map<string, number>();
    const n = chunks.length;
    const fileOf = new Uint32Array(n);
    const position = new Uint32Array(n);
    const startLine = new Uint32Array(n);
    const endLine = new Uint32Array(n);
    const page = new Uint32Array(n);
    const heading = new Uint32Array(n);
    const length = new Uint32Array(n);
    const encoded: Uint8Array[] = [];
    const textStarts = new Uint32Array(n + 1);
    const folded = new PostingsBuilder();
    const exact = new PostingsBuilder();
    /** Folded term → whether an accented word folds to it. */
    const accented = new Map<string, boolean>();
    let textBytes = 0;
    for (let d = 0; d < n; d++) {
      if (d > 0 && d % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = chunks[d];
      let file = fileIndex.get(chunk.path);
      if (file === undefined) fileIndex.set(chunk.path, (file = files.push(chunk.path) - 1));
      fileOf[d] = file;
      position[d] = positionOf(chunk);
      startLine[d] = chunk.startLine;
      endLine[d] = chunk.endLine;
      page[d] = chunk.page ?? 0;
      if (chunk.heading) {
        let h = headingIndex.get(chunk.heading);
        if (h === undefined) headingIndex.set(chunk.heading, (h = headings.push(chunk.heading) - 1));
        heading[d] = h + 1;
      }
      const bytes = Buffer.from(chunk.text, 'utf8');
      encoded.push(bytes);
      textStarts[d] = textBytes;
      textBytes += bytes.length;

      const words = exactTerms(chunk.text);
      length[d] = words.length;
      const exactFreq = new Map<string, number>();
      const foldedFreq = new Map<string, number>();
      for (const word of words) {
        exactFreq.set(word, (exactFreq.get(word) ?? 0) + 1);
        const f = foldTerm(word);
        foldedFreq.set(f, (foldedFreq.get(f) ?? 0) + 1);
        if (f !== word) accented.set(f, true);
        else if (!accented.has(f)) accented.set(f, false);
      }
      folded.addDocument(d, foldedFreq);
      exact.addDocument(d, exactFreq);
    }
    textStarts[n] = textBytes;
    const foldedPostings = folded.build();
    const variants = new Uint8Array(foldedPostings.size);
    foldedPostings.terms.forEach((term, t) => (variants[t] = accented.get(term) ? 1 : 0));
    const exactPostings = exact.build((word) => accented.get(foldTerm(word)) === true);
    return new Segment(id, {
      files,
      headings,
      fileOf,
      position,
      startLine,
      endLine,
      page,
      heading,
      length,
      textStarts,
      text: Buffer.concat(encoded, textBytes),
      folded: foldedPostings,
      variants,
      exact: exactPostings,
      vectors,
    });
  }

  /** The same chunks under a new id, with these vectors (a new embedding model). */
  withVectors(id: number, vectors: SegmentVectors | undefined): Segment {
    return new Segment(id, { ...this.columns, vectors });
  }

  chunk(d: number): Chunk {
    const { files, fileOf, position, startLine, endLine, page, heading, headings } = this.columns;
    const path = files[fileOf[d]];
    return {
      id: `${path}#${position[d]}`,
      path,
      text: this.chunkText(d),
      startLine: startLine[d],
      endLine: endLine[d],
      ...(page[d] ? { page: page[d] } : {}),
      ...(heading[d] ? { heading: headings[heading[d] - 1] } : {}),
    };
  }

  chunkText(d: number): string {
    const { text, textStarts } = this.columns;
    return decoder.decode(text.subarray(textStarts[d], textStarts[d + 1]));
  }

  vector(d: number): Float32Array | undefined {
    if (!this.vectors) return undefined;
    const { dimension, data } = this.vectors;
    return data.subarray(d * dimension, (d + 1) * dimension);
  }

  encode(): Buffer {
    const c = this.columns;
    // The order of the sections is the file's layout: reordering them changes the bytes (and every checksum).
    const sections: [SectionName, Uint8Array | ArrayBufferView][] = [
      ['fileOf', c.fileOf],
      ['position', c.position],
      ['startLine', c.startLine],
      ['endLine', c.endLine],
      ['page', c.page],
      ['heading', c.heading],
      ['length', c.length],
      ['textStarts', c.textStarts],
      ['text', c.text],
      ['foldedTerms', Buffer.from(c.folded.terms.join('\n'), 'utf8')],
      ['foldedStarts', c.folded.starts],
      ['foldedDocs', c.folded.docs],
      ['foldedFreqs', c.folded.freqs],
      ['variants', c.variants],
      ['exactTerms', Buffer.from(c.exact.terms.join('\n'), 'utf8')],
      ['exactStarts', c.exact.starts],
      ['exactDocs', c.exact.docs],
      ['exactFreqs', c.exact.freqs],
      ['vectors', c.vectors?.data ?? new Float32Array(0)],
    ];
    const offsets = {} as Header['sections'];
    let offset = 0;
    for (const [name, view] of sections) {
      offsets[name] = [offset, view.byteLength];
      offset = align8(offset + view.byteLength);
    }
    const header: Header = {
      format: FORMAT,
      size: this.size,
      files: c.files,
      headings: c.headings,
      ...(c.vectors ? { vectors: { modelId: c.vectors.modelId, dimension: c.vectors.dimension } } : {}),
      sections: offsets,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const bodyStart = align8(8 + headerBytes.length);
    const out = Buffer.alloc(bodyStart + offset);
    out.writeUInt32LE(MAGIC, 0);
    out.writeUInt32LE(headerBytes.length, 4);
    headerBytes.copy(out, 8);
    for (const [name, view] of sections) {
      out.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), bodyStart + offsets[name][0]);
    }
    return out;
  }

  /** Reads what `encode` wrote; throws on anything else (a torn or foreign file). */
  static decode(id: number, bytes: Buffer): Segment {
    if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) throw new Error('not a Local RAG segment');
    const headerLength = bytes.readUInt32LE(4);
    const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Header;
    if (header.format !== FORMAT) throw new Error(`segment format ${header.format} is not ${FORMAT}`);
    const bodyStart = align8(8 + headerLength);
    // Typed-array views need aligned offsets; a pooled Buffer may not start on one.
    const body = (bytes.byteOffset + bodyStart) % 8 === 0 ? bytes.subarray(bodyStart) : Buffer.from(bytes.subarray(bodyStart));
    const end = Object.values(header.sections).reduce((max, [offset, length]) => Math.max(max, offset + length), 0);
    if (end > body.length) throw new Error('the segment file is truncated');
    const raw = (name: SectionName) => {
      const [offset, length] = header.sections[name];
      return { buffer: body.buffer, start: body.byteOffset + offset, length };
    };
    const u32 = (name: SectionName) => {
      const { buffer, start, length } = raw(name);
      return new Uint32Array(buffer, start, length / 4);
    };
    const u8 = (name: SectionName) => {
      const { buffer, start, length } = raw(name);
      return new Uint8Array(buffer, start, length);
    };
    const terms = (name: SectionName) => {
      const text = decoder.decode(u8(name));
      return text ? text.split('\n') : [];
    };
    const postings = (field: 'folded' | 'exact') => new Postings(terms(`${field}Terms`), u32(`${field}Starts`), u32(`${field}Docs`), u8(`${field}Freqs`));
    const vectorBytes = raw('vectors');
    const vectors = header.vectors
      ? { ...header.vectors, data: new Float32Array(vectorBytes.buffer, vectorBytes.start, vectorBytes.length / 4) }
      : undefined;
    const segment = new Segment(id, {
      files: header.files,
      headings: header.headings,
      fileOf: u32('fileOf'),
      position: u32('position'),
      startLine: u32('startLine'),
      endLine: u32('endLine'),
      page: u32('page'),
      heading: u32('heading'),
      length: u32('length'),
      textStarts: u32('textStarts'),
      text: u8('text'),
      folded: postings('folded'),
      variants: u8('variants'),
      exact: postings('exact'),
      vectors,
    });
    if (segment.size !== header.size || segment.folded.starts.length !== segment.folded.size + 1) throw new Error('the segment file is inconsistent');
    return segment;
  }
}

function positionOf(chunk: Chunk): number {
  const hash = chunk.id.lastIndexOf('#');
  return hash >= 0 ? Number(chunk.id.slice(hash + 1)) || 0 : 0;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
