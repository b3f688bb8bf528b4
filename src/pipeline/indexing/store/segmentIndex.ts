/**
 * The saved index: a manifest (every file read, with its size, mtime, hash and the segment
 * that holds its chunks) and the segments. A chunk is live while its file's manifest entry
 * points at its segment, so re-indexing or deleting a file is a manifest change plus, for
 * new text, one small new segment: saving a one-file change writes kilobytes, not the index.
 *
 * Several processes share one store folder (two windows on one folder, the CLI beside the
 * extension). Each keeps a view in memory and records its own changes (entries set, deleted
 * or moved since it last saved). A save takes the store's lock (../../fileLock.ts) and, under
 * it, re-reads the manifest, takes the disk's entries with its own changes applied on top,
 * loads the segments others added, compacts, writes new segments, then the manifest, syncs
 * the folder, and removes strays. So nothing another writer saved is lost, and nothing is
 * removed except under the lock. Readers never write, move or delete anything; before each
 * search the view follows the manifest when it changed (one stat).
 *
 * Crash safety: a segment is written to a temp file, synced and renamed before the manifest
 * that names it is (the same way). A kill at any moment leaves the previous manifest with
 * every segment it names, or the new one with all of its own.
 *
 * Damage: every segment's size and the CRC-32 of what load reads are in the manifest, and
 * each passage's text has its own CRC-32, checked when it is read. A damaged segment (or
 * passage) costs only its segment's files (forgotten, so the next run reads them again) and
 * is moved aside, not deleted; a damaged manifest is moved aside and the index starts empty; a manifest from a
 * newer version is refused and left exactly as it is.
 *
 * Segments that lost most of their chunks are rewritten, and small ones merged, when saving.
 */
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { RequestToken } from '../../cancellation';
import { acquireLock } from '../../fileLock';
import { describeError, type Logger } from '../../log';
import { Mutex } from '../../mutex';
import type { LogLevel } from '../../../protocol/rpc';
import type { Chunk } from '../types';
import { keywordSearch, type KeywordOptions } from './bm25';
import { layOut, type Layout } from './layout';
import type { Scored } from './ranking';
import { MANIFEST, ManifestShapeError, NewerFormatError, parseManifest, segmentFile, serializeManifest, type FileEntry, type Manifest, type SegmentRecord } from './manifest';
import { Codebooks } from './codebooks';
import { quantize } from './quantizedVectors';
import { Segment, type QuantizedVectors, type SegmentVectors, type VectorGroups } from './segment';
import type { MergePart } from './segmentMerge';
import { DamagedTextError } from './segmentText';
import {
  checksum,
  LOCK_FILE,
  manifestStamp,
  moveAside,
  readManifestFile,
  readSegmentFile,
  removeStrays,
  sameStamp,
  syncDir,
  writeAtomically,
  type ManifestStamp,
} from './storeFiles';
import { vectorSearch, type VectorHits } from './vectorSearch';

/** Vectors ready for a segment: quantized, and placed in their model's codebook when it has one. */
interface Placed {
  vectors?: QuantizedVectors;
  groups?: VectorGroups;
}

export type { FileEntry };
export { NewerFormatError };

/** What one indexed file brings to a new segment. */
export interface FileChunks {
  path: string;
  facts: Omit<FileEntry, 'segment' | 'chunks'>;
  chunks: Chunk[];
  /** One per chunk, from `modelId`'s embedder; absent without an embedding model. */
  vectors?: Float32Array[];
}

export interface OpenOptions {
  /** Never writes, moves or deletes anything in the store (the CLI's search and ask). */
  readOnly?: boolean;
}

export interface SaveOptions {
  /** Cancels waiting for the lock; what was indexed stays in memory for the next save. */
  token?: RequestToken;
  /** Called once when another process holds the lock and this save waits for it. */
  onWaiting?: () => void;
  timeoutMs?: number;
}

/** Segments with fewer live chunks than this make tier 0 of the merges (see `compact`). */
const SMALL_SEGMENT = 1024;
/** How many segments of one tier are merged into one, and the ratio between tiers. */
const MERGE_FACTOR = 8;
/**
 * No merge makes a segment of more chunks: a merged segment's text is in memory until it is
 * saved (~100 MB at this size), and a merge of more would hold up that save for seconds.
 */
