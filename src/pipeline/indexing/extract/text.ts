/** Text, Markdown and code files: encoding detected, binary files refused. */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import { ExtractionError, type ExtractedDocument } from '../types';

export const MARKDOWN_EXTENSIONS = new Set(['.md', '.markdown', '.mdx']);
export const TEXT_EXTENSIONS = new Set(['.txt', '.text', '.rst', '.adoc', '.asciidoc', '.org', '.tex', '.csv', '.log']);
export const CODE_EXTENSIONS = new Set([
  '.ts', '.tsx', '.js', '.jsx', '.mjs', '.cjs', '.py', '.java', '.kt', '.go', '.rs', '.c', '.h', '.cc', '.cpp', '.hpp',
  '.cs', '.rb', '.php', '.swift', '.scala', '.sh', '.bash', '.ps1', '.sql', '.json', '.yaml', '.yml', '.toml', '.ini',
  '.xml', '.html', '.css', '.scss', '.vue', '.svelte', '.lua', '.r', '.dart', '.ex', '.exs', '.hs', '.ml', '.clj',
]);

export const DEFAULT_MAX_TEXT_BYTES = 5 * 1024 * 1024;

export function kindOf(filePath: string): ExtractedDocument['kind'] {
  const extension = path.extname(filePath).toLowerCase();
  if (extension === '.pdf') return 'pdf';
  if (MARKDOWN_EXTENSIONS.has(extension)) return 'markdown';
  if (CODE_EXTENSIONS.has(extension)) return 'code';
  return 'text';
}

export async function extractText(filePath: string, displayPath: string, maxBytes = DEFAULT_MAX_TEXT_BYTES): Promise<ExtractedDocument> {
  let size: number;
  try {
    size = (await fs.stat(filePath)).size;
  } catch (error) {
    throw new ExtractionError(`${displayPath} could not be read: ${(error as Error).message}`, 'unreadable');
  }
  return textDocument(await readTextFile(filePath, displayPath, size, maxBytes), filePath, displayPath);
}

/** The bytes of a text file, refused before reading when over the size limit. */
export async function readTextFile(filePath: string, displayPath: string, size: number, maxBytes = DEFAULT_MAX_TEXT_BYTES): Promise<Buffer> {
  if (size > maxBytes) {
    throw new ExtractionError(
      `${displayPath} is too large to index (${(size / 1048576).toFixed(1)} MB; the limit for text files is ${(maxBytes / 1048576).toFixed(0)} MB).`,
      'tooLarge',
    );
  }
  try {
    return await fs.readFile(filePath);
  } catch (error) {
    throw new ExtractionError(`${displayPath} could not be read: ${(error as Error).message}`, 'unreadable');
  }
}

export function textDocument(data: Buffer, filePath: string, displayPath: string): ExtractedDocument {
  return { path: displayPath, kind: kindOf(filePath), units: [{ text: decode(data, displayPath) }] };
}

/** UTF-8 (with or without BOM), UTF-16 with a BOM, else Windows-1252; binary refused. */
export function decode(data: Buffer, displayPath: string): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  if (looksBinary(data)) throw new ExtractionError(`${displayPath} looks like a binary file, not text; it was skipped.`, 'binary');
  const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return new TextDecoder('windows-1252').decode(body);
  }
}

function looksBinary(data: Buffer): boolean {
  const sample = data.subarray(0, 8192);
  let control = 0;
  for (const byte of sample) {
    if (byte === 0) return true;
    if (byte < 9 || (byte > 13 && byte < 32)) control++;
  }
  return sample.length > 0 && control / sample.length > 0.1;
}
