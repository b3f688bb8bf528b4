/**
 * A segment: an immutable batch of chunks with everything search needs — their places, the
 * keyword postings of both term forms, optionally their vectors (int8, quantizedVectors.ts),
 * and their text — in typed arrays that go to disk as one binary file and come back as
 * views over the bytes read, without parsing. The index is a list of segments; a change
 * writes a new small segment instead of rewriting everything (see segmentIndex.ts for which
 * chunks are live).
 *
 * The text is the file's last section and is not read at load: a loaded segment reads a
 * passage from disk when it is needed (segmentText.ts), checked against a CRC-32 per chunk.
 * Only a segment built in memory and not saved yet, or one of format 1 (whose text sits in
 * the middle of the file and is covered by one checksum of the whole file), holds its text.
 *
 * Exact-form postings are kept only for the words that have accented forms in the segment:
 * for every other word the exact postings equal the folded ones, so English or German text
 * pays for one field, and Vietnamese, where accents tell words apart, for two.
 */
import type { Chunk } from '../types';
import { Postings, PostingsBuilder } from './postings';
import { dequantize, quantize, type QuantizedVectors } from './quantizedVectors';
import { GROUPS, membersByGroup } from './vectorCodebook';
import { closeDescriptor, DamagedTextError, openDescriptor, TextFile, textChecksum } from './segmentText';
import { exactTerms, foldTerm } from './terms';
import { mergeColumns, type MergePart } from './segmentMerge';
import { NameList, newChunkColumns, type ChunkColumns } from './chunkColumns';

export type { QuantizedVectors };

const MAGIC = 0x4c524147; // "LRAG"
const YIELD_EVERY = 256;
/**
 * 3: chunk numbers in the postings as varint gaps (postings.ts). 2: text last, with a
 * checksum per chunk; vectors as int8. 1: float32 vectors, the text amid the columns.
 * Formats 2 and 3 are read as they are, format 1 is rewritten by the next save.
 */
const FORMAT = 3;
const PLAIN_DOCS_FORMAT = 2;
const LEGACY_FORMAT = 1;

/** Vectors of every chunk of a segment, from one model, as the embedder gave them. */
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
  /** The codebook (vectorCodebook.ts) whose groups the `groups` section names. */
  groups?: { codebook: number };
  sections: Record<string, [offset: number, bytes: number]>;
}

/** Format 2's sections, in the file's order: everything up to `text` is read at load and covered by the manifest's checksum. */
type SectionName =
  | 'fileOf'
  | 'position'
  | 'startLine'
  | 'endLine'
  | 'page'
  | 'heading'
  | 'length'
  | 'textStarts'
  | 'textCrcs'
  | 'foldedTerms'
  | 'foldedStarts'
  | 'foldedDocs'
  | 'foldedDocStarts'
  | 'foldedFreqs'
  | 'variants'
  | 'exactTerms'
  | 'exactStarts'
  | 'exactDocs'
  | 'exactDocStarts'
  | 'exactFreqs'
  | 'vectorScales'
  | 'vectors'
  | 'groups'
  | 'text';

const decoder = new TextDecoder();

/**
 * Everything a segment holds, column by column: chunk `d`'s facts are at index `d` of each
 * per-chunk array. `build` makes them from chunks, `decode` from a file's bytes; they are
 * named, not positional, because sixteen arrays of the same type are easy to swap unseen.
 */
export interface SegmentColumns extends ChunkColumns {
  /** Paths of the files whose chunks are here; `fileOf` points into it. */
  files: string[];
  headings: string[];
  /** Every chunk's text, UTF-8, back to back — only while it is in memory (see the file's comment); else on disk. */
  text: Uint8Array | undefined;
  folded: Postings;
  /** Per folded term: 1 when some of its words carry accents (then `exact` holds their forms). */
  variants: Uint8Array;
  exact: Postings;
  vectors: QuantizedVectors | undefined;
  /** Per chunk: its group in codebook `codebook` (the approximate vector index); absent when the segment was built without one. */
  groups: VectorGroups | undefined;
}

/** Each chunk's group in a codebook. */
export interface VectorGroups {
  codebook: number;
  of: Uint16Array;
}

export class Segment {
  private members: { starts: Uint32Array; members: Uint32Array } | undefined;
  private wordCount: number | undefined;