const MAX_MERGED = 131_072;
/** A segment whose live share falls below this is rewritten with only its live chunks. */
const MIN_LIVE_SHARE = 0.5;
/** A reader whose manifest names a segment that vanished (compacted by a writer meanwhile) reads again this often. */
const READ_ATTEMPTS = 5;
/** How long a writer that opens a damaged store waits for the lock to repair it at once (else: at its next save). */
const REPAIR_WAIT_MS = 2_000;

/** A change this process made to a file's entry since its last save. */
type Change =
  | { kind: 'set'; entry: FileEntry | undefined; seq: number }
  /** Its chunks moved from segment `from` to `to` (compaction, new vectors): applies only where the disk still has them in `from`. */
  | { kind: 'move'; from: number; to: number; seq: number };

/** What was read from the store folder. */
interface DiskView {
  stamp: ManifestStamp | undefined;
  crc32?: number;
  /** Undefined when there is no manifest, or it could not be used (`problem`). */
  manifest: Manifest | undefined;
  /** Segments read for this view (those not in memory already). */
  loaded: Map<number, Segment>;
  damaged: { record: SegmentRecord; reason: string }[];
  problem?: unknown;
}

export class SegmentIndex {
  private segments = new Map<number, Segment>();
  /** How each saved segment lies on disk (unsaved ones have none yet). */
  private records = new Map<number, SegmentRecord>();
  private readonly unsaved = new Set<number>();
  private fileMap = new Map<string, FileEntry>();
  private readonly changes = new Map<string, Change>();
  private seq = 0;
  private cachedLayout: Layout | undefined;
  /** How the chunks are cut; see `useChunking`. */
  private chunking: string | undefined;
  private chunkingChanged = false;
  /** The manifest version this view follows: its stat (for a cheap look before a search) and its checksum. */
  private stamp: ManifestStamp | undefined;
  private manifestCrc: number | undefined;
  /** A damaged manifest or segment waits to be moved aside by the next save. */
  private repair = false;
  /** The store belongs to a newer version: nothing is ever written. */
  private refusal: NewerFormatError | undefined;
  /** One sync with the disk (a refresh or a save) at a time in this process. */
  private readonly syncing = new Mutex();
  private readonly told = new Set<string>();
  /** Problems by what they concern (a segment's file, the manifest): the latest word on each. */
  private readonly troubles = new Map<string, string>();
  /** Segments found with a damaged passage (id → file name): moved aside by the next save once nothing is live in them. */
  private readonly damagedText = new Map<number, string>();
  private readonly codebooks = new Codebooks();

  private constructor(
    private readonly dir: string | undefined,
    private readonly logger: Logger,
    private readonly readOnly: boolean,
  ) {}

  /**
   * Opens the index in `dir` (none yet: an empty one). Never throws for what it finds there:
   * a damaged manifest or segment, or a newer format, is logged and costs at most the files
   * concerned. A writer moves damaged files aside at once when the lock is free.
   */
  static async open(dir: string | undefined, logger: Logger, options: OpenOptions = {}): Promise<SegmentIndex> {
    const index = new SegmentIndex(dir, logger, options.readOnly ?? false);
    if (!dir) return index;
    index.adopt(await index.readView(false));
    if (index.repair && !index.readOnly && !index.refusal) {
      await index.save({ timeoutMs: REPAIR_WAIT_MS }).catch((error: unknown) => logger.log('info', `The index will be repaired at its next save (${describeError(error)}).`));
    }
    return index;
  }

  /** Closes the segments' files (their text is read through them); a later read opens a file again where it is still there. */
  close(): void {
    for (const segment of this.segments.values()) segment.close();
  }

  /** Every file read, by display path. */
  get files(): ReadonlyMap<string, FileEntry> {
    return this.fileMap;
  }

  /** Why this store is never written (it belongs to a newer Local RAG); undefined when it is ours. */
  get newerFormat(): string | undefined {
    return this.refusal?.message;
  }

