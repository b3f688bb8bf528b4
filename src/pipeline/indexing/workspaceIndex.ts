/**
 * The index of one workspace: what was read from which file (a manifest of size, mtime and
 * content hash, so unchanged files are not read again) and the chunks, searchable by
 * keywords and, with an embedding model, by vectors. Stored as segments (store/): a change
 * saves a small new segment and the manifest, each written to a temp file and renamed, so a
 * kill at any moment of a save leaves an index that loads.
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs/promises';
import { CancelledError, type RequestToken } from '../cancellation';
import { describeError, type Logger } from '../log';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunk';
import { DEFAULT_PDF_MAX_BYTES, extractPdf, pdfTooLarge } from './extract/pdf';
import { hashRegularFile, notAFile } from './extract/safeRead';
import { DEFAULT_MAX_TEXT_BYTES, kindOf, readTextFile, textDocument } from './extract/text';
import type { PassageEmbedder } from '../embedding/passageEmbedder';
import { SegmentIndex, type FileChunks, type FileEntry, type OpenOptions, type SaveOptions } from './store/segmentIndex';
import { FUSION_CANDIDATES, fuseKeywordAndVector } from './store/ranking';
import { ExtractionError, type Chunk, type ExtractedDocument } from './types';
import type { FileRef, IndexFailure, IndexProgress, IndexReport, IndexStatus } from '../../protocol/indexing';

export type { FileRef, IndexFailure, IndexProgress, IndexReport, IndexStatus };

export interface SearchHit extends Chunk {
  score: number;
  /** In hybrid search, how clearly vector search found the chunk (0..1, calibrated per query: store/vectorConfidence.ts). */
  confidence?: number;
}

/** A long run saves as it goes, so a crash or a kill loses at most this much work. */
const CHECKPOINT_MS = 30_000;
/** Text files read ahead of the one being indexed, so the disk and the CPU work together. */
const READ_AHEAD = 8;
/**
 * PDFs extracted ahead, wherever they are in the list: the PDF worker parses them on the
 * other core while this thread indexes the text files before them.
 */
const PDF_AHEAD = 4;
/** Chunks of newly indexed files gathered into one segment (searchable from then on). */
const SEGMENT_CHUNKS = 4096;
/** Chunks embedded per step when a new model embeds the whole index. */
const REEMBED_BATCH = 64;

/** What was read for one file before its turn. */
interface Prepared {
  stat?: { size: number; mtimeMs: number };
  /** A changed text file's bytes. */
  data?: Buffer;
  /** A changed PDF: its content hash, and its text unless the hash shows it unchanged. */
  hash?: string;
  document?: ExtractedDocument;
  error?: unknown;
}

export class WorkspaceIndex {
  private embedder: PassageEmbedder | undefined;
  /** Files indexed since the last segment was made. */
  private pending: FileChunks[] = [];
  private pendingChunks = 0;

  private constructor(
    private readonly store: SegmentIndex,
    private readonly logger: Logger,
    private chunkOptions: ChunkOptions,
  ) {}

  /**
   * Opens the index saved in `dir` (none yet: an empty one). Other processes may read and
   * write the same folder meanwhile; `readOnly` never changes anything there.
   */
  static async open(dir: string | undefined, logger: Logger, chunkOptions = DEFAULT_CHUNK_OPTIONS, options: OpenOptions = {}): Promise<WorkspaceIndex> {
    const index = new WorkspaceIndex(await SegmentIndex.open(dir, logger, options), logger, chunkOptions);
    await index.setChunkOptions(chunkOptions);
    return index;
  }

  /**
   * Cuts chunks this way from now on. Files cut another way are re-read by the next indexing
   * run (their old chunks serve until then); returns whether that is needed.
   */
  async setChunkOptions(options: ChunkOptions): Promise<boolean> {
    await this.flushPending();
    this.chunkOptions = options;
    const changed = this.store.useChunking({ chunkSize: options.chunkSize, overlap: options.overlap });
    if (changed) this.logger.log('info', `Chunk size or overlap changed (${options.chunkSize}/${options.overlap}); files are cut again as they are indexed.`);
    return changed;
  }

