/**
 * An answer that grows while it streams, rendered so that each frame's work follows the
 * part still open, not the whole answer, and the result is always exactly what rendering
 * the whole text at once gives (test/unit/streamingRender.test.ts checks that at every
 * cut point of real Markdown).
 *
 * Two things become final while the text grows:
 * - Whole top-level blocks. A block is final once a later top-level block has begun, after
 *   a blank line, on a complete line: appended text cannot reach back over that (a list
 *   could only continue through the new line itself, a paragraph cannot continue past a
 *   blank line). A reference definition could (`[x]: url` links an earlier `[x]`), so a
 *   new or changed one starts over from the top.
 * - The start of the last paragraph, which is often the whole answer (a model that never
 *   writes a blank line streams one paragraph). Its text before a space is final when
 *   nothing in it is still waiting for a partner: no unmatched `*`, `_` or `~~` that could
 *   open, no `[` without its `]`, no backtick. Everything else markdown-it does inline
 *   (links, autolinks, entities, escapes, bare URLs, citations, line breaks) ends before a
 *   space. That part is rendered once, as its own piece; only the rest is parsed again.
 *
 * No DOM here (answerContent.ts puts the blocks on screen), so it is tested under Node.
 */
import type MarkdownIt from 'markdown-it';
import { answerMarkdown as md, type CitationTargets } from './markdown';

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];

/** One top-level block as it should be on screen. */
export type Block =
  /** Rendered whole. */
  | { kind: 'html'; html: string }
  /** The open paragraph, in pieces: `frozen` only grows (same `id`), `live` is the rest, re-rendered. */
  | { kind: 'paragraph'; id: number; frozen: readonly string[]; live: string };

/** Paragraph text not yet final before another piece of it is tried (one inline parse of this much). */
const PIECE_CHARS = 1024;

interface Cut {
  /** Line of the tail where the paragraph starts. */
  line: number;
  /** The paragraph's text that its pieces were rendered from. */
  source: string;
  /** Set by the `stream_cut` rule: the inline token's index, and its whole text. */
  applied?: { index: number; content: string };
}

type MarkdownEnv = NonNullable<Parameters<InstanceType<typeof MarkdownIt>['parse']>[1]>;
type References = NonNullable<MarkdownEnv['references']>;

type Env = MarkdownEnv & {
  citations: CitationTargets;
  cut?: Cut;
  /** Set by `stream_probe`: the inline text left an emphasis delimiter open. */
  probe?: { open: boolean };
};

// Parses only the not-yet-final rest of the open paragraph: its pieces are on screen already.
md.core.ruler.after('block', 'stream_cut', (state) => {
  const cut = (state.env as unknown as Env).cut;
  if (!cut) return;
  const tokens = state.tokens;
  for (let i = tokens.length - 1; i >= 0; i--) {
    const token = tokens[i];
    const line = token.level === 0 && token.nesting >= 0 ? token.map?.[0] : undefined;
    if (line === undefined || line > cut.line) continue;
    // Another kind of block now (a setext heading, say): rendered whole again.
    if (line < cut.line || token.type !== 'paragraph_open') return;
    const inline = tokens[i + 1];
    if (!inline.content.startsWith(cut.source)) return;
    cut.applied = { index: i + 1, content: inline.content };
    inline.content = inline.content.slice(cut.source.length);
    return;
  }
});

md.inline.ruler2.push('stream_probe', (state) => {
  const probe = (state.env as unknown as Env).probe;
  if (probe && state.delimiters.some((delimiter) => delimiter.open && delimiter.end < 0)) probe.open = true;
});

/** markdown-it's own normalization (core rule `normalize`), so offsets here are its offsets. */
function normalize(text: string): string {
  return text.replace(/\r\n?/g, '\n').replace(/\0/g, '\uFFFD');
}

export class StreamingAnswer {
  private raw = '';
  private text = '';
  private citationsKey = '';
  /** Reference definitions in the final text (the first definition of a label wins). */
  private finalReferences: References = {};
  /** Reference definitions the blocks on screen were rendered with. */
  private references: References = {};
  /** Where the text that is not final yet starts. */
  private stableEnd = 0;
  private final: Block[] = [];
  private paragraph?: { id: number; start: number; source: string; pieces: string[] };
  private nextId = 1;

  /** The blocks for the answer `text` (usually what was shown last time plus a few characters). */
  update(text: string, citations: CitationTargets): Block[] {
    const key = citations.describe.join('\u0000');
    if (key !== this.citationsKey || !text.startsWith(this.raw)) this.restart(key);
    let added = text.slice(this.raw.length);
    if (this.raw.endsWith('\r') && added.startsWith('\n')) added = added.slice(1);
    this.text += normalize(added);
    this.raw = text;
    const blocks = this.renderTail(citations);
    if (blocks) return blocks;
    this.restart(key);
    this.text = normalize(text);
    this.raw = text;
    return this.renderTail(citations) ?? [];
  }

  private restart(citationsKey: string): void {
    this.raw = '';
    this.text = '';
    this.citationsKey = citationsKey;
    this.finalReferences = {};
    this.references = {};
    this.stableEnd = 0;
    this.final = [];
    this.paragraph = undefined;
  }