  /**
   * Records how chunks are cut from now on. When that differs from how the saved chunks
   * were cut, every file is marked as changed, so the next indexing run cuts it again; until
   * then the old chunks stay searchable. Returns whether files were marked.
   */
  useChunking(chunking: unknown): boolean {
    const wanted = JSON.stringify(chunking);
    if (wanted === this.chunking) return false;
    const hadChunks = this.chunking !== undefined && this.fileMap.size > 0;
    this.chunking = wanted;
    this.chunkingChanged = true;
    if (!hadChunks) return false;
    for (const [file, entry] of [...this.fileMap]) this.setEntry(file, { ...entry, mtimeMs: -1, hash: '' });
    return true;
  }

  /** Number of live chunks. */
  get chunkCount(): number {
    let count = 0;
    for (const entry of this.fileMap.values()) count += entry.chunks;
    return count;
  }

  /** Whether some live chunks have vectors from `modelId`. */
  hasVectors(modelId: string): boolean {
    return [...this.segments.values()].some((segment) => segment.vectors?.modelId === modelId);
  }

  setEntry(file: string, entry: FileEntry): void {
    this.fileMap.set(file, entry);
    this.record(file, { kind: 'set', entry: { ...entry }, seq: 0 });
    this.cachedLayout = undefined;
  }

  deleteEntry(file: string): boolean {
    const deleted = this.fileMap.delete(file);
    if (deleted) {
      this.record(file, { kind: 'set', entry: undefined, seq: 0 });
      this.cachedLayout = undefined;
    }
    return deleted;
  }

  /** Indexes the chunks of these files as one new segment; their earlier chunks stop being live. */
  async addFiles(batch: FileChunks[], modelId?: string): Promise<void> {
    const chunks = batch.flatMap((file) => file.chunks);
    const id = newSegmentId();
    const packed = modelId && batch.every((file) => file.vectors) ? packVectors(modelId, batch.flatMap((file) => file.vectors!)) : undefined;
    if (chunks.length > 0) {
      const { vectors, groups } = await this.placed(packed);
      this.putSegment(await Segment.build(id, chunks, vectors, groups));
    }
    for (const file of batch) this.setEntry(file.path, { ...file.facts, segment: file.chunks.length ? id : 0, chunks: file.chunks.length });
  }

  /** Segments without vectors from `modelId` (live chunks only), for re-embedding. */
  segmentsToEmbed(modelId: string): { id: number; chunks: Chunk[] }[] {
    return this.despiteDamage(() => this.unembedded(modelId));
  }

  private unembedded(modelId: string): { id: number; chunks: Chunk[] }[] {
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
    // A file of it was indexed again while its chunks were embedded: these vectors no longer fit (the next pass embeds it anew).
    if (live.length !== vectors.length) return;
    const placed = await this.placed(packVectors(modelId, vectors));
    // Only the live chunks, copied (not indexed again), then given the new vectors.
    const source = live.length === segment.size ? segment : await Segment.merge(newSegmentId(), [{ segment, live }]);
    const next = source.withVectors(newSegmentId(), placed.vectors, placed.groups);
    // The disk may have moved on while the chunks were embedded (another window saved).
    if (this.segments.get(id) === segment) this.replace(segment, next);
  }

  keyword(query: string, k: number, options?: KeywordOptions): Scored[] {
    // A damaged passage among the best (ranked by its words) is forgotten and the query run again without it.
    return this.despiteDamage(() => keywordSearch(this.layout(), query, k, options));
  }

  vector(modelId: string, query: Float32Array, k: number): VectorHits {
    return vectorSearch(this.layout(), modelId, query, k, this.codebooks.all);
  }

  /** The chunk numbered `doc` in the current layout. */
  chunk(doc: number): Chunk {
    const { segments, bases } = this.layout();
    let s = segments.length - 1;
    while (bases[s] > doc) s--;
    try {
      return segments[s].chunk(doc - bases[s]);
    } catch (error) {
      if (error instanceof DamagedTextError) this.forgetDamaged(error);
      throw error;
    }
  }

  /** Runs `work`, again after each damaged passage it met (whose files are forgotten, so it is not met twice). */
  private despiteDamage<T>(work: () => T): T {
    for (;;) {
      try {
        return work();
      } catch (error) {
        if (!(error instanceof DamagedTextError) || !this.forgetDamaged(error)) throw error;
      }
    }
  }

