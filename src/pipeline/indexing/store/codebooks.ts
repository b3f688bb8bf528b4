/**
 * The store's codebooks (vectorCodebook.ts): one learned per embedding model once the store
 * holds enough of its vectors, saved as a file of its own that the manifest names with its
 * checksum, and used to place the vectors of every segment built afterwards. Segments built
 * before it, or whose codebook could not be read, are scanned whole: a missing or damaged
 * codebook costs speed, never a result.
 */
import { randomInt } from 'node:crypto';
import * as path from 'node:path';
import { mulberry32 } from '../../seededRandom';
import { writeAtomically } from '../../durableFile';
import { codebookFile, type CodebookRecord } from './manifest';
import type { QuantizedVectors } from './quantizedVectors';
import type { Segment, VectorGroups } from './segment';
import { checksum, readCodebookFile } from './storeFiles';
import { CODEBOOK_MIN_VECTORS, decodeCodebook, encodeCodebook, groupsOf, learnCodebook, TRAINING_SAMPLE, type Codebook } from './vectorCodebook';

const yieldNow = () => new Promise<void>((resolve) => setImmediate(resolve));

export class Codebooks {
  private readonly byId = new Map<number, Codebook>();
  private readonly records = new Map<number, CodebookRecord>();
  private readonly unsaved = new Set<number>();

  /** Every codebook in memory, by id (what search needs). */
  get all(): ReadonlyMap<number, Codebook> {
    return this.byId;
  }

  /** The groups of `vectors` in the codebook of their model, learning it first when the store now holds enough of them. */
  async groupsFor(vectors: QuantizedVectors, segments: readonly Segment[]): Promise<VectorGroups | undefined> {
    if (!this.forModel(vectors.modelId, vectors.dimension)) await this.learn(vectors, segments);
    return this.groupsForKnown(vectors);
  }

  /** The groups of `vectors` in the codebook their model has already (undefined when none: nothing is learned here). */
  groupsForKnown(vectors: QuantizedVectors): Promise<VectorGroups> | undefined {
    const codebook = this.forModel(vectors.modelId, vectors.dimension);
    if (!codebook) return undefined;
    return groupsOf(codebook, vectors, vectors.scales.length, yieldNow).then((of) => ({ codebook: codebook.id, of }));
  }

  /** The groups of chunks `live` of each source, when all were placed by the codebook their model uses now; else undefined. */
  carried(sources: readonly { segment: Segment; live: readonly number[] }[]): VectorGroups | undefined {
    const first = sources[0]?.segment;
    const vectors = first?.vectors;
    const codebook = vectors && this.forModel(vectors.modelId, vectors.dimension);
    if (!codebook || !sources.every(({ segment }) => segment.groups?.codebook === codebook.id)) return undefined;
    const of = new Uint16Array(sources.reduce((sum, { live }) => sum + live.length, 0));
    let at = 0;
    for (const { segment, live } of sources) for (const d of live) of[at++] = segment.groups!.of[d];
    return { codebook: codebook.id, of };
  }

  /** Reads the codebooks the manifest names that are not in memory; returns the problems (one per file that could not be read). */
  async load(dir: string, records: readonly CodebookRecord[]): Promise<{ record: CodebookRecord; reason: string }[]> {
    const problems: { record: CodebookRecord; reason: string }[] = [];
    for (const record of records) {
      if (this.byId.has(record.id)) continue;
      try {
        const codebook = decodeCodebook(await readCodebookFile(dir, record));
        if (codebook.id !== record.id) throw new Error('a codebook under another id');
        this.byId.set(record.id, codebook);
        this.records.set(record.id, record);
      } catch (error) {
        problems.push({ record, reason: (error as Error).message });
      }
    }
    return problems;
  }

  /** Writes the codebooks learned here that `segments` use; returns the records of all they use, for the manifest. */
  async save(dir: string, segments: Iterable<Segment>): Promise<CodebookRecord[]> {
    const used = new Set<number>();
    for (const segment of segments) if (segment.groups && this.byId.has(segment.groups.codebook)) used.add(segment.groups.codebook);
    for (const id of used) {
      if (!this.unsaved.has(id)) continue;
      const bytes = encodeCodebook(this.byId.get(id)!);
      const record: CodebookRecord = { id, file: codebookFile(id), bytes: bytes.length, crc32: checksum(bytes) };
      await writeAtomically(path.join(dir, record.file), bytes);
      this.records.set(id, record);
      this.unsaved.delete(id);
    }
    return [...used].flatMap((id) => this.records.get(id) ?? []);
  }

  private forModel(modelId: string, dimension: number): Codebook | undefined {
    for (const codebook of this.byId.values()) if (codebook.modelId === modelId && codebook.dimension === dimension) return codebook;
    return undefined;
  }

  /** A codebook for `vectors`' model, from a sample of them and of the store's, once there are enough; else undefined. */
  private async learn(vectors: QuantizedVectors, segments: readonly Segment[]): Promise<Codebook | undefined> {
    const { modelId, dimension } = vectors;
    const sources = [vectors, ...segments.flatMap((segment) => (segment.vectors?.modelId === modelId && segment.vectors.dimension === dimension ? [segment.vectors] : []))];
    const total = sources.reduce((sum, source) => sum + source.scales.length, 0);
    if (total < CODEBOOK_MIN_VECTORS) return undefined;
    // Seeded by the model and the count: the same store learns the same codebook.
    const random = mulberry32(total ^ modelId.length);
    const sample = new Float32Array(TRAINING_SAMPLE * dimension);
    for (let i = 0; i < TRAINING_SAMPLE; i++) {
      let pick = Math.floor(random() * total);
      let s = 0;
      while (pick >= sources[s].scales.length) pick -= sources[s++].scales.length;
      const source = sources[s];
      const scale = source.scales[pick];
      for (let j = 0, at = pick * dimension; j < dimension; j++) sample[i * dimension + j] = source.codes[at + j] * scale;
    }
    const codebook = await learnCodebook(randomInt(1, 2 ** 48), modelId, dimension, sample, random, yieldNow);
    this.byId.set(codebook.id, codebook);
    this.unsaved.add(codebook.id);
    return codebook;
  }
}
