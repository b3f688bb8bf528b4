/**
 * Merges the postings of several segments into one segment's, renumbering their chunks,
 * without reading or tokenizing any text: what lets the store fold many small segments
 * into a few large ones (segmentMerge.ts) at the cost of copying arrays.
 */
import { PostingsWriter, type Postings } from './postings';

/** How many terms are merged between two yields to the event loop (a Stop must not wait for a merge). */
const YIELD_EVERY = 8192;

/**
 * One segment's side of a merge: its terms in sorted order, each naming the postings list
 * it stands for (`owners[i]`'s term `at[i]`: a term may borrow another field's list, as an
 * unaccented word borrows its folded list), and where its chunks go.
 */
export interface TermSource {
  terms: readonly string[];
  owners: readonly Postings[];
  at: ArrayLike<number>;
  /** Per term, OR-ed into the merged term's flag (the folded field's `variants`). */
  flags?: Uint8Array;
  /** Old chunk number → new one, or -1 for a chunk left out (not live). */
  renumber: Int32Array;
}

/**
 * The merged postings of `sources`, whose new chunk numbers ascend from one source to the
 * next (the first source's chunks first): so each merged list stays in chunk order. Terms
 * whose chunks are all left out are dropped; `flags` holds each kept term's OR-ed flag.
 */
export async function mergePostings(sources: readonly TermSource[]): Promise<{ postings: Postings; flags: Uint8Array }> {
  const writer = new PostingsWriter();
  const flags: number[] = [];
  const cursor = new Int32Array(sources.length);
  for (let merged = 1; ; merged++) {
    if (merged % YIELD_EVERY === 0) await new Promise((resolve) => setImmediate(resolve));
    let least: string | undefined;
    for (let s = 0; s < sources.length; s++) {
      const term = sources[s].terms[cursor[s]];
      if (term !== undefined && (least === undefined || term < least)) least = term;
    }
    if (least === undefined) break;
    writer.term(least);
    let flag = 0;
    for (let s = 0; s < sources.length; s++) {
      const source = sources[s];
      const i = cursor[s];
      if (source.terms[i] !== least) continue;
      cursor[s]++;
      flag |= source.flags?.[i] ?? 0;
      const owner = source.owners[i];
      const t = source.at[i];
      const { renumber } = source;
      const docs = owner.docsOf(t);
      const freqs = owner.freqsOf(t);
      for (let q = 0; q < docs.length; q++) {
        const doc = renumber[docs[q]];
        if (doc >= 0) writer.add(doc, freqs[q]);
      }
    }
    if (writer.termHasPostings) flags.push(flag);
    else writer.dropTerm();
  }
  return { postings: writer.finish(), flags: Uint8Array.from(flags) };
}

/** A field's terms as a source: each term stands for its own list. */
export function fieldSource(postings: Postings, renumber: Int32Array, flags?: Uint8Array): TermSource {
  return { terms: postings.terms, owners: new Array<Postings>(postings.size).fill(postings), at: indexes(postings.size), flags, renumber };
}

function indexes(n: number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  return out;
}

/**
 * A segment's exact-form field as a source for a merge in which the words folding to
 * `accented` have accented forms: its own exact terms, plus — for a word it kept only
 * folded because it had no accented form of it — the folded list under the word itself
 * (there the exact list equals the folded one).
 */
export function exactSource(exact: Postings, folded: Postings, variants: Uint8Array, accented: ReadonlySet<string>, renumber: Int32Array): TermSource {
  const terms: string[] = [];
  const owners: Postings[] = [];
  const at: number[] = [];
  let e = 0;
  const take = (owner: Postings, t: number) => {
    terms.push(owner.terms[t]);
    owners.push(owner);
    at.push(t);
  };
  for (let f = 0; f < folded.size; f++) {
    if (variants[f] || !accented.has(folded.terms[f])) continue;
    while (e < exact.size && exact.terms[e] < folded.terms[f]) take(exact, e++);
    take(folded, f);
  }
  while (e < exact.size) take(exact, e++);
  return { terms, owners, at, renumber };
}
