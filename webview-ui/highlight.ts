/**
 * Syntax highlighting for code blocks in answers: highlight.js core with the languages
 * people ask about most in a workspace of docs and code. Registering them one by one (not
 * `import 'highlight.js'`, which brings ~190 grammars, ~1 MB) keeps the webview bundle small.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import csharp from 'highlight.js/lib/languages/csharp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, cpp, csharp, css, diff, go, java, javascript, json, markdown, python, rust, sql, typescript, xml, yaml };
for (const [name, grammar] of Object.entries(languages)) hljs.registerLanguage(name, grammar);

/** The fence's language if one of ours knows it (aliases too: `ts`, `sh`, `html`, `py`…). */
export function knownLanguage(info: string): string | undefined {
  const name = info.trim().split(/\s+/)[0]?.toLowerCase() ?? '';
  if (!/^[\w+#.-]{1,32}$/.test(name)) return undefined;
  return hljs.getLanguage(name) ? name : undefined;
}

/**
 * Highlighted HTML for `code`: highlight.js escapes the text itself and adds only
 * `<span class="hljs-…">`. `ignoreIllegals` because a block still streaming is often cut
 * mid-token; no auto-detection, which would re-guess (and recolour) the block every frame.
 */
export function highlight(code: string, language: string): string {
  return hljs.highlight(code, { language, ignoreIllegals: true }).value;
}
