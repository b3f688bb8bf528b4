/**
 * The saved index: a manifest (every file read, with its size, mtime, hash and the segment
 * that holds its chunks) and the segments. A chunk is live while its file's manifest entry
 * points at its segment, so re-indexing or deleting a file is a manifest change plus, for
 * new text, one small new segment: saving a one-file change writes kilobytes, not the index.
 *
 * Crash safety: a segment is written to a temp file, synced and renamed before the manifest
 * that names it is (the same way); files the manifest does not name are deleted on open. A
 * kill at any moment leaves the previous manifest with every segment it names, or the new
 * one with all of its own.
 *
 * Segments that lost most of their chunks are rewritten, and small ones merged, when saving.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { IndexFailure } from '../../../protocol/indexing';
import { describeError, type Logger } from '../../log';
import type { Chunk } from '../types';
import { keywordSearch, lengthNorms, type Layout, type Scored } from './bm25';
import { Segment, type SegmentVectors } from './segment';
import { vectorSearch } from './vectorSearch';

export interface FileEntry {
  size: number;
  mtimeMs: number;
  hash: string;
  /** Segment holding the file's chunks; 0 when it has none (failed, or empty). */
  segment: number;
  chunks: number;
  failure?: IndexFailure;
}

/** What one indexed file brings to a new segment. */
export interface FileChunks {
  path: string;
  facts: Omit<FileEntry, 'segment' | 'chunks'>;
  chunks: Chunk[];
  /** One per chunk, from `modelId`'s embedder; absent without an embedding model. */
  vectors?: Float32Array[];
}

// 3: segments and a manifest (2 was one index.json).
const FORMAT_VERSION = 3;
const MANIFEST = 'manifest.json';
const LEGACY_FILE = 'index.json';
const SEGMENT_FILE = /^seg-(\d+)\.bin$/;
/** Segments with fewer live chunks than this are merged once there are `SMALL_SEGMENTS_MAX` of them. */
const SMALL_SEGMENT = 1024;
const SMALL_SEGMENTS_MAX = 8;
/** A segment whose live share falls below this is rewritten with only its live chunks. */
const MIN_LIVE_SHARE = 0.5;

interface SavedManifest {
  version: number;
  /** How the chunks were cut (chunk size, overlap): other options mean other chunks. */
  chunking?: unknown;
  nextSegment: number;
  segments: number[];
  files: [string, FileEntry][];
}

export class SegmentIndex {
  private readonly segments = new Map<number, Segment>();
  private readonly unsaved = new Set<number>();
  private nextSegment = 1;
  private cachedLayout: Layout | undefined;
  private manifestChanged = false;
  /** How the saved chunks were cut; see `useChunking`. */
  private chunking: string | undefined;

  private constructor(
    private readonly dir: string | undefined,
    private readonly logger: Logger,
    /** Every file read, by display path. */
    readonly files: Map<string, FileEntry>,
  ) {}