  private constructor(
    readonly id: number,
    private cols: Readonly<SegmentColumns>,
    private textFile?: TextFile,
    /** Read from a format-1 file: rewritten in the current format by the next save. */
    readonly legacy = false,
  ) {}

  get columns(): Readonly<SegmentColumns> {
    return this.cols;
  }

  /** Number of chunks (live or not). */
  get size(): number {
    return this.cols.fileOf.length;
  }

  get files(): string[] {
    return this.cols.files;
  }

  get fileOf(): Uint32Array {
    return this.cols.fileOf;
  }

  get length(): Uint32Array {
    return this.cols.length;
  }

  /** Words in all its chunks (live or not), for BM25's average length: counted once. */
  get words(): number {
    if (this.wordCount === undefined) {
      let sum = 0;
      for (const words of this.cols.length) sum += words;
      this.wordCount = sum;
    }
    return this.wordCount;
  }

  get folded(): Postings {
    return this.cols.folded;
  }

  get variants(): Uint8Array {
    return this.cols.variants;
  }

  get exact(): Postings {
    return this.cols.exact;
  }

  /** The int8 vectors and their scales, for scanning; `vector(d)` gives one back as floats. */
  get vectors(): QuantizedVectors | undefined {
    return this.cols.vectors;
  }

  /** Whether the chunks' text is held in memory (not yet saved, or format 1) rather than read from disk. */
  get textResident(): boolean {
    return this.cols.text !== undefined;
  }

  /**
   * Indexes `chunks` (in file order, each file's chunks together). `vectors`, if given, hold
   * one per chunk. Yields to the event loop every few hundred chunks: a merge of thousands
   * must not hold up a Stop arriving meanwhile.
   */
  static async build(id: number, chunks: Chunk[], vectors?: SegmentVectors | QuantizedVectors, groups?: VectorGroups): Promise<Segment> {
    const files = new NameList();
    const headings = new NameList();
    const n = chunks.length;
    const columns = newChunkColumns(n);
    const { fileOf, position, startLine, endLine, page, heading, length, textStarts, textCrcs } = columns;
    const encoded: Uint8Array[] = [];
    const folded = new PostingsBuilder();
    const exact = new PostingsBuilder();
    /** Folded term → whether an accented word folds to it. */
    const accented = new Map<string, boolean>();
    let textBytes = 0;
    for (let d = 0; d < n; d++) {
      if (d > 0 && d % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
      const chunk = chunks[d];
      fileOf[d] = files.numberOf(chunk.path);
      position[d] = positionOf(chunk);
      startLine[d] = chunk.startLine;
      endLine[d] = chunk.endLine;
      page[d] = chunk.page ?? 0;
      if (chunk.heading) heading[d] = headings.numberOf(chunk.heading) + 1;
      const bytes = Buffer.from(chunk.text, 'utf8');
      encoded.push(bytes);
      textStarts[d] = textBytes;
      textCrcs[d] = textChecksum(bytes);
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
      ...columns,
      files: files.names,
      headings: headings.names,
      text: Buffer.concat(encoded, textBytes),
      folded: foldedPostings,
      variants,
      exact: exactPostings,
      vectors: vectors && toQuantized(vectors),
      groups: vectors && groups,
    });
  }

  /**
   * One segment of the live chunks of `parts` (numbered in their order), copied rather than
   * indexed again (segmentMerge.ts); its text is in memory until it is saved. A passage
   * whose bytes on disk fail their checksum throws DamagedTextError.
   */
  static async merge(id: number, parts: readonly MergePart[]): Promise<Segment> {
    return new Segment(id, { ...(await mergeColumns(parts)), groups: undefined });
  }

  /** The same segment with each chunk's group in a codebook (worked out after a merge, from its vectors). */
  withGroups(groups: VectorGroups | undefined): Segment {
    return new Segment(this.id, { ...this.cols, groups: this.cols.vectors && groups }, this.textFile, this.legacy);
  }

  /** The same chunks under a new id, with these vectors (a new embedding model); its text is in memory until it is saved. */
  withVectors(id: number, vectors: SegmentVectors | QuantizedVectors | undefined, groups?: VectorGroups): Segment {
    return new Segment(id, { ...this.cols, text: this.textBytes(), vectors: vectors && toQuantized(vectors), groups: vectors && groups });
  }

