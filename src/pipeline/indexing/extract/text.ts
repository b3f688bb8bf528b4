/** Text, Markdown and code files: encoding detected, binary files refused. */
import * as path from 'node:path';
import type { RequestToken } from '../../cancellation';
import { ExtractionError, type ExtractedDocument } from '../types';
import { readRegularFile, type FileFacts } from './safeRead';

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

export async function extractText(
  filePath: string,
  displayPath: string,
  maxBytes = DEFAULT_MAX_TEXT_BYTES,
  token?: RequestToken,
): Promise<ExtractedDocument> {
  return textDocument((await readTextFile(filePath, displayPath, maxBytes, token)).data, filePath, displayPath);
}

/** The bytes of a text file (a regular file only, at most `maxBytes`), with its size and mtime. */
export function readTextFile(
  filePath: string,
  displayPath: string,
  maxBytes = DEFAULT_MAX_TEXT_BYTES,
  token?: RequestToken,
): Promise<{ data: Buffer; facts: FileFacts }> {
  return readRegularFile(filePath, displayPath, {
    maxBytes,
    token,
    tooLarge: (size) =>
      new ExtractionError(
        `${displayPath} is too large to index (${size > maxBytes + 1 ? `${(size / 1048576).toFixed(1)} MB` : 'over the limit'}; the limit for text files is ${(maxBytes / 1048576).toFixed(0)} MB).`,
        'tooLarge',
      ),
  });
}

export function textDocument(data: Buffer, filePath: string, displayPath: string): ExtractedDocument {
  return { path: displayPath, kind: kindOf(filePath), units: [{ text: decode(data, displayPath) }] };
}

/**
 * UTF-16 with a BOM; else UTF-8 (BOM or not), with a replacement character for each
 * invalid byte when they are few — one bad byte must not turn a Vietnamese file into
 * mojibake; Windows-1252 only when the file is clearly not UTF-8 (more invalid sequences
 * than valid multi-byte ones). Binary files are refused, judged on every byte.
 */
export function decode(data: Buffer, displayPath: string): string {
  if (data[0] === 0xff && data[1] === 0xfe) return new TextDecoder('utf-16le').decode(data.subarray(2));
  if (data[0] === 0xfe && data[1] === 0xff) return new TextDecoder('utf-16be').decode(data.subarray(2));
  if (looksBinary(data)) throw new ExtractionError(`${displayPath} looks like a binary file, not text; it was skipped.`, 'binary');
  const body = data[0] === 0xef && data[1] === 0xbb && data[2] === 0xbf ? data.subarray(3) : data;
  const { valid, invalid } = countUtf8(body);
  return invalid > valid ? decodeWindows1252(body) : new TextDecoder('utf-8').decode(body);
}

/**
 * Windows-1252's 0x80–0x9F (€, curly quotes, dashes…); the rest is Latin-1. Written out:
 * Node's TextDecoder('windows-1252') decodes Latin-1, leaving those as control characters.
 */
const WINDOWS_1252_HIGH = '€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8DŽ\x8F\x90‘’“”•–—˜™š›œ\x9DžŸ';

function decodeWindows1252(data: Buffer): string {
  return data.toString('latin1').replace(/[\x80-\x9f]/g, (ch) => WINDOWS_1252_HIGH[ch.charCodeAt(0) - 0x80]);
}

/** Bytes judged together: binary data anywhere in a text file shows up in its block. */
const BINARY_BLOCK = 4096;
/** A last block shorter than this is judged with the one before (a few bytes prove nothing). */
const MIN_BLOCK = 512;

/** The share of control characters that makes a block binary (random bytes have ~10 %). */
const BINARY_CONTROL_SHARE = 0.05;
/** 1 for the control characters text does not use: tab, line ends, form feed and the ESC of coloured logs are allowed. */
const CONTROL = new Uint8Array(256).map((_, byte) => (byte === 0x7f || (byte > 0 && byte < 32 && (byte < 9 || (byte > 13 && byte !== 27))) ? 1 : 0));

/**
 * A NUL byte anywhere (text has none; UTF-16 came with its BOM above), or a block with
 * more than one control character in twenty. The whole file is looked at: binary data
 * after a text header is still found.
 */
export function looksBinary(data: Uint8Array): boolean {
  if (data.indexOf(0) >= 0) return true;
  for (let start = 0; start < data.length; start += BINARY_BLOCK) {
    let end = Math.min(data.length, start + BINARY_BLOCK);
    // A short tail joins the block before it.
    if (data.length - end < MIN_BLOCK) end = data.length;
    let count = 0;
    for (let i = start; i < end; i++) count += CONTROL[data[i]];
    if (count > (end - start) * BINARY_CONTROL_SHARE) return true;
    if (end === data.length) break;
  }
  return false;
}

/**
 * Valid multi-byte UTF-8 sequences and invalid ones, counted as a UTF-8 decoder counts its
 * replacement characters (a bad sequence's longest valid start is one error).
 */
export function countUtf8(data: Uint8Array): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  const length = data.length;
  let i = 0;
  while (i < length) {
    const lead = data[i];
    if (lead < 0x80) {
      i++;
      continue;
    }
    const size = lead >= 0xc2 && lead <= 0xdf ? 2 : lead >= 0xe0 && lead <= 0xef ? 3 : lead >= 0xf0 && lead <= 0xf4 ? 4 : 0;
    if (size === 0) {
      invalid++;
      i++;
      continue;
    }
    // The second byte's range excludes overlong forms, surrogates and code points past U+10FFFF.
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    let next = 1;
    while (next < size) {
      const byte = data[i + next];
      if (byte === undefined || byte < (next === 1 ? low : 0x80) || byte > (next === 1 ? high : 0xbf)) break;
      next++;
    }
    if (next === size) valid++;
    else invalid++;
    i += next;
  }
  return { valid, invalid };
}