  /**
   * Uses `embedder` for dense vectors from now on (undefined: keywords only). Chunks without
   * a vector from this model — all of them after a model change — are embedded now, segment
   * by segment, batch by batch; a cancel keeps the segments embedded so far.
   */
  async useEmbedder(embedder: PassageEmbedder | undefined, token: RequestToken, onProgress?: (done: number, total: number) => void): Promise<void> {
    this.embedder = embedder;
    if (!embedder) return;
    await this.saving;
    await this.flushPending();
    const todo = this.store.segmentsToEmbed(embedder.modelId);
    const total = todo.reduce((sum, segment) => sum + segment.chunks.length, 0);
    if (total === 0) return;
    this.logger.log('info', `Embedding ${total} chunks with ${embedder.modelId}.`);
    let done = 0;
    try {
      for (const { id, chunks } of todo) {
        const vectors: Float32Array[] = [];
        for (let start = 0; start < chunks.length; start += REEMBED_BATCH) {
          token.throwIfCancelled();
          vectors.push(...(await embedder.embedPassages(chunks.slice(start, start + REEMBED_BATCH).map((chunk) => chunk.text), token)));
          done += Math.min(REEMBED_BATCH, chunks.length - start);
          onProgress?.(done, total);
        }
        await this.store.setVectors(id, embedder.modelId, vectors);
      }
    } finally {
      await this.save();
    }
  }

  /** Whether search also uses vectors (an embedding model is in use and has embedded chunks). */
  get isHybrid(): boolean {
    return this.embedder !== undefined && this.store.hasVectors(this.embedder.modelId);
  }

  /** Why the saved index is left untouched (written by a newer Local RAG); undefined when it is usable. */
  get newerFormat(): string | undefined {
    return this.store.newerFormat;
  }

  /** Takes in what other processes saved since this view was read (a stat when nothing was). */
  async refresh(): Promise<void> {
    // A question is answered from the view at hand rather than failed over a re-read.
    await this.store.refresh().catch((error: unknown) => this.logger.log('warn', `The saved index could not be re-read (${describeError(error)}).`));
  }

  /** Nothing was ever read into it: no file indexed or failed, none on its way (cheaper than `status()` on a big index). */
  get isEmpty(): boolean {
    return this.store.files.size === 0 && this.pending.length === 0 && this.flushing.length === 0;
  }

  status(): IndexStatus {
    const failures = [...this.store.files.values()].flatMap((entry) => (entry.failure ? [entry.failure] : []));
    const problems = this.store.problems;
    // A cancelled run's last batch becomes a segment just after the run answers, which is
    // when the editor asks: counted already, or the status bar would say 0 files after a
    // Cancel that kept thousands (and nothing asks again).
    let files = this.store.files.size - failures.length;
    let chunks = this.store.chunkCount;
    for (const file of [...this.flushing, ...this.pending]) {
      const stored = this.store.files.get(file.path);
      if (!stored || stored.failure) files++;
      chunks += file.chunks.length - (stored?.chunks ?? 0);
    }
    return { files, chunks, failures, ...(problems.length ? { storeProblems: problems } : {}) };
  }

  /**
   * Keyword search, fused with vector search when `queryVector` is given (from the same
   * embedding model): each list contributes its top `FUSION_CANDIDATES`, the vector hits
   * weighted by their calibrated confidence (store/ranking.ts).
   */
  search(query: string, k: number, queryVector?: Float32Array): SearchHit[] {
    if (!queryVector || !this.isHybrid) return this.store.keyword(query, k).map(({ doc, score }) => ({ ...this.store.chunk(doc), score }));
    const fused = fuseKeywordAndVector(this.store.keyword(query, FUSION_CANDIDATES), this.store.vector(this.embedder!.modelId, queryVector, FUSION_CANDIDATES), k);
    return fused.map(({ doc, score, confidence }) => ({ ...this.store.chunk(doc), score, confidence }));
  }

  /** The vector of a query, when an embedding model is in use. */
  async embedQuery(query: string, token: RequestToken): Promise<Float32Array | undefined> {
    return this.isHybrid ? this.embedder!.embedQuery(query, token) : undefined;
  }

