/**
 * One field's inverted index inside a segment, in flat typed arrays: terms sorted (so a
 * prefix is a contiguous range, found by binary search), and for term `t` its postings
 * `starts[t] .. starts[t + 1]`: how often the term is in each chunk in `freqs`, and which
 * chunks those are — ascending, stored as gaps in LEB128 varints (`CompactDocs`, segment
 * format 3): about a byte and a quarter a posting instead of four, which at a million chunks
 * is ~300 MB less in memory and on disk. Segments of format 2 hold plain u32 chunk numbers
 * and are read as they are.
 */
export interface CompactDocs {
  /** Each term's chunk numbers: the first, then the gaps, as LEB128 varints. */
  bytes: Uint8Array;
  /** Where each term's varints start in `bytes`, plus where the last ones end. */
  offsets: Uint32Array;
}

/** Decoded lists are written here (grown as needed): `docsOf` hands out a view that holds until its next call. */
let decoded = new Uint32Array(4096);

export class Postings {
  constructor(
    readonly terms: string[],
    readonly starts: Uint32Array,
    /** Term frequency, capped at 255 (BM25 saturates long before). */
    readonly freqs: Uint8Array,
    private readonly docs: CompactDocs | Uint32Array,
  ) {}

  get size(): number {
    return this.terms.length;
  }

  /** The chunk numbers, compact (encoded now when they were read from a format-2 segment). */
  get compactDocs(): CompactDocs {
    if (!(this.docs instanceof Uint32Array)) return this.docs;
    const writer = new PostingsWriter();
    for (let t = 0; t < this.size; t++) {
      writer.term(this.terms[t]);
      const docs = this.docsOf(t);
      const freqs = this.freqsOf(t);
      for (let p = 0; p < docs.length; p++) writer.add(docs[p], freqs[p]);
    }
    return writer.finish().compactDocs;
  }

  /**
   * Term `t`'s chunks, ascending. A compact list is decoded into a buffer every call shares:
   * use the result before the next call.
   */
  docsOf(t: number): Uint32Array {
    const from = this.starts[t];
    const count = this.starts[t + 1] - from;
    if (this.docs instanceof Uint32Array) return this.docs.subarray(from, from + count);
    if (decoded.length < count) decoded = new Uint32Array(Math.max(count, decoded.length * 2));
    const { bytes } = this.docs;
    let at = this.docs.offsets[t];
    let doc = 0;
    for (let i = 0; i < count; i++) {
      let byte = bytes[at++];
      let gap = byte & 0x7f;
      // 32-bit shifts: gaps up to 2^28 (four bytes), far past any segment's chunk count.
      for (let shift = 7; byte & 0x80; shift += 7) {
        byte = bytes[at++];
        gap |= (byte & 0x7f) << shift;
      }
      doc += gap;
      decoded[i] = doc;
    }
    return decoded.subarray(0, count);
  }

  /** Term `t`'s frequencies, in the order of `docsOf(t)`. */
  freqsOf(t: number): Uint8Array {
    return this.freqs.subarray(this.starts[t], this.starts[t + 1]);
  }

  /** Index of `term`, or -1. */
  find(term: string): number {
    const i = this.lowerBound(term);
    return i < this.terms.length && this.terms[i] === term ? i : -1;
  }

  /** Indexes of the terms that start with `prefix`: [from, to). */
  prefixRange(prefix: string): [number, number] {
    const from = this.lowerBound(prefix);
    let to = from;
    while (to < this.terms.length && this.terms[to].startsWith(prefix)) to++;
    return [from, to];
  }

  /** Number of chunks holding term `t` (dead ones included until the segment is rewritten). */
  documentFrequency(t: number): number {
    return this.starts[t + 1] - this.starts[t];
  }

  private lowerBound(term: string): number {
    let low = 0;
    let high = this.terms.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (this.terms[mid] < term) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/**
 * Writes postings term by term, in term order, each term's chunks ascending: the varints go
 * into a buffer that grows, so no list of four-byte numbers is ever made.
 */
export class PostingsWriter {
  private bytes = new Uint8Array(1 << 16);
  private length = 0;
  private freqs = new Uint8Array(1 << 14);
  private count = 0;
  private readonly terms: string[] = [];
  private readonly starts: number[] = [];
  private readonly offsets: number[] = [];
  private last = 0;

  /** Begins term `term`'s list (after the previous term's, which must sort before it). */
  term(term: string): void {
    this.terms.push(term);
    this.starts.push(this.count);
    this.offsets.push(this.length);
    this.last = 0;
  }

  add(doc: number, freq: number): void {
    if (this.length + 5 > this.bytes.length) this.bytes = grown(this.bytes);
    if (this.count === this.freqs.length) this.freqs = grown(this.freqs);
    let gap = doc - this.last;
    this.last = doc;
    while (gap >= 0x80) {
      this.bytes[this.length++] = (gap & 0x7f) | 0x80;
      gap >>>= 7;
    }
    this.bytes[this.length++] = gap;
    this.freqs[this.count++] = Math.min(255, freq);
  }

  /** Drops the term begun last (it got no postings). */
  dropTerm(): void {
    this.terms.pop();
    this.starts.pop();
    this.offsets.pop();
  }

  /** Whether the term begun last has postings yet. */
  get termHasPostings(): boolean {
    return this.count > this.starts[this.starts.length - 1];
  }

  finish(): Postings {
    const starts = Uint32Array.from([...this.starts, this.count]);
    const offsets = Uint32Array.from([...this.offsets, this.length]);
    return new Postings(this.terms, starts, this.freqs.slice(0, this.count), { bytes: this.bytes.slice(0, this.length), offsets });
  }
}

/** Collects term frequencies chunk by chunk (in chunk order), then lays them out as `Postings`. */
export class PostingsBuilder {
  /** term → [doc, freq, doc, freq, …] */
  private readonly lists = new Map<string, number[]>();

  addDocument(doc: number, frequencies: Map<string, number>): void {
    for (const [term, freq] of frequencies) {
      const list = this.lists.get(term);
      if (list) list.push(doc, freq);
      else this.lists.set(term, [doc, freq]);
    }
  }

  has(term: string): boolean {
    return this.lists.has(term);
  }

  build(keep: (term: string) => boolean = () => true): Postings {
    const writer = new PostingsWriter();
    for (const term of [...this.lists.keys()].filter(keep).sort()) {
      writer.term(term);
      const list = this.lists.get(term)!;
      for (let i = 0; i < list.length; i += 2) writer.add(list[i], list[i + 1]);
    }
    return writer.finish();
  }
}

function grown<T extends Uint8Array>(array: T): T {
  const next = new (array.constructor as new (length: number) => T)(array.length * 2);
  next.set(array);
  return next;
}
