/**
 * The index of one workspace: what was read from which file (a manifest of size, mtime and
 * content hash, so unchanged files are not read again) and the keyword index of their
 * chunks. Saved as one file, written to a temp file and renamed: a kill at any moment of a
 * save leaves either the old index or the new one, never a file that fails to load.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { CancellationToken } from '../cancellation';
import { describeError, type Logger } from '../log';
import { chunkDocument, DEFAULT_CHUNK_OPTIONS, type ChunkOptions } from './chunk';
import { extractPdf } from './extract/pdf';
import { kindOf, readTextFile, textDocument } from './extract/text';
import type { Embedder } from '../embedding/embedder';
import { KeywordIndex, type KeywordHit } from './keywordIndex';
import { reciprocalRankFusion, VectorIndex, type SavedVectors } from './vectorIndex';
import { ExtractionError, type ExtractedDocument } from './types';
import type { FileRef, IndexFailure, IndexProgress, IndexReport, IndexStatus } from '../../protocol/indexing';

export type { FileRef, IndexFailure, IndexProgress, IndexReport, IndexStatus };

// 2: the keyword index is embedded as an object (1 held it as a JSON string).
const FORMAT_VERSION = 2;
/** A long run saves as it goes, so a crash or a kill loses at most this much work. */
const CHECKPOINT_MS = 30_000;
const INDEX_FILE = 'index.json';

const READ_AHEAD = 8;
/** Chunks embedded per step when a new model embeds the whole index. */
const REEMBED_BATCH = 64;
/** Candidates each of keyword and vector search bring to the fusion. */
const CANDIDATES = 50;

interface Prepared {
  stat?: { size: number; mtimeMs: number };
  data?: Buffer;
  error?: ExtractionError;
}

interface ManifestEntry {
  size: number;
  mtimeMs: number;
  hash: string;
  chunkIds: string[];
  failure?: IndexFailure;
}

export class WorkspaceIndex {
  private constructor(
    private readonly dir: string | undefined,
    private readonly logger: Logger,
    private manifest: Map<string, ManifestEntry>,
    private keywords: KeywordIndex,
    private readonly chunkOptions: ChunkOptions,
    private vectors: VectorIndex | undefined,
  ) {}

  private embedder: Embedder | undefined;

