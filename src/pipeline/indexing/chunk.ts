/**
 * Chunking that keeps structure: Markdown by headings (the heading path travels with each
 * chunk), code and text by lines, PDFs by page. Every chunk knows its lines (or page), so an
 * answer can cite the exact place.
 */
import type { Chunk, ExtractedDocument } from './types';

export interface ChunkOptions {
  /** Target size of a chunk in characters. */
  chunkSize: number;
  /** Characters of context repeated from the end of the previous chunk. */
  overlap: number;
}

export const DEFAULT_CHUNK_OPTIONS: ChunkOptions = { chunkSize: 1200, overlap: 200 };

interface Section {
  heading?: string;
  /** 1-based number of the section's first line in its unit. */
  firstLine: number;
  lines: string[];
  page?: number;
}

export function chunkDocument(document: ExtractedDocument, options: ChunkOptions = DEFAULT_CHUNK_OPTIONS): Chunk[] {
  const sections: Section[] = [];
  for (const unit of document.units) {
    const lines = unit.text.split(/\r\n|\r|\n/);
    if (document.kind === 'markdown') sections.push(...markdownSections(lines));
    else sections.push({ firstLine: 1, lines, page: unit.page });
  }
  const chunks: Chunk[] = [];
  for (const section of sections) {
    for (const piece of splitLines(toLines(section, options.chunkSize), options)) {
      const text = piece.map((line) => line.text).join('\n').trim();
      if (!text) continue;
      const startLine = piece[0].number;
      const endLine = piece[piece.length - 1].number;
      chunks.push({
        id: `${document.path}#${chunks.length}`,
        path: document.path,
        text: section.heading && !text.startsWith('#') ? `${section.heading}\n${text}` : text,
        startLine,
        endLine,
        ...(section.page !== undefined ? { page: section.page } : {}),
        ...(section.heading ? { heading: section.heading } : {}),
      });
    }
  }
  return chunks;
}

function markdownSections(lines: string[]): Section[] {
  const sections: Section[] = [];
  const path: string[] = [];
  let current: Section = { firstLine: 1, lines: [] };
  let fence: string | undefined;
  lines.forEach((line, index) => {
    const fenceMatch = /^\s*(```|~~~)/.exec(line);
    if (fenceMatch) fence = fence === undefined ? fenceMatch[1] : fence === fenceMatch[1] ? undefined : fence;
    const heading = fence === undefined ? /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line) : null;
    if (heading) {
      if (current.lines.some((l) => l.trim())) sections.push(current);
      const level = heading[1].length;
      path.length = level - 1;
      path[level - 1] = heading[2];
      current = { heading: path.filter(Boolean).join(' › '), firstLine: index + 1, lines: [line] };
    } else {
      current.lines.push(line);
    }
  });
  if (current.lines.some((l) => l.trim())) sections.push(current);
  return sections;
}

interface Line {
  text: string;
  /** 1-based line number in the unit. */
  number: number;
}

/** Numbered lines; a line longer than a chunk (minified code) is cut into chunk-sized parts. */
function toLines(section: Section, chunkSize: number): Line[] {
  return section.lines.flatMap((text, index) => {
    const number = section.firstLine + index;
    if (text.length <= chunkSize) return [{ text, number }];
    const parts: Line[] = [];
    for (let at = 0; at < text.length; at += chunkSize) parts.push({ text: text.slice(at, at + chunkSize), number });
    return parts;
  });
}

/** Consecutive lines up to the size, the next piece starting `overlap` characters back. */
function splitLines(lines: Line[], options: ChunkOptions): Line[][] {
  const pieces: Line[][] = [];
  let start = 0;
  while (start < lines.length) {
    let end = start;
    let size = 0;
    while (end < lines.length && (end === start || size + lines[end].text.length + 1 <= options.chunkSize)) {
      size += lines[end].text.length + 1;
      end++;
    }
    pieces.push(lines.slice(start, end));
    if (end >= lines.length) break;
    let back = end;
    let overlap = 0;
    while (back > start + 1 && overlap + lines[back - 1].text.length + 1 <= options.overlap) {
      back--;
      overlap += lines[back].text.length + 1;
    }
    start = back;
  }
  return pieces;
}
