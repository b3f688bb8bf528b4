/**
 * One field's inverted index inside a segment, in flat typed arrays: terms sorted (so a
 * prefix is a contiguous range, found by binary search), and for term `t` the chunks that
 * hold it at `docs[starts[t] .. starts[t + 1])`, with how often at the same places in `freqs`.
 * Typed arrays load from disk without parsing and cost a fraction of a Map per posting.
 */
export class Postings {
  constructor(
    readonly terms: string[],
    readonly starts: Uint32Array,
    readonly docs: Uint32Array,
    /** Term frequency, capped at 255 (BM25 saturates long before). */
    readonly freqs: Uint8Array,
  ) {}

  get size(): number {
    return this.terms.length;
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
    const terms = [...this.lists.keys()].filter(keep).sort();
    const starts = new Uint32Array(terms.length + 1);
    let total = 0;
    terms.forEach((term, t) => {
      starts[t] = total;
      total += this.lists.get(term)!.length / 2;
    });
    starts[terms.length] = total;
    const docs = new Uint32Array(total);
    const freqs = new Uint8Array(total);
    terms.forEach((term, t) => {
      const list = this.lists.get(term)!;
      for (let i = 0, p = starts[t]; i < list.length; i += 2, p++) {
        docs[p] = list[i];
        freqs[p] = Math.min(255, list[i + 1]);
      }
    });
    return new Postings(terms, starts, docs, freqs);
  }
}