  /**
   * A passage's text does not match its checksum: the files of its segment are forgotten,
   * so the next run reads them again (as for a damaged segment file), and the next save
   * moves the file aside. Returns whether anything was forgotten.
   */
  private forgetDamaged(error: DamagedTextError): boolean {
    const lost = [...this.fileMap].filter(([, entry]) => entry.segment === error.segment).map(([file]) => file);
    for (const file of lost) this.deleteEntry(file);
    const name = this.records.get(error.segment)?.file ?? path.basename(error.file);
    if (this.records.has(error.segment)) this.damagedText.set(error.segment, name);
    this.tell('warn', `Part of the saved index (${name}) is damaged (${error.message}); its ${lost.length} file(s) will be indexed again.`, name);
    return lost.length > 0;
  }

  /**
   * Follows the disk when another process saved since this view was read (one stat when it
   * did not): its files come in, what it removed goes, this process's own unsaved changes stay.
   */
  async refresh(): Promise<void> {
    if (!this.dir || sameStamp(await manifestStamp(this.dir), this.stamp)) return;
    const release = await this.syncing.acquire();
    try {
      if (!sameStamp(await manifestStamp(this.dir), this.stamp)) this.adopt(await this.readView(false));
    } finally {
      release();
    }
  }

  /**
   * Saves this process's changes into the store: under the store's lock (waiting for another
   * process's save to end), merged with what others saved meanwhile. A cancelled wait throws
   * CancelledError and keeps every change in memory for the next save.
   */
  async save(options: SaveOptions = {}): Promise<void> {
    if (!this.dir || this.readOnly) return;
    if (this.refusal) throw this.refusal;
    if (!this.hasWork()) return;
    const release = await this.syncing.acquire();
    try {
      if (!this.hasWork()) return;
      await fs.mkdir(this.dir, { recursive: true });
      const onWaiting = options.onWaiting;
      const lock = await acquireLock(path.join(this.dir, LOCK_FILE), { token: options.token, timeoutMs: options.timeoutMs, onWaiting: onWaiting && (() => onWaiting()) });
      try {
        await this.commit(this.dir);
      } finally {
        await lock.release();
      }
    } finally {
      release();
    }
  }

  private hasWork(): boolean {
    return this.changes.size > 0 || this.unsaved.size > 0 || this.chunkingChanged || this.repair || this.damagedText.size > 0 || [...this.segments.values()].some((segment) => segment.legacy);
  }

  /** The save proper; the caller holds the store's lock, so nothing here races another writer. */
  private async commit(dir: string): Promise<void> {
    // The manifest this view last read or wrote is still the one on disk, byte for byte
    // (nobody saved since, nor is anyone saving: we hold the lock): the view is already the
    // disk plus our changes, and parsing and merging it again is skipped.
    const current = this.manifestCrc === undefined || this.repair ? undefined : await readManifestFile(dir).catch(() => undefined);
    const unchanged = current !== undefined && current.crc32 === this.manifestCrc;
    const view: DiskView = unchanged ? { stamp: current.stamp, crc32: current.crc32, manifest: undefined, loaded: new Map(), damaged: [] } : await this.readView(true);
    if (unchanged) {
      // Nothing to merge.
    } else if (view.problem instanceof NewerFormatError) {
      this.refuse(view.problem);
      throw view.problem;
    } else if (view.problem instanceof ManifestShapeError) {
      // This view stays the base: it is what this process last saw whole.
      const aside = await moveAside(dir, MANIFEST);
      this.tell('warn', `The saved index could not be read (${view.problem.message}); it was kept as ${aside ?? MANIFEST} and the files it listed will be indexed again.`, MANIFEST);
    } else if (view.problem) {
      throw view.problem;
    } else {
      const aside = new Map<number, string | undefined>();
      for (const { record } of view.damaged) aside.set(record.id, await moveAside(dir, record.file));
      this.adopt(view, aside);
    }
    this.upgrade();
    await this.despiteDamageAsync(() => this.compact());

    // A codebook goes to disk before any segment that names it.
    const codebooks = await this.codebooks.save(dir, this.segments.values());
    const taken = new Set(await fs.readdir(dir));
    for (const id of [...this.unsaved]) if (taken.has(segmentFile(id)) || this.records.has(id)) this.renumber(id);
    let written = 0;
    for (const id of [...this.unsaved]) {
      const segment = this.segments.get(id);
      this.unsaved.delete(id);
      if (!segment) continue;
      const { head, text, padding } = segment.encodeParts();
      const record: SegmentRecord = { id, file: segmentFile(id), bytes: head.length + text.byteLength + padding.length, crc32: checksum(head) };
      await writeAtomically(path.join(dir, record.file), [head, text, padding]);
      segment.textSaved(path.join(dir, record.file), head);
      this.records.set(id, record);
      written++;
    }
    if (written > 0) await syncDir(dir);

    // The manifest names only segments on disk: a file indexed into a segment made while
    // this save ran keeps its saved entry (when this save read it) until the next save.
    const upTo = this.seq;
    const chunking = this.chunking;
    const onDisk = new Map(view.manifest?.files);
    const deferred = new Set<string>();
    const files: [string, FileEntry][] = [];
    for (const [file, entry] of this.fileMap) {
      if (entry.segment === 0 || this.records.has(entry.segment)) files.push([file, entry]);
      else {
        deferred.add(file);
        const saved = onDisk.get(file);
        if (saved && (saved.segment === 0 || this.records.has(saved.segment))) files.push([file, saved]);
      }
    }
    const segments = [...this.records.values()].filter((record) => this.segments.has(record.id));
    const manifestBytes = serializeManifest({ chunking: chunking === undefined ? undefined : JSON.parse(chunking), segments, codebooks, files });
    await writeAtomically(path.join(dir, MANIFEST), manifestBytes);
    await syncDir(dir);
    this.stamp = await manifestStamp(dir);
    this.manifestCrc = checksum(manifestBytes);
    for (const [file, change] of [...this.changes]) if (change.seq <= upTo && !deferred.has(file)) this.changes.delete(file);
    if (this.chunking === chunking) this.chunkingChanged = false;
    this.repair = false;
    for (const [id, name] of [...this.damagedText]) {
      if (segments.some((record) => record.id === id)) continue;
      this.damagedText.delete(id);
      await moveAside(dir, name).catch(() => undefined);
    }
    await removeStrays(dir, new Set([...segments, ...codebooks].map((record) => record.file)));
  }