  /** Each chunk's group in a codebook, when the segment has them. */
  get groups(): VectorGroups | undefined {
    return this.cols.groups;
  }

  /** Each group's chunks (`members[starts[g] .. starts[g + 1])`), worked out on the first search that needs them. */
  groupMembers(): { starts: Uint32Array; members: Uint32Array } | undefined {
    if (!this.cols.groups) return undefined;
    this.members ??= membersByGroup(this.cols.groups.of);
    return this.members;
  }

  chunk(d: number): Chunk {
    const { files, fileOf, position, startLine, endLine, page, heading, headings } = this.cols;
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

  /** Chunk `d`'s text; read from disk for a saved segment, where a checksum mismatch throws DamagedTextError. */
  chunkText(d: number): string {
    return decoder.decode(this.textOf(d, d + 1));
  }

  /** The text of chunks `from` to `to` (exclusive), back to back; read from disk for a saved segment, each chunk checked against its CRC. */
  textOf(from: number, to: number): Uint8Array {
    const { text, textStarts, textCrcs } = this.cols;
    const start = textStarts[from];
    if (text) return text.subarray(start, textStarts[to]);
    const bytes = this.textFile!.read(start, textStarts[to] - start);
    for (let d = from; d < to; d++) {
      if (textChecksum(bytes.subarray(textStarts[d] - start, textStarts[d + 1] - start)) !== textCrcs[d]) throw new DamagedTextError(this.id, this.textFile!.file, d);
    }
    return bytes;
  }

  /** Chunk `d`'s vector as floats (dequantized), for a caller that needs one; search scans `vectors`, merges copy them. */
  vector(d: number): Float32Array | undefined {
    return this.cols.vectors && dequantize(this.cols.vectors, d);
  }

  /**
   * Drops the text from memory once the segment's file is on disk (written by `encodeParts`,
   * whose `head` is given): from now on it is read from `file`, which is opened at once so
   * that it stays readable after a later save replaces it.
   */
  textSaved(file: string, head: Buffer): void {
    const offset = textOffset(head);
    this.textFile?.close();
    this.textFile = new TextFile(file, offset, openDescriptor(file));
    this.cols = { ...this.cols, text: undefined };
  }

  /** Every chunk's text, back to back, from memory or the file. */
  private textBytes(): Uint8Array {
    return this.cols.text ?? this.textFile!.read(0, this.cols.textStarts[this.size]);
  }

  /** Lets go of the segment's file (it left the index); a read after this opens it again if it is still there. */
  close(): void {
    this.textFile?.close();
  }

  /** The segment's file, in one buffer (see `encodeParts`). */
  encode(): Buffer {
    const { head, text, padding } = this.encodeParts();
    return Buffer.concat([head, text, padding]);
  }

  /**
   * The segment's file in three pieces written one after the other: everything before the
   * text (read at load, covered by the manifest's checksum), the text, and padding to 8
   * bytes. The text is not copied into a buffer of the whole file: a merged segment's text
   * can be a hundred megabytes.
   */
  encodeParts(): { head: Buffer; text: Uint8Array; padding: Buffer } {
    const c = this.cols;
    const text = this.textBytes();
    const folded = c.folded.compactDocs;
    const exact = c.exact.compactDocs;
    // The order of the sections is the file's layout: reordering them changes the bytes (and every checksum).
    const sections: [SectionName, ArrayBufferView][] = [
      ['fileOf', c.fileOf],
      ['position', c.position],
      ['startLine', c.startLine],
      ['endLine', c.endLine],
      ['page', c.page],
      ['heading', c.heading],
      ['length', c.length],
      ['textStarts', c.textStarts],
      ['textCrcs', c.textCrcs],
      ['foldedTerms', Buffer.from(c.folded.terms.join('\n'), 'utf8')],
      ['foldedStarts', c.folded.starts],
      ['foldedDocs', folded.bytes],
      ['foldedDocStarts', folded.offsets],
      ['foldedFreqs', c.folded.freqs],
      ['variants', c.variants],
      ['exactTerms', Buffer.from(c.exact.terms.join('\n'), 'utf8')],
      ['exactStarts', c.exact.starts],
      ['exactDocs', exact.bytes],
      ['exactDocStarts', exact.offsets],
      ['exactFreqs', c.exact.freqs],
      ['vectorScales', c.vectors?.scales ?? new Float32Array(0)],
      ['vectors', c.vectors?.codes ?? new Int8Array(0)],
      ['groups', c.groups?.of ?? new Uint16Array(0)],
      ['text', text],
    ];
    const offsets: Header['sections'] = {};
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
      ...(c.groups ? { groups: { codebook: c.groups.codebook } } : {}),
      sections: offsets,
    };
    const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
    const bodyStart = align8(8 + headerBytes.length);
    const head = Buffer.alloc(bodyStart + offsets.text[0]);
    head.writeUInt32LE(MAGIC, 0);
    head.writeUInt32LE(headerBytes.length, 4);
    headerBytes.copy(head, 8);
    for (const [name, view] of sections) {
      if (name !== 'text') head.set(new Uint8Array(view.buffer, view.byteOffset, view.byteLength), bodyStart + offsets[name][0]);
    }
    return { head, text, padding: Buffer.alloc(offset - offsets.text[0] - text.byteLength) };
  }