  /** Opens the index in `dir` (none, or unreadable: an empty one, and the reason in the log). */
  static async open(dir: string | undefined, logger: Logger): Promise<SegmentIndex> {
    const empty = new SegmentIndex(dir, logger, new Map());
    if (!dir) return empty;
    let saved: SavedManifest;
    try {
      saved = JSON.parse(await fs.readFile(path.join(dir, MANIFEST), 'utf8')) as SavedManifest;
      if (saved.version !== FORMAT_VERSION) throw new Error(`format ${saved.version}`);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') {
        if (await exists(path.join(dir, LEGACY_FILE))) logger.log('info', 'The saved index has an older format; the workspace will be indexed again.');
      } else {
        logger.log('warn', `The saved index could not be loaded (${describeError(error)}); the workspace will be indexed again.`);
      }
      await empty.removeStrayFiles();
      return empty;
    }
    const index = new SegmentIndex(dir, logger, new Map(saved.files));
    index.nextSegment = saved.nextSegment;
    index.chunking = JSON.stringify(saved.chunking);
    await Promise.all(
      saved.segments.map(async (id) => {
        try {
          index.segments.set(id, Segment.decode(id, await fs.readFile(path.join(dir, segmentFile(id)))));
        } catch (error) {
          logger.log('warn', `Part of the saved index could not be read (${describeError(error)}); its files will be indexed again.`);
        }
      }),
    );
    // Files whose segment was lost are forgotten, so the next run reads them again.
    for (const [file, entry] of index.files) if (entry.segment && !index.segments.has(entry.segment)) index.files.delete(file);
    await index.removeStrayFiles();
    return index;
  }

  /**
   * Records how chunks are cut from now on. When that differs from how the saved chunks
   * were cut, every file is marked as changed, so the next indexing run cuts it again; until
   * then the old chunks stay searchable. Returns whether files were marked.
   */
  useChunking(chunking: unknown): boolean {
    const wanted = JSON.stringify(chunking);
    if (wanted === this.chunking) return false;
    const hadChunks = this.chunking !== undefined && this.files.size > 0;
    this.chunking = wanted;
    this.manifestChanged = true;
    if (!hadChunks) return false;
    for (const entry of this.files.values()) {
      entry.mtimeMs = -1;
      entry.hash = '';
    }
    return true;
  }

  /** Number of live chunks. */
  get chunkCount(): number {
    let count = 0;
    for (const entry of this.files.values()) count += entry.chunks;
    return count;
  }

  /** Whether some live chunks have vectors from `modelId`. */
  hasVectors(modelId: string): boolean {
    return [...this.segments.values()].some((segment) => segment.vectors?.modelId === modelId);
  }

  setEntry(file: string, entry: FileEntry): void {
    this.files.set(file, entry);
    this.changed();
  }

  deleteEntry(file: string): boolean {
    const deleted = this.files.delete(file);
    if (deleted) this.changed();
    return deleted;
  }

  /** Indexes the chunks of these files as one new segment; their earlier chunks stop being live. */
  async addFiles(batch: FileChunks[], modelId?: string): Promise<void> {
    const chunks = batch.flatMap((file) => file.chunks);
    const id = this.nextSegment++;
    const vectors = modelId && batch.every((file) => file.vectors) ? packVectors(modelId, batch.flatMap((file) => file.vectors!)) : undefined;
    if (chunks.length > 0) this.putSegment(await Segment.build(id, chunks, vectors));
    for (const file of batch) this.files.set(file.path, { ...file.facts, segment: file.chunks.length ? id : 0, chunks: file.chunks.length });
    this.changed();
  }

  /** Segments without vectors from `modelId` (live chunks only), for re-embedding. */
  segmentsToEmbed(modelId: string): { id: number; chunks: Chunk[] }[] {
    const layout = this.layout();
    return layout.segments
      .filter((segment) => segment.vectors?.modelId !== modelId)
      .map((segment) => ({ id: segment.id, chunks: this.liveOf(segment, layout).map((d) => segment.chunk(d)) }))
      .filter((entry) => entry.chunks.length > 0);
  }

  /** Replaces segment `id` by its live chunks with these vectors. */
  async setVectors(id: number, modelId: string, vectors: Float32Array[]): Promise<void> {
    const segment = this.segments.get(id);
    if (!segment) return;
    const live = this.liveOf(segment, this.layout());
    const packed = packVectors(modelId, vectors);
    this.replace(segment, live.length === segment.size ? segment.withVectors(this.nextSegment++, packed) : await this.rebuild(segment, live, packed));
  }

  keyword(query: string, k: number): Scored[] {
    return keywordSearch(this.layout(), query, k);
  }

  vector(modelId: string, query: Float32Array, k: number): Scored[] {
    return vectorSearch(this.layout(), modelId, query, k);
  }

  /** The chunk numbered `doc` in the current layout. */
  chunk(doc: number): Chunk {
    const { segments, bases } = this.layout();
    let s = segments.length - 1;
    while (bases[s] > doc) s--;
    return segments[s].chunk(doc - bases[s]);
  }

  /** Rewrites sparse segments, merges small ones, and writes what changed. */
  async save(): Promise<void> {
    await this.compact();
    if (!this.dir || (!this.manifestChanged && this.unsaved.size === 0)) return;
    await fs.mkdir(this.dir, { recursive: true });
    for (const id of [...this.unsaved]) {
      const segment = this.segments.get(id);
      if (segment) await writeAtomically(path.join(this.dir, segmentFile(id)), segment.encode());
      this.unsaved.delete(id);
    }
    const manifest: SavedManifest = {
      version: FORMAT_VERSION,
      chunking: this.chunking === undefined ? undefined : JSON.parse(this.chunking),
      nextSegment: this.nextSegment,
      segments: [...this.segments.keys()],
      files: [...this.files],
    };
    this.manifestChanged = false;
    await writeAtomically(path.join(this.dir, MANIFEST), Buffer.from(JSON.stringify(manifest)));
    await this.removeStrayFiles();
  }

  private async compact(): Promise<void> {
    const layout = this.layout();
    const small: { segment: Segment; live: number[] }[] = [];
    for (const segment of layout.segments) {
      const live = this.liveOf(segment, layout);
      if (live.length === 0) this.replace(segment, undefined);
      else if (live.length < SMALL_SEGMENT) small.push({ segment, live });
      else if (live.length < segment.size * MIN_LIVE_SHARE) {
        this.replace(segment, await this.rebuild(segment, live, segment.vectors && packVectors(segment.vectors.modelId, liveVectors(segment, live))));
      }
    }
    if (small.length < SMALL_SEGMENTS_MAX) return;
    // Merged by vector model (or none), so that no chunk loses its vector in a merge.
    const groups = new Map<string, typeof small>();
    for (const entry of small) {
      const model = entry.segment.vectors?.modelId ?? '';
      groups.set(model, [...(groups.get(model) ?? []), entry]);
    }
    for (const [modelId, group] of groups) {
      if (group.length < 2) continue;
      const chunks = group.flatMap(({ segment, live }) => live.map((d) => segment.chunk(d)));
      const vectors = modelId ? packVectors(modelId, group.flatMap(({ segment, live }) => liveVectors(segment, live))) : undefined;
      const merged = await Segment.build(this.nextSegment++, chunks, vectors);
      for (const { segment } of group) this.replace(segment, undefined);
      this.putSegment(merged);
      this.repoint(merged);
    }
  }

  private rebuild(segment: Segment, live: number[], vectors: SegmentVectors | undefined): Promise<Segment> {
    return Segment.build(
      this.nextSegment++,
      live.map((d) => segment.chunk(d)),
      vectors,
    );
  }

  /** Puts `next` (holding the same files' live chunks, or nothing) in place of `segment`. */
  private replace(segment: Segment, next: Segment | undefined): void {
    this.segments.delete(segment.id);
    this.unsaved.delete(segment.id);
    if (next) {
      this.putSegment(next);
      this.repoint(next);
    }
    this.changed();
  }

  private putSegment(segment: Segment): void {
    this.segments.set(segment.id, segment);
    this.unsaved.add(segment.id);
    this.changed();
  }

  /** Points the manifest entries of `segment`'s files at it. */
  private repoint(segment: Segment): void {
    for (const file of segment.files) {
      const entry = this.files.get(file);
      if (entry) entry.segment = segment.id;
    }
  }

  private changed(): void {
    this.cachedLayout = undefined;
    this.manifestChanged = true;
  }

  /** The segments numbered as one collection, recomputed after a change. */
  layout(): Layout {
    if (this.cachedLayout) return this.cachedLayout;
    const segments = [...this.segments.values()].sort((a, b) => a.id - b.id);
    const bases: number[] = [];
    let total = 0;
    for (const segment of segments) {
      bases.push(total);
      total += segment.size;
    }
    const live = new Uint8Array(total);
    segments.forEach((segment, s) => {
      const fileLive = segment.files.map((file) => this.files.get(file)?.segment === segment.id);
      for (let d = 0; d < segment.size; d++) live[bases[s] + d] = fileLive[segment.fileOf[d]] ? 1 : 0;
    });
    this.cachedLayout = { segments, bases, total, live, norms: lengthNorms(segments.map((segment) => segment.length), total) };
    return this.cachedLayout;
  }

  private liveOf(segment: Segment, layout: Layout): number[] {
    const base = layout.bases[layout.segments.indexOf(segment)];
    const live: number[] = [];
    for (let d = 0; d < segment.size; d++) if (layout.live[base + d]) live.push(d);
    return live;
  }

  /** Deletes temp files and segments the manifest does not name (left by a kill or a compaction). */
  private async removeStrayFiles(): Promise<void> {
    if (!this.dir) return;
    const names = await fs.readdir(this.dir).catch(() => [] as string[]);
    await Promise.all(
      names
        .filter((name) => {
          const segment = SEGMENT_FILE.exec(name);
          return name.endsWith('.tmp') || name === LEGACY_FILE || (segment !== null && !this.segments.has(Number(segment[1])));
        })
        .map((name) => fs.rm(path.join(this.dir!, name), { force: true })),
    );
  }
}

function liveVectors(segment: Segment, live: number[]): Float32Array[] {
  return live.map((d) => segment.vector(d)!);
}

function packVectors(modelId: string, vectors: Float32Array[]): SegmentVectors {
  const dimension = vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => data.set(vector, i * dimension));
  return { modelId, dimension, data };
}

function segmentFile(id: number): string {
  return `seg-${id}.bin`;
}

async function exists(file: string): Promise<boolean> {
  return fs.access(file).then(
    () => true,
    () => false,
  );
}

async function writeAtomically(file: string, data: Buffer): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  const handle = await fs.open(temp, 'w');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await fs.rename(temp, file);
}