  /**
   * Reads the manifest and the segments it names that are not in memory. Outside the lock, a
   * segment that vanished means a writer replaced it after the manifest was read: read again.
   */
  private async readView(underLock: boolean): Promise<DiskView> {
    const dir = this.dir!;
    const loaded = new Map<number, Segment>();
    for (let attempt = 1; ; attempt++) {
      let file: Awaited<ReturnType<typeof readManifestFile>>;
      let manifest: Manifest;
      try {
        file = await readManifestFile(dir);
        if (!file) return { stamp: undefined, manifest: undefined, loaded, damaged: [] };
        manifest = parseManifest(file.text);
      } catch (problem) {
        return { stamp: file?.stamp, crc32: file?.crc32, manifest: undefined, loaded, damaged: [], problem };
      }
      const damaged: DiskView['damaged'] = [];
      for (const { record, reason } of await this.codebooks.load(dir, manifest.codebooks ?? [])) {
        this.tell('warn', `The approximate vector index (${record.file}) could not be read (${reason}); vector search scans every vector of the parts that use it.`, record.file);
      }
      let vanished = false;
      await Promise.all(
        manifest.segments.map(async (record) => {
          if (this.segments.has(record.id) || loaded.has(record.id)) return;
          try {
            const read = await readSegmentFile(dir, record);
            loaded.set(record.id, Segment.decode(record.id, read.bytes, read));
            // Format 3 kept no checksum (nor format 2's text last): it is recorded from now on.
            if (record.crc32 === undefined) Object.assign(record, { bytes: read.size, crc32: checksum(read.bytes) });
          } catch (error) {
            const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
            if (missing && !underLock && attempt < READ_ATTEMPTS) vanished = true;
            else damaged.push({ record, reason: missing ? 'the file is missing' : describeError(error) });
          }
        }),
      );
      if (!vanished) return { stamp: file.stamp, crc32: file.crc32, manifest, loaded, damaged };
      await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
    }
  }

