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

/** A line without its block marks: list bullets and numbers, quote marks. */
export function withoutLineMarks(line: string): string {
  return line.replace(/^\s*(?:>\s*)+/, '').replace(/^\s*(?:[-*+]|\d+[.)])\s+/, '');
}

/**
 * Inline Markdown reduced to what a reader sees: link and image text, no emphasis or code
 * marks. Underscores inside words (`window.__xss`, `snake_case`) are text, as in CommonMark.
 */
export function plainInline(line: string): string {
  // Code spans are taken as they are: no mark inside them is Markdown.
  return withoutLineMarks(line)
    .split(/(`+[^`]*`+)/)
    .map((part, i) => (i % 2 === 1 ? part.replace(/^`+|`+$/g, '') : plainMarks(part)))
    .join('');
}

function plainMarks(text: string): string {
  return text
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/<((?:https?|mailto):[^>\s]+)>/g, '$1')
    .replace(/\*\*(?=\S)(.+?)(?<=\S)\*\*/g, '$1')
    .replace(/(^|[\s(])__(?=\S)(.+?)(?<=\S)__(?![\p{L}\p{N}_])/gu, '$1$2')
    .replace(/(^|[\s(])([*_])(?=\S)(.+?)(?<=\S)\2(?=[\s).,;:!?]|$)/g, '$1$3');
}

/** The passage as one line of plain text (whitespace collapsed). */
export function plainExcerpt(text: string, heading?: string): string {
  return bodyLines(text, heading).map(plainInline).join(' ').replace(/\s+/g, ' ').trim();
}
