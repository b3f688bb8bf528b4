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

export class Segment {
  private constructor(
    readonly id: number,
    /** Paths of the files whose chunks are here; `fileOf` points into it. */
    readonly files: string[],
    private readonly headings: string[],
    readonly fileOf: Uint32Array,
    /** Position of the chunk in its file (its id is `path#position`). */
    private readonly position: Uint32Array,
    private readonly startLine: Uint32Array,
    private readonly endLine: Uint32Array,
    /** PDF page, 0 for none. */
    private readonly page: Uint32Array,
    /** Index into `headings` plus one, 0 for none. */
    private readonly heading: Uint32Array,
    /** Words per chunk (BM25's document length). */
    readonly length: Uint32Array,
    private readonly textStarts: Uint32Array,
    private readonly text: Uint8Array,
    readonly folded: Postings,
    /** Per folded term: 1 when some of its words carry accents (then `exact` holds their forms). */
    readonly variants: Uint8Array,
    readonly exact: Postings,
    readonly vectors: SegmentVectors | undefined,
  ) {}

  /** Number of chunks (live or not). */
  get size(): number {
    return this.fileOf.length;
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
    return new Segment(
      id,
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
      Buffer.concat(encoded, textBytes),
      foldedPostings,
      variants,
      exactPostings,
      vectors,
    );
  }

  /** The same chunks under a new id, with these vectors (a new embedding model). */
  withVectors(id: number, vectors: SegmentVectors | undefined): Segment {
    return new Segment(
      id,
      this.files,
      this.headings,
      this.fileOf,
      this.position,
      this.startLine,
      this.endLine,
      this.page,
      this.heading,
      this.length,
      this.textStarts,
      this.text,
      this.folded,
      this.variants,
      this.exact,
      vectors,
    );
  }

  chunk(d: number): Chunk {
    const path = this.files[this.fileOf[d]];
    return {
      id: `${path}#${this.position[d]}`,
      path,
      text: this.chunkText(d),
      startLine: this.startLine[d],
      endLine: this.endLine[d],
      ...(this.page[d] ? { page: this.page[d] } : {}),
      ...(this.heading[d] ? { heading: this.headings[this.heading[d] - 1] } : {}),
    };
  }

  chunkText(d: number): string {
    return decoder.decode(this.text.subarray(this.textStarts[d], this.textStarts[d + 1]));
  }

  vector(d: number): Float32Array | undefined {
    if (!this.vectors) return undefined;
    const { dimension, data } = this.vectors;
    return data.subarray(d * dimension, (d + 1) * dimension);
  }

  encode(): Buffer {
    const sections: [SectionName, Uint8Array | ArrayBufferView][] = [
      ['fileOf', this.fileOf],
      ['position', this.position],
      ['startLine', this.startLine],
      ['endLine', this.endLine],
      ['page', this.page],
      ['heading', this.heading],
      ['length', this.length],
      ['textStarts', this.textStarts],
      ['text', this.text],
      ['foldedTerms', Buffer.from(this.folded.terms.join('\n'), 'utf8')],
      ['foldedStarts', this.folded.starts],
      ['foldedDocs', this.folded.docs],
      ['foldedFreqs', this.folded.freqs],
      ['variants', this.variants],
      ['exactTerms', Buffer.from(this.exact.terms.join('\n'), 'utf8')],
      ['exactStarts', this.exact.starts],
      ['exactDocs', this.exact.docs],
      ['exactFreqs', this.exact.freqs],
      ['vectors', this.vectors?.data ?? new Float32Array(0)],
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
      files: this.files,
      headings: this.headings,
      ...(this.vectors ? { vectors: { modelId: this.vectors.modelId, dimension: this.vectors.dimension } } : {}),
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
    const vectorBytes = raw('vectors');
    const vectors = header.vectors
      ? { ...header.vectors, data: new Float32Array(vectorBytes.buffer, vectorBytes.start, vectorBytes.length / 4) }
      : undefined;
    const segment = new Segment(
      id,
      header.files,
      header.headings,
      u32('fileOf'),
      u32('position'),
      u32('startLine'),
      u32('endLine'),
      u32('page'),
      u32('heading'),
      u32('length'),
      u32('textStarts'),
      u8('text'),
      new Postings(terms('foldedTerms'), u32('foldedStarts'), u32('foldedDocs'), u8('foldedFreqs')),
      u8('variants'),
      new Postings(terms('exactTerms'), u32('exactStarts'), u32('exactDocs'), u8('exactFreqs')),
      vectors,
    );
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