  /**
   * Makes `view` this process's view: the disk's segments and entries, with this process's
   * own changes applied on top and its unsaved segments kept. A view that could not be read
   * leaves the current one as it is.
   */
  private adopt(view: DiskView, aside = new Map<number, string | undefined>()): void {
    this.stamp = view.stamp;
    // A view that could not be used is never "unchanged": the next save reads the disk again.
    this.manifestCrc = view.problem ? undefined : view.crc32;
    if (view.problem instanceof NewerFormatError) return this.refuse(view.problem);
    if (view.problem) {
      this.repair ||= view.problem instanceof ManifestShapeError;
      this.tell('warn', `The saved index could not be read (${describeError(view.problem)}); the workspace will be indexed again.`, MANIFEST);
      return;
    }
    const base = view.manifest ?? { segments: [], files: [], chunking: undefined };
    const segments = new Map<number, Segment>();
    const records = new Map<number, SegmentRecord>();
    for (const record of base.segments) {
      const segment = view.loaded.get(record.id) ?? this.segments.get(record.id);
      if (!segment) continue;
      segments.set(record.id, segment);
      records.set(record.id, record.crc32 !== undefined ? record : (this.records.get(record.id) ?? record));
    }
    for (const id of this.unsaved) segments.set(id, this.segments.get(id)!);
    const files = new Map<string, FileEntry>();
    for (const [file, entry] of base.files) if (entry.segment === 0 || segments.has(entry.segment)) files.set(file, { ...entry });
    for (const [file, change] of this.changes) {
      const onDisk = files.get(file);
      if (change.kind === 'move') {
        if (onDisk?.segment === change.from && segments.has(change.to)) onDisk.segment = change.to;
      } else if (!change.entry) {
        files.delete(file);
      } else if (change.entry.segment === 0 || segments.has(change.entry.segment)) {
        files.set(file, { ...change.entry });
      } else if (onDisk && onDisk.hash === change.entry.hash && onDisk.chunks === change.entry.chunks) {
        // Our entry named a segment another writer has since merged: same content, its new place.
        files.set(file, { ...change.entry, segment: onDisk.segment });
      } else {
        // Its chunks are gone from the disk: forgotten, so the next run reads it again.
        files.delete(file);
      }
    }
    for (const { record, reason } of view.damaged) {
      const lost = base.files.filter(([, entry]) => entry.segment === record.id).length;
      const kept = aside.get(record.id);
      this.repair ||= !aside.has(record.id) && reason !== 'the file is missing';
      this.tell(
        'warn',
        `Part of the saved index (${record.file}) is damaged (${reason}); its ${lost} file(s) will be indexed again` + (kept ? ` (the damaged file was kept as ${kept}).` : '.'),
        record.file,
      );
    }
    if (!this.chunkingChanged && view.manifest) this.chunking = view.manifest.chunking === undefined ? undefined : JSON.stringify(view.manifest.chunking);
    for (const [id, segment] of this.segments) if (segments.get(id) !== segment) segment.close();
    this.segments = segments;
    this.records = records;
    this.fileMap = files;
    this.cachedLayout = undefined;
  }

  private refuse(error: NewerFormatError): void {
    this.refusal = error;
    this.tell('error', error.message);
  }

  /** Logs a message once (a refresh before every search must not repeat it); a warning or error is also a problem about `subject`. */
  private tell(level: LogLevel, message: string, subject = message): void {
    if (this.told.has(message)) return;
    this.told.add(message);
    if (level === 'warn' || level === 'error') this.troubles.set(subject, message);
    this.logger.log(level, message);
  }

  /**
   * What was wrong with the saved index since it was opened (damaged parts moved aside and
   * read again, a newer format refused), for Show Index Summary, not only the log.
   */
  get problems(): string[] {
    return [...this.troubles.values()];
  }

  private record(file: string, change: Change): void {
    change.seq = ++this.seq;
    this.changes.set(file, change);
  }

  /** Notes that `file`'s chunks moved from segment `from` to `to`. */
  private recordMove(file: string, from: number, to: number): void {
    const change = this.changes.get(file);
    if (change?.kind === 'set' && change.entry) {
      if (change.entry.segment === from) change.entry.segment = to;
      change.seq = ++this.seq;
    } else if (change?.kind === 'move') {
      change.to = to;
      change.seq = ++this.seq;
    } else if (!change) {
      this.record(file, { kind: 'move', from, to, seq: 0 });
    }
  }

