/**
 * A passage as plain text, for places that show text but not Markdown (quick-pick items,
 * quoted sentences): heading lines are dropped, since every place that shows a passage shows
 * its heading path ("Guide › Setup") on its own, and inline marks are reduced to their text.
 * Pure string work, shared by the host and the pipeline.
 */

/** A Markdown heading line ("## Setup"), or a Setext underline ("-----"). */
const HEADING_LINE = /^\s{0,3}(?:#{1,6}(?:\s.*)?|=+|-{3,})\s*$/;

/** Lines of the passage without its headings (and without the heading path the chunker repeats on top). */
export function bodyLines(text: string, heading?: string): string[] {
  const lines = text.split(/\r?\n/);
  if (heading && lines[0]?.trim() === heading.trim()) lines.shift();
  return lines.filter((line) => !HEADING_LINE.test(line));
}

/** Inline Markdown reduced to what a reader sees: link and image text, no emphasis or code marks. */
export function plainInline(line: string): string {
  return line
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<((?:https?|mailto):[^>\s]+)>/g, '$1')
    .replace(/(\*\*|__)(?=\S)(.+?)(?<=\S)\1/g, '$2')
    .replace(/(^|[\s(])([*_])(?=\S)(.+?)(?<=\S)\2(?=[\s).,;:!?]|$)/g, '$1$3')
    .replace(/`+([^`]+)`+/g, '$1')
    .replace(/^\s*(?:>\s*)+/, '')
    .replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '');
}

/** The passage as one line of plain text (whitespace collapsed). */
export function plainExcerpt(text: string, heading?: string): string {
  return bodyLines(text, heading).map(plainInline).join(' ').replace(/\s+/g, ' ').trim();
}
