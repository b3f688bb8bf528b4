/**
 * Answers as Markdown (markdown-it), rendered to an HTML string. Answer text is untrusted
 * (documents and model output): raw HTML stays text, only web and e-mail links become
 * links, images never load, and `[n]` becomes a citation only where source n exists.
 * No DOM here, so the rules are tested under Node; answerContent.ts puts the result on screen.
 */
import MarkdownIt from 'markdown-it';
import { splitCitations } from '../src/protocol/citations';
import { openableLink } from '../src/protocol/links';
import { highlight, knownLanguage } from './highlight';
import { boundLinkify } from './linkify';
import { fmt, s } from './strings';

/** What the renderer needs to know about an answer's sources. */
export interface CitationTargets {
  /** One description per source, in citation order (`[1]` is the first). */
  describe: readonly string[];
}

type Token = ReturnType<InstanceType<typeof MarkdownIt>['parse']>[number];

const md = new MarkdownIt({ html: false, linkify: true, breaks: true, typographer: false });
// Only real URLs become links: "example.com" in prose stays prose.
md.linkify.set({ fuzzyLink: false, fuzzyEmail: false });
boundLinkify(md);
// A link that could not open is left as the text it was written as, visibly not a link.
md.validateLink = (url) => openableLink(url) !== undefined;

const { escapeHtml } = md.utils;
const rules = md.renderer.rules;

/**
 * No `href`: the webview's own click handling would open an href by itself (a second,
 * unvalidated path). The click handler sends `data-href` to the host, which checks it again.
 */
rules.link_open = (tokens, idx) => {
  const href = openableLink(String(tokens[idx].attrGet('href') ?? '')) ?? '';
  return `<a class="md-link" role="link" tabindex="0" data-href="${escapeHtml(href)}" title="${escapeHtml(href)}">`;
};
rules.link_close = () => '</a>';

/** An image would be a request to any server the text names: its alt text stands in. */
rules.image = (tokens, idx, options, env, self) => {
  const alt = self.renderInlineAsText(tokens[idx].children ?? [], options, env);
  return `<span class="image-alt" title="Image not loaded">${escapeHtml(alt ? `[image: ${alt}]` : '[image]')}</span>`;
};

// `html: false` already makes these text; kept escaped in case an option ever flips.
rules.html_block = (tokens, idx) => `<p>${escapeHtml(tokens[idx].content)}</p>\n`;
rules.html_inline = (tokens, idx) => escapeHtml(tokens[idx].content);

rules.fence = (tokens, idx) => codeBlock(tokens[idx].content, tokens[idx].info);
rules.code_block = (tokens, idx) => codeBlock(tokens[idx].content, '');

function codeBlock(code: string, info: string): string {
  const language = knownLanguage(info);
  const body = language ? highlight(code, language) : escapeHtml(code);
  const label = language ?? '';
  return (
    `<div class="code-block"><div class="code-toolbar"><span class="code-language">${escapeHtml(label)}</span>` +
    `<button type="button" class="copy-code" title="${escapeHtml(s.copyCode)}" aria-label="${escapeHtml(s.copyCode)}">${escapeHtml(s.copy)}</button></div>` +
    `<pre><code class="hljs${language ? ` language-${escapeHtml(language)}` : ''}">${body}</code></pre></div>\n`
  );
}

// Table alignment comes as inline `style`, which the CSP (rightly) refuses: use classes.
for (const cell of ['th_open', 'td_open'] as const) {
  rules[cell] = (tokens, idx) => {
    const align = /text-align:(left|center|right)/.exec(String(tokens[idx].attrGet('style') ?? ''))?.[1];
    const tag = cell === 'th_open' ? 'th' : 'td';
    return align ? `<${tag} class="align-${align}">` : `<${tag}>`;
  };
}
// Wide tables scroll inside the answer instead of widening the whole view.
rules.table_open = () => '<div class="table-wrap"><table>\n';
rules.table_close = () => '</table></div>\n';

/** `[n]` in plain text (never in code) becomes a citation token when source n exists. */
md.core.ruler.push('citations', (state) => {
  const targets = (state.env as { citations?: CitationTargets }).citations;
  const count = targets?.describe.length ?? 0;
  if (count === 0) return;
  for (const block of state.tokens) {
    if (block.type !== 'inline' || !block.children) continue;
    block.children = block.children.flatMap((token) => (token.type === 'text' ? citeText(token, count, state.Token as unknown as TokenClass) : [token]));
  }
});

type TokenClass = new (type: string, tag: string, nesting: -1 | 0 | 1) => Token;

function citeText(token: Token, count: number, TokenClass: TokenClass): Token[] {
  const parts = splitCitations(token.content, count);
  if (parts.length === 1 && !('cite' in parts[0])) return [token];
  return parts.map((part) => {
    const piece = new TokenClass('cite' in part ? 'citation' : 'text', '', 0);
    piece.content = part.text;
    if ('cite' in part) piece.meta = { cite: part.cite };
    return piece;
  });
}

rules.citation = (tokens, idx, _options, env) => {
  const n = (tokens[idx].meta as { cite: number }).cite;
  const where = (env as { citations: CitationTargets }).citations.describe[n - 1] ?? '';
  return (
    `<button type="button" class="citation" data-source="${n}" title="${escapeHtml(where)}" ` +
    `aria-label="${escapeHtml(fmt(s.source, String(n), where))}">[${n}]</button>`
  );
};

/** The answer as HTML; `describe` has one entry per source the answer may cite. */
export function renderMarkdown(text: string, citations: CitationTargets): string {
  return md.render(text, { citations });
}

/** The same configured renderer, for streamingMarkdown.ts, which renders a streaming answer a block at a time. */
export const answerMarkdown = md;
