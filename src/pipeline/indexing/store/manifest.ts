/**
 * The manifest: which segments make up the index, and per file what was read and where its
 * chunks are. Everything read from disk is validated field by field here, so a damaged or
 * foreign manifest is reported as such, never thrown from deep inside start-up.
 *
 * Versions: 3 named segments by number (`seg-N.bin`) without checksums; 4 records each
 * segment's file name, size and CRC-32; 5 names segments of format 2 (text last, read from
 * disk and checked per chunk; int8 vectors), whose CRC-32 covers all but the text; 6 may
 * name segments of format 3 (postings' chunk numbers as varint gaps). v3 to v5 manifests
 * still load (and are written as v6 by the next save, which rewrites format-1 segments and
 * keeps format-2 ones): each version exists so that the Local RAG before it refuses such a
 * store instead of taking its segments for damaged ones. A manifest from a newer version is
 * refused, never "repaired".
 */
import type { FailureReason, IndexFailure } from '../../../protocol/indexing';

export const FORMAT_VERSION = 6;
export const MANIFEST = 'manifest.json';

export interface FileEntry {
  size: number;
  mtimeMs: number;
  hash: string;
  /** Segment holding the file's chunks; 0 when it has none (failed, or empty). */
  segment: number;
  chunks: number;
  failure?: IndexFailure;
}

/** A segment file as the manifest records it. */
export interface SegmentRecord {
  id: number;
  /** Its file name in the store folder. */
  file: string;
  bytes: number;
  /** CRC-32 of what is read at load: the whole file for segment format 1, all before the text for format 2; absent for segments written by format 3. */
  crc32?: number;
}

/** A codebook file (the approximate vector index of one embedding model, vectorCodebook.ts). */
export interface CodebookRecord {
  id: number;
  file: string;
  bytes: number;
  crc32: number;
}

export interface Manifest {
  version: number;
  /** How the chunks were cut (chunk size, overlap): other options mean other chunks. */
  chunking?: unknown;
  segments: SegmentRecord[];
  /** Absent before the approximate vector index (then every vector is scanned). */
  codebooks?: CodebookRecord[];
  files: [string, FileEntry][];
}

/** The manifest was written by a newer Local RAG: it must be left exactly as it is. */
export class NewerFormatError extends Error {
  constructor(readonly version: number) {
    super(
      `This index was written by a newer Local RAG (format ${version}; this version reads up to ${FORMAT_VERSION}). ` +
        'Update Local RAG to use it; it was left untouched.',
    );
    this.name = 'NewerFormatError';
  }
}

/** The manifest is not one Local RAG wrote (unparsable, or a field of the wrong type). */
export class ManifestShapeError extends Error {
  constructor(detail: string) {
    super(`the index manifest is damaged (${detail})`);
    this.name = 'ManifestShapeError';
  }
}

/** Parses and validates a manifest's text; throws NewerFormatError or ManifestShapeError. */
export function parseManifest(text: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ManifestShapeError(`not JSON: ${(error as Error).message}`);
  }
  if (!isObject(value)) throw new ManifestShapeError('not an object');
  const { version } = value;
  if (typeof version !== 'number' || !Number.isInteger(version)) throw new ManifestShapeError('no format version');
  if (version > FORMAT_VERSION) throw new NewerFormatError(version);
  if (version < 3) throw new ManifestShapeError(`format ${version} is no longer read`);
  const files = value.files;
  if (!Array.isArray(files)) throw new ManifestShapeError('"files" is not a list');
  const entries = files.map((item, i) => {
    if (!Array.isArray(item) || item.length !== 2 || typeof item[0] !== 'string') throw new ManifestShapeError(`file ${i} is not [path, entry]`);
    return [item[0], fileEntry(item[1], item[0])] as [string, FileEntry];
  });
  const segments = version === 3 ? legacySegments(value.segments) : segmentRecords(value.segments);
  return { version, chunking: value.chunking, segments, codebooks: codebookRecords(value.codebooks), files: entries };
}

