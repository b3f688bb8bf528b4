/**
 * The answer renderer on hostile input: what documents and models write must come out as
 * text or as the few safe elements our renderer makes, never as markup that runs or loads.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openableLink } from '../../src/protocol/links';
import { isWebviewToHost } from '../../src/protocol/webviewMessages';
import { renderMarkdown } from '../../webview-ui/markdown';
import { isAllowedAttribute, isAllowedTag } from '../../webview-ui/sanitize';

const twoSources = { describe: ['docs/stop.md · lines 1–3', 'docs/b.md'] };
const render = (text: string) => renderMarkdown(text, twoSources);

describe('answer Markdown', () => {
  test('raw HTML is shown as text', () => {
    const html = render('See <img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>\n\n<div onclick="x()">block</div>');
    assert.doesNotMatch(html, /<img|<script|<div onclick/i);
    assert.match(html, /&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;/);
    assert.match(html, /&lt;script&gt;window.__xss=2&lt;\/script&gt;/);
  });

  test('javascript:, command:, data:, vscode:, file: and relative links stay inert text', () => {
    for (const href of ['javascript:alert(1)', 'JAVASCRIPT:alert(1)', 'command:workbench.action.quit', 'data:text/html,hi', 'vscode:extension/x', 'file:///etc/passwd', 'docs/a.md']) {
      const html = render(`[go](${href}) <${href}>`);
      assert.doesNotMatch(html, /<a\b/, href);
      assert.match(html, /\[go\]/, `${href} is shown as written`);
    }
  });

  test('web and e-mail links carry no href: the host opens them after checking again', () => {
    const html = render('[site](https://example.com/a?b=1) [mail](mailto:a@b.example) https://bare.example/x');
    assert.match(html, /<a class="md-link" role="link" tabindex="0" data-href="https:\/\/example\.com\/a\?b=1"/);
    assert.match(html, /data-href="mailto:a@b\.example"/);
    assert.match(html, /data-href="https:\/\/bare\.example\/x"/);
    assert.doesNotMatch(html, /\shref=/);
  });

  test('images are not loaded: their alt text stands in', () => {
    const html = render('![a chart](https://tracker.example/p.png) ![](https://tracker.example/q.png)');
    assert.doesNotMatch(html, /<img|tracker\.example/);
    assert.match(html, /\[image: a chart\]/);
  });

  test('[n] links only where source n exists, and never inside code', () => {
    const html = render('First [1], then [2], invented [3] and [0], grouped [1, 7], in code `[1]`.');
    assert.equal((html.match(/<button type="button" class="citation"/g) ?? []).length, 3); // [1], [2], and the 1 of [1, 7]
    assert.match(html, /data-source="1" title="docs\/stop\.md · lines 1–3" aria-label="Source 1: docs\/stop\.md · lines 1–3">\[1\]<\/button>/);
    assert.match(html, /invented \[3\] and \[0\]/);
    assert.match(html, /\[7\]/);
    assert.match(html, /<code>\[1\]<\/code>/);
    assert.doesNotMatch(renderMarkdown('No sources [1].', { describe: [] }), /<button/);
  });

  test('citations work inside lists, emphasis and tables', () => {
    const html = render('- **bold [1]**\n- item [2]\n\n| a | b |\n|---|---|\n| x [1] | y |');
    assert.equal((html.match(/class="citation"/g) ?? []).length, 3);
    assert.match(html, /<strong>bold <button/);
  });

  test('code blocks are highlighted, escaped, and have a Copy button', () => {
    const html = render('```ts\nconst a = "<b>";\n```\n\n```\nplain <i>\n```');
    assert.match(html, /<code class="hljs language-ts"><span class="hljs-keyword">const<\/span>/);
    assert.match(html, /&lt;b&gt;/);
    assert.match(html, /<code class="hljs">plain &lt;i&gt;/);
    assert.equal((html.match(/<button type="button" class="copy-code"/g) ?? []).length, 2);
  });

  test('an unfinished fence while streaming renders as a code block, not as a jumble', () => {
    assert.match(render('Here:\n\n```python\ndef f():\n    return 1'), /<code class="hljs language-python"><span class="hljs-keyword">def<\/span>/);
  });

  test('tables align with classes, not the inline styles the CSP refuses', () => {
    const html = render('| a | b |\n|:-|-:|\n| 1 | 2 |');
    assert.match(html, /<div class="table-wrap"><table>/);
    assert.match(html, /<th class="align-left">a<\/th>/);
    assert.doesNotMatch(html, /style=/);
  });

  test('a language name cannot break out of the class attribute', () => {
    const html = render('```"><img src=x>\nx\n```');
    assert.doesNotMatch(html, /<img/);
  });
});

describe('links that may open', () => {
  test('only http, https and mailto', () => {
    assert.equal(openableLink('https://example.com/x'), 'https://example.com/x');
    assert.equal(openableLink('mailto:a@b.example'), 'mailto:a@b.example');
    for (const bad of ['javascript:alert(1)', ' https://example.com', 'command:x', 'data:,x', 'vscode:x', 'file:///x', '//example.com', 'https://', 'mailto:']) {
      assert.equal(openableLink(bad), undefined, bad);
    }
  });

  test('the host rejects any other openLink message', () => {
    assert.equal(isWebviewToHost({ type: 'openLink', url: 'https://example.com' }), true);
    assert.equal(isWebviewToHost({ type: 'openLink', url: 'command:workbench.action.quit' }), false);
    assert.equal(isWebviewToHost({ type: 'openLink', url: 'javascript:alert(1)' }), false);
    assert.equal(isWebviewToHost({ type: 'openLink' }), false);
  });
});

describe('DOM allowlist', () => {
  test('only the elements and attributes the renderer writes survive', () => {
    for (const tag of ['script', 'img', 'iframe', 'style', 'svg', 'form', 'input', 'object']) assert.equal(isAllowedTag(tag), false, tag);
    for (const tag of ['p', 'pre', 'code', 'table', 'a', 'button', 'span']) assert.equal(isAllowedTag(tag), true, tag);
    assert.equal(isAllowedAttribute('img', 'onerror', 'x()'), false);
    assert.equal(isAllowedAttribute('a', 'href', 'https://example.com'), false);
    assert.equal(isAllowedAttribute('a', 'data-href', 'https://example.com/'), true);
    assert.equal(isAllowedAttribute('a', 'data-href', 'javascript:alert(1)'), false);
    assert.equal(isAllowedAttribute('span', 'style', 'color:red'), false);
    assert.equal(isAllowedAttribute('button', 'onclick', 'x()'), false);
    assert.equal(isAllowedAttribute('button', 'data-source', '2'), true);
    assert.equal(isAllowedAttribute('button', 'type', 'submit'), false);
  });
});