  /**
   * Indexes the files given, skipping those unchanged since they were last read. Stops
   * between files when `token` is cancelled; what was indexed until then is kept and saved.
   */
  async indexFiles(files: FileRef[], token: RequestToken, onProgress: (progress: IndexProgress) => void = () => {}): Promise<IndexReport> {
    await this.saving;
    // Files another window indexed meanwhile are not read again.
    await this.store.refresh();
    const report: IndexReport = { indexed: 0, unchanged: 0, failed: [], cancelled: false };
    const saveOptions: SaveOptions = { token, onWaiting: () => onProgress({ done: report.indexed + report.unchanged + report.failed.length, total: files.length, waitingForStore: true }) };
    let lastSave = Date.now();
    let unsaved = false;
    const reads = new Map<number, Promise<Prepared>>();
    const pdfs = files.flatMap((file, i) => (kindOf(file.absPath) === 'pdf' ? [i] : []));
    let nextPdf = 0;
    const readAhead = (from: number) => {
      for (let i = from; i < Math.min(files.length, from + READ_AHEAD); i++) if (!reads.has(i)) reads.set(i, this.prepare(files[i], token));
      while (nextPdf < pdfs.length && pdfs[nextPdf] < from) nextPdf++;
      for (let ahead = nextPdf; ahead < Math.min(pdfs.length, nextPdf + PDF_AHEAD); ahead++) {
        const i = pdfs[ahead];
        if (!reads.has(i)) reads.set(i, this.prepare(files[i], token));
      }
    };
    try {
      for (const [done, file] of files.entries()) {
        token.throwIfCancelled();
        onProgress({ done, total: files.length, current: file.displayPath });
        readAhead(done);
        const prepared = await reads.get(done)!;
        reads.delete(done);
        token.throwIfCancelled();
        const outcome = await this.indexFile(file, prepared, token);
        if (outcome === 'unchanged') report.unchanged++;
        else if (outcome === 'indexed') report.indexed++;
        else report.failed.push(outcome);
        unsaved ||= outcome !== 'unchanged';
        if (unsaved && Date.now() - lastSave > CHECKPOINT_MS) {
          await this.save(saveOptions);
          lastSave = Date.now();
          unsaved = false;
        }
      }
      onProgress({ done: files.length, total: files.length });
    } catch (error) {
      if (!token.isCancelled) throw error;
      report.cancelled = true;
    } finally {
      if (unsaved && report.cancelled) this.saveSoon();
      else if (unsaved) await this.saveOrKeep(saveOptions, report);
    }
    return report;
  }

  /** The display paths indexed under a folder (`docs/root/`): what a linked folder that now leads out held. */
  pathsUnder(prefix: string): string[] {
    return [...this.store.files.keys()].filter((displayPath) => displayPath.startsWith(prefix));
  }

  /** Forgets files (deleted, renamed away, excluded). */
  async removeFiles(displayPaths: string[]): Promise<number> {
    await this.saving;
    await this.flushPending();
    let removed = 0;
    for (const displayPath of displayPaths) if (this.store.deleteEntry(displayPath)) removed++;
    if (removed > 0) await this.save();
    return removed;
  }