function fileEntry(value: unknown, file: string): FileEntry {
  const bad = (field: string) => new ManifestShapeError(`"${field}" of ${file}`);
  if (!isObject(value)) throw bad('entry');
  const { size, mtimeMs, hash, segment, chunks, failure } = value;
  if (typeof size !== 'number' || !Number.isFinite(size)) throw bad('size');
  if (typeof mtimeMs !== 'number' || !Number.isFinite(mtimeMs)) throw bad('mtimeMs');
  if (typeof hash !== 'string') throw bad('hash');
  if (!isId(segment) && segment !== 0) throw bad('segment');
  if (typeof chunks !== 'number' || !Number.isInteger(chunks) || chunks < 0) throw bad('chunks');
  const entry: FileEntry = { size, mtimeMs, hash, segment: segment as number, chunks };
  if (failure !== undefined) {
    if (!isObject(failure) || typeof failure.path !== 'string' || typeof failure.message !== 'string' || typeof failure.reason !== 'string') {
      throw bad('failure');
    }
    entry.failure = { path: failure.path, reason: failure.reason as FailureReason, message: failure.message };
  }
  return entry;
}

function legacySegments(value: unknown): SegmentRecord[] {
  if (!Array.isArray(value) || !value.every(isId)) throw new ManifestShapeError('"segments" is not a list of numbers');
  return (value as number[]).map((id) => ({ id, file: legacySegmentFile(id), bytes: -1 }));
}

function segmentRecords(value: unknown): SegmentRecord[] {
  if (!Array.isArray(value)) throw new ManifestShapeError('"segments" is not a list');
  return value.map((item, i) => {
    if (
      !isObject(item) ||
      !isId(item.id) ||
      typeof item.file !== 'string' ||
      !SEGMENT_NAME.test(item.file) ||
      typeof item.bytes !== 'number' ||
      !Number.isInteger(item.bytes) ||
      typeof item.crc32 !== 'number' ||
      !Number.isInteger(item.crc32)
    ) {
      throw new ManifestShapeError(`segment ${i}`);
    }
    return { id: item.id as number, file: item.file, bytes: item.bytes, crc32: item.crc32 };
  });
}

function codebookRecords(value: unknown): CodebookRecord[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ManifestShapeError('"codebooks" is not a list');
  return value.map((item, i) => {
    if (!isObject(item) || !isId(item.id) || typeof item.file !== 'string' || !CODEBOOK_NAME.test(item.file) || !Number.isInteger(item.bytes) || !Number.isInteger(item.crc32)) {
      throw new ManifestShapeError(`codebook ${i}`);
    }
    return { id: item.id as number, file: item.file, bytes: item.bytes as number, crc32: item.crc32 as number };
  });
}

/** Codebook files. */
export const CODEBOOK_NAME = /^codebook-[0-9a-f]{1,13}\.bin$/;

export function codebookFile(id: number): string {
  return `codebook-${id.toString(16)}.bin`;
}

/** Segment files: format 4's (`seg-v4-<id in hex>.bin`) and format 3's (`seg-<n>.bin`). */
export const SEGMENT_NAME = /^seg-(v4-[0-9a-f]{1,13}|\d+)\.bin$/;

export function legacySegmentFile(id: number): string {
  return `seg-${id}.bin`;
}

/**
 * Format 4 names lie outside format 3's pattern (`seg-<digits>.bin`) on purpose: an older
 * Local RAG that meets this store deletes what matches its pattern and is not in its own
 * manifest, and so leaves these alone.
 */
export function segmentFile(id: number): string {
  return `seg-v4-${id.toString(16)}.bin`;
}

export function serializeManifest(manifest: Omit<Manifest, 'version'>): Buffer {
  return Buffer.from(JSON.stringify({ version: FORMAT_VERSION, ...manifest }));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isId(value: unknown): boolean {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