  /** Opens the index saved in `dir` (none yet: an empty one). */
  static async open(dir: string | undefined, logger: Logger, chunkOptions = DEFAULT_CHUNK_OPTIONS): Promise<WorkspaceIndex> {
    if (dir) {
      try {
        const saved = JSON.parse(await fs.readFile(path.join(dir, INDEX_FILE), 'utf8')) as {
          version: number;
          manifest: [string, ManifestEntry][];
          keywords: ReturnType<KeywordIndex['toJSON']>;
          vectors?: SavedVectors;
        };
        if (saved.version === FORMAT_VERSION) {
          const vectors = saved.vectors ? VectorIndex.fromJSON(saved.vectors) : undefined;
          return new WorkspaceIndex(dir, logger, new Map(saved.manifest), KeywordIndex.fromJS(saved.keywords), chunkOptions, vectors);
        }
        logger.log('info', 'The saved index has an older format; the workspace will be indexed again.');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          logger.log('warn', `The saved index could not be loaded (${describeError(error)}); the workspace will be indexed again.`);
        }
      }
    }
    return new WorkspaceIndex(dir, logger, new Map(), KeywordIndex.create(), chunkOptions, undefined);
  }

  /**
   * Uses `embedder` for dense vectors from now on (undefined: keywords only). Chunks without
   * a vector from this model — all of them after a model change — are embedded now,
   * batch by batch; a cancel keeps what was embedded.
   */
  async useEmbedder(embedder: Embedder | undefined, token: CancellationToken, onProgress?: (done: number, total: number) => void): Promise<void> {
    this.embedder = embedder;
    if (!embedder) return;
    if (this.vectors?.modelId !== embedder.modelId) {
      if (this.vectors) this.logger.log('info', `The embedding model changed (${this.vectors.modelId} → ${embedder.modelId}); the chunks are embedded again.`);
      this.vectors = new VectorIndex(embedder.modelId);
    }
    const vectors = this.vectors;
    const missing = [...this.manifest.values()].flatMap((entry) => entry.chunkIds).filter((id) => !vectors.has(id));
    if (missing.length === 0) return;
    try {
      for (let start = 0; start < missing.length; start += REEMBED_BATCH) {
        token.throwIfCancelled();
        const ids = missing.slice(start, start + REEMBED_BATCH);
        const texts = ids.map((id) => this.keywords.get(id)?.text ?? '');
        vectors.set(ids, await embedder.embedPassages(texts, token));
        onProgress?.(Math.min(missing.length, start + REEMBED_BATCH), missing.length);
      }
    } finally {
      await this.save();
    }
  }

  /** Whether search also uses vectors (an embedding model is in use and has embedded chunks). */
  get isHybrid(): boolean {
    return this.embedder !== undefined && (this.vectors?.size ?? 0) > 0;
  }

  status(): IndexStatus {
    const failures = [...this.manifest.values()].flatMap((entry) => (entry.failure ? [entry.failure] : []));
    return { files: this.manifest.size - failures.length, chunks: this.keywords.size, failures };
  }

  /**
   * Keyword search, fused by reciprocal rank with vector search when `queryVector` is given
   * (from the same embedding model): each list contributes its top `CANDIDATES`.
   */
  search(query: string, k: number, queryVector?: Float32Array): KeywordHit[] {
    if (!queryVector || !this.vectors?.size) return this.keywords.query(query, k);
    const keyword = this.keywords.query(query, CANDIDATES);
    const dense = this.vectors.query(queryVector, CANDIDATES);
    const byId = new Map(keyword.map((hit) => [hit.id, hit]));
    return reciprocalRankFusion([keyword.map((hit) => hit.id), dense.map((hit) => hit.id)])
      .slice(0, k)
      .flatMap(({ id, score }) => {
        const chunk = byId.get(id) ?? this.keywords.get(id);
        return chunk ? [{ ...chunk, score }] : [];
      });
  }

  /** The vector of a query, when an embedding model is in use. */
  async embedQuery(query: string, token: CancellationToken): Promise<Float32Array | undefined> {
    return this.isHybrid ? this.embedder!.embedQuery(query, token) : undefined;
  }

  /**
   * Indexes the files given, skipping those unchanged since they were last read. Stops
   * between files when `token` is cancelled; what was indexed until then is kept and saved.
   */
  async indexFiles(files: FileRef[], token: CancellationToken, onProgress: (progress: IndexProgress) => void = () => {}): Promise<IndexReport> {
    const report: IndexReport = { indexed: 0, unchanged: 0, failed: [], cancelled: false };
    let lastSave = Date.now();
    let unsaved = false;
    // File I/O runs a few files ahead of the indexing, so the disk and the CPU work together.
    const reads = new Map<number, Promise<Prepared>>();
    const readAhead = (from: number) => {
      for (let i = from; i < Math.min(files.length, from + READ_AHEAD); i++) if (!reads.has(i)) reads.set(i, this.prepare(files[i]));
    };
    try {
      for (const [done, file] of files.entries()) {
        token.throwIfCancelled();
        onProgress({ done, total: files.length, current: file.displayPath });
        readAhead(done);
        const prepared = await reads.get(done)!;
        reads.delete(done);
        const outcome = await this.indexFile(file, prepared, token);
        if (outcome === 'unchanged') report.unchanged++;
        else if (outcome === 'indexed') report.indexed++;
        else report.failed.push(outcome);
        unsaved ||= outcome !== 'unchanged';
        if (unsaved && Date.now() - lastSave > CHECKPOINT_MS) {
          await this.save();
          lastSave = Date.now();
          unsaved = false;
        }
      }
      onProgress({ done: files.length, total: files.length });
    } catch (error) {
      if (!token.isCancelled) throw error;
      report.cancelled = true;
    } finally {
      if (unsaved) await this.save();
    }
    return report;
  }

  /** Forgets files (deleted, renamed away, excluded). */
  async removeFiles(displayPaths: string[]): Promise<number> {
    let removed = 0;
    for (const displayPath of displayPaths) {
      const entry = this.manifest.get(displayPath);
      if (!entry) continue;
      this.forgetChunks(entry.chunkIds);
      this.manifest.delete(displayPath);
      removed++;
    }
    if (removed > 0) await this.save();
    return removed;
  }

  /** The I/O for one file: its stat and, for a changed text file, its bytes. Never rejects. */
  private async prepare(file: FileRef): Promise<Prepared> {
    try {
      const stat = await fs.stat(file.absPath);
      const previous = this.manifest.get(file.displayPath);
      if ((previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) || kindOf(file.absPath) === 'pdf') return { stat };
      return { stat, data: await readTextFile(file.absPath, file.displayPath, stat.size) };
    } catch (error) {
      return { error: error instanceof ExtractionError ? error : new ExtractionError(`${file.displayPath} could not be read: ${describeError(error)}`, 'unreadable') };
    }
  }

  private async indexFile(file: FileRef, prepared: Prepared, token: CancellationToken): Promise<'indexed' | 'unchanged' | IndexFailure> {
    const previous = this.manifest.get(file.displayPath);
    const { stat, data } = prepared;
    if (!stat) return this.fail(file, previous, { size: 0, mtimeMs: 0, hash: '' }, prepared.error!);
    if (previous && previous.size === stat.size && previous.mtimeMs === stat.mtimeMs) return 'unchanged';
    if (prepared.error) return this.fail(file, previous, { size: stat.size, mtimeMs: stat.mtimeMs, hash: '' }, prepared.error);
    const isPdf = kindOf(file.absPath) === 'pdf';
    const facts = { size: stat.size, mtimeMs: stat.mtimeMs, hash: '' };
    let document: ExtractedDocument;
    try {
      // A text file is read once, for its hash and its text; a PDF is read by the PDF worker.
      facts.hash = data ? createHash('sha1').update(data).digest('hex') : await hashFile(file.absPath).catch(() => '');
      if (previous && facts.hash && previous.hash === facts.hash) {
        this.manifest.set(file.displayPath, { ...previous, mtimeMs: stat.mtimeMs });
        return 'unchanged';
      }
      document = data && !isPdf ? textDocument(data, file.absPath, file.displayPath) : await extractPdf(file.absPath, file.displayPath, token);
    } catch (error) {
      token.throwIfCancelled();
      const failure = error instanceof ExtractionError ? error : new ExtractionError(`${file.displayPath} could not be indexed: ${describeError(error)}`, 'unreadable');
      return this.fail(file, previous, facts, failure);
    }
    token.throwIfCancelled();
    const chunks = chunkDocument(document, this.chunkOptions);
    // Embedded before anything changes, so a cancel mid-file leaves the file as it was.
    const embedded = this.embedder && this.vectors ? await this.embedder.embedPassages(chunks.map((chunk) => chunk.text), token) : undefined;
    if (previous) this.forgetChunks(previous.chunkIds);
    this.keywords.add(chunks);
    if (embedded) this.vectors?.set(chunks.map((chunk) => chunk.id), embedded);
    this.manifest.set(file.displayPath, { ...facts, chunkIds: chunks.map((chunk) => chunk.id) });
    return 'indexed';
  }

  private forgetChunks(ids: string[]): void {
    this.keywords.remove(ids);
    this.vectors?.remove(ids);
  }

  private fail(file: FileRef, previous: ManifestEntry | undefined, facts: Omit<ManifestEntry, 'chunkIds'>, error: ExtractionError): IndexFailure {
    if (previous) this.forgetChunks(previous.chunkIds);
    const failure: IndexFailure = { path: file.displayPath, reason: error.reason, message: error.message };
    // Remembered with the file's facts, so a file that failed is not retried until it changes.
    this.manifest.set(file.displayPath, { ...facts, chunkIds: [], failure });
    this.logger.log('warn', error.message);
    return failure;
  }

  private async save(): Promise<void> {
    if (!this.dir) return;
    await this.keywords.compact();
    const file = path.join(this.dir, INDEX_FILE);
    const temp = `${file}.${process.pid}.tmp`;
    const vectors = this.vectors ? `,"vectors":${JSON.stringify(this.vectors.toJSON())}` : '';
    const body = `{"version":${FORMAT_VERSION},"manifest":${JSON.stringify([...this.manifest])},"keywords":${JSON.stringify(this.keywords)}${vectors}}`;
    await fs.mkdir(this.dir, { recursive: true });
    const handle = await fs.open(temp, 'w');
    try {
      await handle.writeFile(body);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.rename(temp, file);
  }
}

function hashFile(filePath: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha1');
    createReadStream(filePath)
      .on('data', (data) => hash.update(data))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