  /**
   * The I/O for one file: its stat and, when it changed, its bytes (text) or its text (PDF).
   * Every read goes through safeRead: regular files only, bounded, cancellable. Never rejects.
   */
  private async prepare(file: FileRef, token: RequestToken): Promise<Prepared> {
    const prepared: Prepared = {};
    try {
      const stat = await fs.stat(file.absPath);
      prepared.stat = { size: stat.size, mtimeMs: stat.mtimeMs };
      // Refused before any open, and remembered with its stat: not retried until it changes.
      if (!stat.isFile()) throw notAFile(file.displayPath, stat);
      const previous = this.entry(file.displayPath);
      if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) return prepared;
      if (kindOf(file.absPath) !== 'pdf') {
        const { data, facts } = await readTextFile(file.absPath, file.displayPath, DEFAULT_MAX_TEXT_BYTES, token);
        // What was read, not what the path said before: a file written meanwhile is read again next time.
        prepared.stat = facts;
        prepared.data = data;
        return prepared;
      }
      const { hash, facts } = await hashRegularFile(file.absPath, file.displayPath, {
        maxBytes: DEFAULT_PDF_MAX_BYTES,
        token,
        tooLarge: (size) => pdfTooLarge(file.displayPath, size, DEFAULT_PDF_MAX_BYTES),
      });
      prepared.stat = facts;
      prepared.hash = hash;
      if (this.unchangedContent(file.displayPath, prepared.hash)) return prepared;
      // One PDF at a time in the worker, in list order.
      const extraction = this.pdfQueue.then(() => extractPdf(file.absPath, file.displayPath, token));
      this.pdfQueue = extraction.catch(() => {});
      prepared.document = await extraction;
    } catch (error) {
      prepared.error = error;
    }
    return prepared;
  }

  private pdfQueue: Promise<unknown> = Promise.resolve();

  /** Whether the saved index holds this very content for the file (touched, not changed). */
  private unchangedContent(displayPath: string, hash: string): boolean {
    const stored = this.store.files.get(displayPath);
    return stored !== undefined && !stored.failure && hash !== '' && stored.hash === hash;
  }

  /** What the index knows of a file, including files indexed into the pending batch. */
  private entry(displayPath: string): Omit<FileEntry, 'segment' | 'chunks'> | undefined {
    const batched = (batch: FileChunks[]) => batch.find((file) => file.path === displayPath)?.facts;
    return batched(this.pending) ?? batched(this.flushing) ?? this.store.files.get(displayPath);
  }

  private async indexFile(file: FileRef, prepared: Prepared, token: RequestToken): Promise<'indexed' | 'unchanged' | IndexFailure> {
    const previous = this.entry(file.displayPath);
    const { stat, data } = prepared;
    if (!stat) return this.fail(file, { size: 0, mtimeMs: 0, hash: '' }, prepared.error);
    if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) return 'unchanged';
    const facts = { size: stat.size, mtimeMs: stat.mtimeMs, hash: prepared.hash ?? '' };
    let document: ExtractedDocument;
    try {
      if (prepared.error) throw prepared.error;
      // A text file is read once, for its hash and its text.
      if (data) facts.hash = createHash('sha1').update(data).digest('hex');
      if (this.unchangedContent(file.displayPath, facts.hash)) {
        this.store.setEntry(file.displayPath, { ...this.store.files.get(file.displayPath)!, mtimeMs: stat.mtimeMs });
        return 'unchanged';
      }
      document = data ? textDocument(data, file.absPath, file.displayPath) : prepared.document!;
    } catch (error) {
      token.throwIfCancelled();
      return this.fail(file, facts, error);
    }
    token.throwIfCancelled();
    const chunks = chunkDocument(document, this.chunkOptions);
    // Embedded before anything changes, so a cancel mid-file leaves the file as it was.
    const vectors = this.embedder ? await this.embedder.embedPassages(chunks.map((chunk) => chunk.text), token) : undefined;
    this.pending.push({ path: file.displayPath, facts, chunks, ...(vectors ? { vectors } : {}) });
    this.pendingChunks += chunks.length;
    if (this.pendingChunks >= SEGMENT_CHUNKS) await this.flushPending();
    return 'indexed';
  }

  /** Makes the pending files a segment: searchable, and their earlier chunks replaced. */
  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.pendingChunks = 0;
    this.flushing = batch;
    try {
      await this.store.addFiles(batch, this.embedder?.modelId);
    } finally {
      this.flushing = [];
    }
  }

  /** The batch being made a segment (still unknown to the store). */
  private flushing: FileChunks[] = [];

  private fail(file: FileRef, facts: Omit<FileEntry, 'segment' | 'chunks'>, cause: unknown): IndexFailure {
    const error = cause instanceof ExtractionError ? cause : new ExtractionError(`${file.displayPath} could not be indexed: ${describeError(cause)}`, 'unreadable');
    const failure: IndexFailure = { path: file.displayPath, reason: error.reason, message: error.message };
    // Remembered with the file's facts, so a file that failed is not retried until it changes.
    this.store.setEntry(file.displayPath, { ...facts, segment: 0, chunks: 0, failure });
    this.logger.log('warn', error.message);
    return failure;
  }

  /** Waits for the saves under way, then lets go of the store's files (before the process ends, or the index is dropped). */
  async close(): Promise<void> {
    await this.saving;
    this.store.close();
  }

  /** Saves after every earlier save (one at a time, in order; other processes wait on the store's lock). */
  private save(options: SaveOptions = {}): Promise<void> {
    const saved = this.saving.then(async () => {
      await this.flushPending();
      await this.store.save(options);
    });
    this.saving = saved.catch((error) => {
      // A cancelled wait for another process's save is no failure: the changes stay for the next save.
      if (!(error instanceof CancelledError)) this.logger.log('warn', `The index could not be saved: ${describeError(error)}`);
    });
    return saved;
  }

  /**
   * The end-of-run save. Cancelled while another process holds the store's lock, the run
   * ends at once as cancelled; what it indexed stays searchable here and is saved in the
   * background once the lock is free.
   */
  private async saveOrKeep(options: SaveOptions, report: IndexReport): Promise<void> {
    try {
      await this.save(options);
    } catch (error) {
      if (!(error instanceof CancelledError)) throw error;
      report.cancelled = true;
      this.saveSoon();
    }
  }

  private saving: Promise<void> = Promise.resolve();

  /** Saves once the caller has answered: after a cancel, the answer goes first. */
  private saveSoon(): void {
    const started = new Promise<void>((resolve) => setImmediate(resolve));
    this.saving = this.saving.then(() => started);
    void this.save().catch(() => {});
  }
}