  /** Renders what is not final; undefined when a new reference definition means starting over. */
  private renderTail(citations: CitationTargets): Block[] | undefined {
    const tail = this.text.slice(this.stableEnd);
    const paragraph = this.paragraph;
    const cut: Cut | undefined = paragraph ? { line: countLines(tail, paragraph.start - this.stableEnd), source: paragraph.source } : undefined;
    const env: Env = { citations, references: { ...this.finalReferences }, cut };
    const tokens = md.parse(tail, env);
    const references = env.references ?? {};
    // A definition still being written changes from frame to frame: compare the targets too.
    if ((this.stableEnd > 0 || paragraph) && JSON.stringify(references) !== JSON.stringify(this.references)) return undefined;
    this.references = references;
    const spans = topLevelBlocks(tokens);
    const blocks: Block[] = [];
    for (const span of spans) {
      if (cut?.applied && paragraph && span.start + 1 === cut.applied.index) {
        blocks.push({ kind: 'paragraph', id: paragraph.id, frozen: paragraph.pieces, live: md.renderer.renderInline(tokens[span.start + 1].children ?? [], md.options, env) });
      } else {
        blocks.push({ kind: 'html', html: md.renderer.render(tokens.slice(span.start, span.end), md.options, env) });
      }
    }
    if (paragraph && !cut?.applied) this.paragraph = undefined;

    const last = spans.at(-1);
    if (last && tokens[last.start].type === 'paragraph_open') {
      const piece = this.nextPiece(tail, last, tokens, env, citations);
      if (piece) blocks[blocks.length - 1] = piece;
    }

    const finalCount = this.finalBlocks(tail, spans);
    if (finalCount > 0) {
      const boundary = lineOffset(tail, spans[finalCount].line);
      const finalText = tail.slice(0, boundary);
      if (finalText.includes(']:')) md.block.parse(finalText, md, { references: this.finalReferences }, []);
      this.final.push(...blocks.slice(0, finalCount));
      this.stableEnd += boundary;
      if (this.paragraph && this.paragraph.start < this.stableEnd) this.paragraph = undefined;
    }
    return [...this.final, ...blocks.slice(finalCount)];
  }

  /** How many leading blocks of the tail are final (see the file's comment). */
  private finalBlocks(tail: string, spans: readonly Span[]): number {
    for (let k = spans.length - 1; k >= 1; k--) {
      const line = spans[k].line;
      if (line < 1) continue;
      const start = lineOffset(tail, line);
      const previous = lineOffset(tail, line - 1);
      if (tail.indexOf('\n', start) < 0) continue; // its first line may still change what it is
      if (!/^[ \t]*\n$/.test(tail.slice(previous, start))) continue;
      return k;
    }
    return 0;
  }

  /**
   * Freezes another piece of the open paragraph when enough of it is not final yet and the
   * piece leaves nothing open; returns the paragraph's block if it did.
   */
  private nextPiece(tail: string, span: Span, tokens: Token[], env: Env, citations: CitationTargets): Block | undefined {
    const applied = env.cut?.applied;
    const content = applied ? applied.content : tokens[span.start + 1].content;
    const done = applied && this.paragraph ? this.paragraph.source.length : 0;
    if (content.length - done < PIECE_CHARS) return undefined;
    // Cut before a space that follows a visible character: the newline and end-of-paragraph
    // rules drop trailing spaces, so a piece never ends in one.
    let cut = content.lastIndexOf(' ');
    while (cut > done && /\s/.test(content[cut - 1])) cut = content.lastIndexOf(' ', cut - 1);
    if (cut <= done) return undefined;
    const probe = { open: false };
    const pieceEnv: Env = { citations, references: env.references, probe };
    const children = md.parseInline(content.slice(done, cut), pieceEnv)[0]?.children ?? [];
    if (probe.open || leavesOpen(children)) return undefined;
    const paragraph = applied && this.paragraph ? this.paragraph : { id: this.nextId++, start: this.stableEnd + lineOffset(tail, span.line), source: '', pieces: [] };
    paragraph.pieces.push(md.renderer.renderInline(children, md.options, pieceEnv));
    paragraph.source = content.slice(0, cut);
    this.paragraph = paragraph;
    const rest = md.parseInline(content.slice(cut), { citations, references: env.references })[0]?.children ?? [];
    return { kind: 'paragraph', id: paragraph.id, frozen: paragraph.pieces, live: md.renderer.renderInline(rest, md.options, env) };
  }
}

/** A backtick that opened no code span, or a `[` without its `]`: later text could still close them. */
function leavesOpen(children: readonly Token[]): boolean {
  let depth = 0;
  for (const token of children) {
    if (token.type !== 'text') continue;
    for (const char of token.content) {
      if (char === '`') return true;
      if (char === '[') depth++;
      else if (char === ']' && depth > 0) depth--;
    }
  }
  return depth > 0;
}

interface Span {
  /** Token indexes [start, end). */
  start: number;
  end: number;
  /** First line of the block in the tail. */
  line: number;
}

function topLevelBlocks(tokens: readonly Token[]): Span[] {
  const spans: Span[] = [];
  for (let i = 0; i < tokens.length; ) {
    const start = i;
    let level = 0;
    do level += tokens[i++].nesting;
    while (level > 0 && i < tokens.length);
    spans.push({ start, end: i, line: tokens[start].map?.[0] ?? 0 });
  }
  return spans;
}

/** Offset of line `line` (0-based) in `text`. */
function lineOffset(text: string, line: number): number {
  let offset = 0;
  for (let n = 0; n < line; n++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) return text.length;
    offset = next + 1;
  }
  return offset;
}

/** Line number of offset `offset` in `text`. */
function countLines(text: string, offset: number): number {
  let lines = 0;
  for (let at = text.indexOf('\n'); at >= 0 && at < offset; at = text.indexOf('\n', at + 1)) lines++;
  return lines;
}
