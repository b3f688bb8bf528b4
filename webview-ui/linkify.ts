/**
 * Bare URLs in answers become links (markdown-it's linkify with linkify-it), in time that
 * grows with the answer, not with its square.
 *
 * Measured on an 88 KB answer of URLs written back to back: linkify-it validates each
 * `scheme://` candidate by scanning forward up to 10,000 characters, so a run of candidates
 * cost one long scan each (3–5 s). Two of those scans were for links that can never open:
 * `//host` (protocol-relative) and `ftp:`, which openableLink refuses anyway, so those
 * schemes are off. The third was markdown-it's inline rule, which on a link that
 * validateLink refuses (over 8 KB, say) gives up and lets the next `://` inside the same
 * refused URL start the same long scan again. The rule below is markdown-it 15's own, plus
 * one memory: once a scan found a refused URL, no candidate inside it is scanned again
 * (they belong to that URL, as the core linkify rule also treats them).
 */
import type MarkdownIt from 'markdown-it';

type Md = InstanceType<typeof MarkdownIt>;
type StateInline = Parameters<Parameters<Md['inline']['ruler']['push']>[1]>[0];

/** Per inline parse: where the last refused URL ended. */
const refusedUntil = new WeakMap<StateInline, number>();

const isAsciiAlpha = (code: number) => (code >= 0x41 && code <= 0x5a) || (code >= 0x61 && code <= 0x7a);
/** Letters, digits, `+`, `-`, `.`: what a URL scheme is made of. */
const isSchemeChar = (code: number) => isAsciiAlpha(code) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e;

export function boundLinkify(md: Md): void {
  // Neither kind can open (openableLink allows http, https and mailto), and each costs a scan.
  md.linkify.add('//', null).add('ftp:', null);
  md.inline.ruler.at('linkify', (state, silent) => linkifyInline(md, state, silent));
}

function linkifyInline(md: Md, state: StateInline, silent: boolean): boolean {
  if (!md.options.linkify || state.linkLevel > 0) return false;
  const { src, pos } = state;
  if (pos + 3 > state.posMax || src.charCodeAt(pos) !== 0x3a || src.charCodeAt(pos + 1) !== 0x2f || src.charCodeAt(pos + 2) !== 0x2f) return false;
  if (pos < (refusedUntil.get(state) ?? 0)) return false;
  const protoMin = pos - Math.min(10, state.pending.length, pos);
  let protoStart = pos;
  while (protoStart > protoMin && isSchemeChar(src.charCodeAt(protoStart - 1))) protoStart--;
  if (protoStart === pos || !isAsciiAlpha(src.charCodeAt(protoStart))) return false;
  const protoLength = pos - protoStart;
  const link = md.linkify.matchAtStart(src.slice(protoStart));
  if (!link) return false;
  let url = link.url;
  if (url.length <= protoLength) return false;
  // Trailing asterisks are emphasis, not part of the URL (as markdown-it does).
  let end = url.length;
  while (end > 0 && url.charCodeAt(end - 1) === 0x2a) end--;
  if (end !== url.length) url = url.slice(0, end);
  const fullUrl = md.normalizeLink(url);
  if (!md.validateLink(fullUrl)) {
    refusedUntil.set(state, protoStart + link.lastIndex);
    return false;
  }
  if (!silent) {
    state.pending = state.pending.slice(0, -protoLength);
    const open = state.push('link_open', 'a', 1);
    open.attrs = [['href', fullUrl]];
    open.markup = 'linkify';
    open.info = 'auto';
    const text = state.push('text', '', 0);
    text.content = md.normalizeLinkText(url);
    const close = state.push('link_close', 'a', -1);
    close.markup = 'linkify';
    close.info = 'auto';
  }
  state.pos += url.length - protoLength;
  return true;
}
