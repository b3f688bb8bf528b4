/**
 * The numbered list of passages under an answer. Built for a narrow sidebar: each number sits
 * on its entry's first line, a line range never breaks inside, and a long path is shortened
 * in the middle (its file name stays whole) with the full place on hover.
 */
import type { Source } from '../src/protocol/events';
import { element } from './dom';
import { fmt, s } from './strings';

/** Paths longer than this are shortened in the middle. */
const PATH_CHARS = 36;

/**
 * "docs/guides/install/linux/setup.md" → "docs/…/linux/setup.md": first folder and the end
 * kept. A file outside the workspace is named by its absolute path, on Windows with backslashes.
 */
export function shortenPath(path: string, max = PATH_CHARS): string {
  if (path.length <= max) return path;
  const sep = !path.includes('/') && path.includes('\\') ? '\\' : '/';
  const parts = path.split(sep);
  const file = parts.pop() ?? path;
  if (file.length >= max - 2 || parts.length === 0) return file.length > max ? `…${file.slice(file.length - max + 1)}` : file;
  let tail = file;
  for (let i = parts.length - 1; i >= 1; i--) {
    const longer = `${parts[i]}${sep}${tail}`;
    if (parts[0].length + longer.length + 3 > max) break;
    tail = longer;
  }
  return `${parts[0]}${sep}…${sep}${tail}`;
}

export function whereOf(source: Source): string {
  return source.page !== undefined ? fmt(s.page, source.page) : source.startLine !== undefined ? fmt(s.lines, source.startLine, source.endLine ?? source.startLine) : '';
}

/** "path · lines 3–9 · Heading": how a source is named in full (hover, screen readers, citations). */
export function describeSource(source: Source): string {
  return [source.path, whereOf(source), source.heading].filter(Boolean).join(' · ');
}

export function renderSourcesList(sources: Source[]): HTMLElement {
  const list = element('ol', 'sources');
  list.setAttribute('aria-label', s.sources);
  sources.forEach((source, i) => {
    const item = element('li', 'source');
    const open = element('button', 'source-link') as HTMLButtonElement;
    open.type = 'button';
    open.dataset.source = String(i + 1);
    // The full place for screen readers (the text may shorten the path).
    open.setAttribute('aria-label', describeSource(source));
    const where = whereOf(source);
    open.append(element('span', 'source-path', shortenPath(source.path)));
    if (where) open.append(element('span', 'source-sep', ' · '), element('span', 'source-where', where));
    if (source.heading) open.append(element('span', 'source-sep', ' · '), element('span', 'source-heading', source.heading));
    const excerpt = source.excerpt.length > 600 ? `${source.excerpt.slice(0, 600)}…` : source.excerpt;
    open.title = `${describeSource(source)}\n\n${excerpt}\n\n${fmt(s.score, source.score.toFixed(2))}`;
    item.append(element('span', 'source-number', `${i + 1}.`), open);
    list.append(item);
  });
  return list;
}