  /**
   * Reads what `encode` wrote (or format 1); throws on anything else (a torn or foreign file).
   * `bytes` holds the file up to its text (see `checkedLength`), or all of it; `text` is
   * where the rest is, opened as `fd`: owned by this call from now on (kept by the segment,
   * or closed when it is not needed or decoding fails).
   */
  static decode(id: number, bytes: Buffer, text?: { file: string; fd: number }): Segment {
    let textFile: TextFile | undefined;
    try {
      const { header, body } = parse(bytes);
      if (header.format === LEGACY_FORMAT) {
        if (text) closeDescriptor(text.fd);
        text = undefined;
        return Segment.decodeLegacy(id, header, body);
      }
      const end = Object.entries(header.sections).reduce((max, [name, [offset, length]]) => (name === 'text' ? max : Math.max(max, offset + length)), 0);
      if (end > body.length) throw new Error('the segment file is truncated');
      const view = sectionViews(header, body);
      const [textOffset, textLength] = header.sections.text;
      const inMemory = textOffset + textLength <= body.length;
      if (!inMemory && !text) throw new Error('the segment file is truncated');
      if (inMemory && text) closeDescriptor(text.fd);
      else if (text) textFile = new TextFile(text.file, bytes.length - body.length + textOffset, text.fd);
      text = undefined;
      const columns: SegmentColumns = {
        ...columnsOf(header, view),
        textCrcs: view.u32('textCrcs'),
        text: inMemory ? view.u8('text') : undefined,
        vectors: header.vectors && { ...header.vectors, codes: view.i8('vectors'), scales: view.f32('vectorScales') },
        groups: header.groups && header.sections.groups && { codebook: header.groups.codebook, of: view.u16('groups') },
      };
      return check(new Segment(id, columns, textFile), header);
    } catch (error) {
      // The descriptor is the segment's from the start: nothing else closes it.
      if (text) closeDescriptor(text.fd);
      textFile?.close();
      throw error;
    }
  }

  private static decodeLegacy(id: number, header: Header, body: Buffer): Segment {
    const end = Object.values(header.sections).reduce((max, [offset, length]) => Math.max(max, offset + length), 0);
    if (end > body.length) throw new Error('the segment file is truncated');
    const view = sectionViews(header, body);
    const copied = columnsOf(header, view, true);
    const text = view.u8('text').slice();
    const { textStarts } = copied;
    const textCrcs = new Uint32Array(header.size);
    for (let d = 0; d < header.size; d++) textCrcs[d] = textChecksum(text.subarray(textStarts[d], textStarts[d + 1]));
    const vectors = header.vectors && quantize(header.vectors.modelId, header.vectors.dimension, view.f32('vectors'));
    return check(new Segment(id, { ...copied, textCrcs, text, vectors, groups: undefined }, undefined, true), header);
  }

  /**
   * How much of a segment file `head` (its first bytes, at least through the header) must be
   * read at load and is covered by the manifest's checksum: everything before the text in
   * format 2, the whole file (`size`) otherwise.
   */
  static checkedLength(head: Buffer, size: number): number {
    try {
      const { header, bodyStart } = parseHeader(head);
      return header.format !== LEGACY_FORMAT && header.sections.text ? Math.min(size, bodyStart + header.sections.text[0]) : size;
    } catch {
      return size;
    }
  }
}