  /** Gives an unsaved segment a new id (its own collided with a file already in the folder). */
  private renumber(id: number): void {
    const segment = this.segments.get(id)!;
    const next = segment.withVectors(newSegmentId(), segment.vectors, segment.groups);
    this.segments.delete(id);
    this.unsaved.delete(id);
    this.segments.set(next.id, next);
    this.unsaved.add(next.id);
    for (const [file, entry] of this.fileMap) {
      if (entry.segment !== id) continue;
      entry.segment = next.id;
      this.recordMove(file, id, next.id);
    }
    this.cachedLayout = undefined;
  }

  /** Segments of format 1 (a store of format 4) are rewritten in the current format by the first save that can. */
  private upgrade(): void {
    const legacy = [...this.segments.values()].filter((segment) => segment.legacy);
    if (legacy.length === 0) return;
    this.logger.log('info', `Rewriting ${legacy.length} part(s) of the saved index in the current format (text read from disk, vectors as int8).`);
    for (const segment of legacy) this.replace(segment, segment.withVectors(newSegmentId(), segment.vectors));
  }

  private async despiteDamageAsync(work: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        return await work();
      } catch (error) {
        if (!(error instanceof DamagedTextError) || !this.forgetDamaged(error)) throw error;
      }
    }
  }

  /**
   * Drops segments with no live chunk, then merges in tiers, as log-structured stores do: a
   * segment's tier is its count of live chunks in powers of `MERGE_FACTOR` above
   * `SMALL_SEGMENT` (everything below it is tier 0), and once a tier holds `MERGE_FACTOR`
   * segments of one vector model, its smallest are merged into one (up to `MAX_MERGED`
   * chunks), which may fill the next tier. Each chunk is copied about log8(total / batch)
   * times over the store's life, and a million chunks sit in a few dozen segments rather
   * than hundreds — each with its own term list that every query looks its words up in.
   * A segment that lost most of its chunks is rewritten with only the live ones.
   */
  private async compact(): Promise<void> {
    await this.placeInCodebooks();
    // Counted from the files, not chunk by chunk: a save at a million chunks must not walk them all.
    const counts = new Map<number, number>();
    for (const entry of this.fileMap.values()) if (entry.segment) counts.set(entry.segment, (counts.get(entry.segment) ?? 0) + entry.chunks);
    // Valid for every segment this compaction has not replaced yet: merges only repoint their own parts' files.
    const layout = this.layout();
    const liveOf = (entry: TierEntry) => entry.live ?? this.liveOf(entry.segment, layout);
    const tiers = new Map<string, TierEntry[][]>();
    const sparse = new Set<Segment>();
    for (const segment of layout.segments) {
      const count = counts.get(segment.id) ?? 0;
      if (count === 0) {
        this.replace(segment, undefined);
        continue;
      }
      if (count < segment.size * MIN_LIVE_SHARE) sparse.add(segment);
      // Keyed by vector model (or none): no chunk may lose its vector in a merge.
      const key = segment.vectors?.modelId ?? '';
      const byTier = tiers.get(key) ?? [];
      tiers.set(key, byTier);
      (byTier[tierOf(count)] ??= []).push({ segment, count });
    }
    for (const byTier of tiers.values()) {
      for (let tier = 0; tier < byTier.length; tier++) {
        const entries = byTier[tier];
        while (entries && entries.length >= MERGE_FACTOR) {
          entries.sort((a, b) => a.count - b.count);
          let taken = 0;
          let chunks = 0;
          while (taken < entries.length && chunks + entries[taken].count <= MAX_MERGED) chunks += entries[taken++].count;
          if (taken < 2) break;
          const parts = entries.splice(0, taken).map((entry) => ({ segment: entry.segment, live: liveOf(entry) }));
          const merged = await this.merged(parts);
          for (const { segment } of parts) sparse.delete(segment);
          (byTier[tierOf(merged.size)] ??= []).push({ segment: merged, count: merged.size, live: range(merged.size) });
        }
      }
    }
    // Small ones wait for their tier's merge: rewriting one alone each time a file in it changes would be churn.
    for (const segment of sparse) {
      const count = counts.get(segment.id) ?? 0;
      if (count >= SMALL_SEGMENT) await this.merged([{ segment, live: liveOf({ segment, count }) }]);
    }
  }

  /** Puts one segment of `parts`' live chunks (with their groups in the codebook) in their place. */
  private async merged(parts: MergePart[]): Promise<Segment> {
    const copied = await Segment.merge(newSegmentId(), parts);
    const vectors = copied.vectors;
    // The parts' vectors are the merged segment's: a codebook learned now must not count them twice.
    const others = () => this.layout().segments.filter((segment) => !parts.some((part) => part.segment === segment));
    const groups = vectors && (this.codebooks.carried(parts) ?? (await this.codebooks.groupsFor(vectors, others())));
    const merged = copied.withGroups(groups);
    for (const { segment } of parts) this.replace(segment, undefined);
    this.putSegment(merged);
    this.repoint(merged);
    return merged;
  }

  /**
   * Segments built before their model's codebook was learned are placed in it once (the same
   * chunks and vectors, with their groups): else every search scans them whole.
   */
  private async placeInCodebooks(): Promise<void> {
    for (const segment of this.layout().segments) {
      if (!segment.vectors || (segment.groups && this.codebooks.all.has(segment.groups.codebook))) continue;
      const groups = this.codebooks.groupsForKnown(segment.vectors);
      if (groups) this.replace(segment, segment.withVectors(newSegmentId(), segment.vectors, await groups));
    }
  }

  /**
   * Vectors quantized, with their groups in their model's codebook (learned now if the store
   * has just come to hold enough of them).
   */
  private async placed(vectors: SegmentVectors | QuantizedVectors | undefined): Promise<Placed> {
    if (!vectors) return {};
    const quantized = 'codes' in vectors ? vectors : quantize(vectors.modelId, vectors.dimension, vectors.data);
    return { vectors: quantized, groups: await this.codebooks.groupsFor(quantized, this.layout().segments) };
  }

  /** Puts `next` (holding the same files' live chunks, or nothing) in place of `segment`. */
  private replace(segment: Segment, next: Segment | undefined): void {
    segment.close();
    this.segments.delete(segment.id);
    this.unsaved.delete(segment.id);
    this.records.delete(segment.id);
    if (next) {
      this.putSegment(next);
      this.repoint(next);
    }
    this.cachedLayout = undefined;
  }

  private putSegment(segment: Segment): void {
    this.segments.set(segment.id, segment);
    this.unsaved.add(segment.id);
    this.cachedLayout = undefined;
  }

  /** Points the entries of `segment`'s files at it. */
  private repoint(segment: Segment): void {
    for (const file of segment.files) {
      const entry = this.fileMap.get(file);
      if (!entry || entry.segment === segment.id) continue;
      const from = entry.segment;
      entry.segment = segment.id;
      this.recordMove(file, from, segment.id);
    }
    this.cachedLayout = undefined;
  }

  /** The segments numbered as one collection, recomputed after a change. */
  layout(): Layout {
    if (this.cachedLayout) return this.cachedLayout;
    const segments = [...this.segments.values()].sort((a, b) => a.id - b.id);
    this.cachedLayout = layOut(segments, (segment, file) => this.fileMap.get(file)?.segment === segment.id);
    return this.cachedLayout;
  }

  private liveOf(segment: Segment, layout: Layout): number[] {
    const base = layout.bases[layout.segments.indexOf(segment)];
    const live: number[] = [];
    for (let d = 0; d < segment.size; d++) if (layout.live[base + d]) live.push(d);
    return live;
  }
}

/**
 * A segment id no other process picks: 48 random bits (above format 3's small sequential
 * ids); a save still checks the folder under the lock before writing one.
 */
function newSegmentId(): number {
  return randomInt(2 ** 32, 2 ** 48);
}

function packVectors(modelId: string, vectors: Float32Array[]): SegmentVectors {
  const dimension = vectors[0]?.length ?? 0;
  const data = new Float32Array(vectors.length * dimension);
  vectors.forEach((vector, i) => data.set(vector, i * dimension));
  return { modelId, dimension, data };
}

/** A segment in the merge tiers: its live chunks' count, and their numbers once known. */
interface TierEntry {
  segment: Segment;
  count: number;
  live?: number[];
}

/** A segment's merge tier by its live chunks: 0 below `SMALL_SEGMENT`, then one per power of `MERGE_FACTOR`. */
function tierOf(live: number): number {
  return live < SMALL_SEGMENT ? 0 : 1 + Math.floor(Math.log(live / SMALL_SEGMENT) / Math.log(MERGE_FACTOR));
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