function check(segment: Segment, header: Header): Segment {
  if (segment.size !== header.size || segment.folded.starts.length !== segment.folded.size + 1 || segment.columns.textStarts.length !== header.size + 1) {
    throw new Error('the segment file is inconsistent');
  }
  const groups = segment.groups?.of;
  if (groups && (groups.length !== header.size || groups.some((group) => group >= GROUPS))) throw new Error('the segment file is inconsistent');
  return segment;
}

function parseHeader(bytes: Buffer): { header: Header; bodyStart: number } {
  if (bytes.length < 8 || bytes.readUInt32LE(0) !== MAGIC) throw new Error('not a Local RAG segment');
  const headerLength = bytes.readUInt32LE(4);
  if (8 + headerLength > bytes.length) throw new Error('the segment file is truncated');
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Header;
  return { header, bodyStart: align8(8 + headerLength) };
}

function parse(bytes: Buffer): { header: Header; body: Buffer } {
  const { header, bodyStart } = parseHeader(bytes);
  if (header.format !== FORMAT && header.format !== PLAIN_DOCS_FORMAT && header.format !== LEGACY_FORMAT) throw new Error(`segment format ${header.format} is not ${FORMAT}`);
  // Typed-array views need aligned offsets; a pooled Buffer may not start on one.
  const body = (bytes.byteOffset + bodyStart) % 8 === 0 ? bytes.subarray(bodyStart) : Buffer.from(bytes.subarray(bodyStart));
  return { header, body };
}

/** Typed-array views of the sections of `body` (copies when `copy`). */
function sectionViews(header: Header, body: Buffer) {
  const raw = (name: string) => {
    const [offset, length] = header.sections[name];
    return { buffer: body.buffer, start: body.byteOffset + offset, length };
  };
  return {
    u32: (name: string) => (({ buffer, start, length }) => new Uint32Array(buffer, start, length / 4))(raw(name)),
    u8: (name: string) => (({ buffer, start, length }) => new Uint8Array(buffer, start, length))(raw(name)),
    u16: (name: string) => (({ buffer, start, length }) => new Uint16Array(buffer, start, length / 2))(raw(name)),
    i8: (name: string) => (({ buffer, start, length }) => new Int8Array(buffer, start, length))(raw(name)),
    f32: (name: string) => (({ buffer, start, length }) => new Float32Array(buffer, start, length / 4))(raw(name)),
  };
}

/** The columns all formats share; copies of the file's bytes when `copy`, else views over them. */
function columnsOf(header: Header, view: ReturnType<typeof sectionViews>, copy = false) {
  const u32 = (name: SectionName) => (copy ? view.u32(name).slice() : view.u32(name));
  const u8 = (name: SectionName) => (copy ? view.u8(name).slice() : view.u8(name));
  const terms = (name: SectionName) => {
    const text = decoder.decode(view.u8(name));
    return text ? text.split('\n') : [];
  };
  const docs = (field: 'folded' | 'exact') =>
    header.format === FORMAT ? { bytes: u8(`${field}Docs`), offsets: u32(`${field}DocStarts`) } : u32(`${field}Docs`);
  const postings = (field: 'folded' | 'exact') => new Postings(terms(`${field}Terms`), u32(`${field}Starts`), u8(`${field}Freqs`), docs(field));
  return {
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
    folded: postings('folded'),
    variants: u8('variants'),
    exact: postings('exact'),
  };
}

/** Where the text section starts in an encoded segment. */
function textOffset(bytes: Buffer): number {
  const { header, bodyStart } = parseHeader(bytes);
  return bodyStart + header.sections.text[0];
}

function toQuantized(vectors: SegmentVectors | QuantizedVectors): QuantizedVectors {
  return 'codes' in vectors ? vectors : quantize(vectors.modelId, vectors.dimension, vectors.data);
}

function positionOf(chunk: Chunk): number {
  const hash = chunk.id.lastIndexOf('#');
  return hash >= 0 ? Number(chunk.id.slice(hash + 1)) || 0 : 0;
}

function align8(n: number): number {
  return (n + 7) & ~7;
}
