/**
 * English and Vietnamese: every contribution string, every host message (vscode.l10n.t),
 * every webview word and the pipeline's own words exist in both languages, with the same
 * placeholders, so a Vietnamese user never meets a stray English string or a broken "{0}".
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { extractiveAnswer } from '../../src/pipeline/chat/extractive';
import { chatMessages } from '../../src/pipeline/chat/messages';
import { nothingFound } from '../../src/pipeline/chat/chatService';
import { formatString, uiLanguage, WEBVIEW_STRINGS, webviewStrings } from '../../src/protocol/webviewStrings';

const ROOT = path.resolve(__dirname, '../..');
const readJson = (file: string) => JSON.parse(fs.readFileSync(path.join(ROOT, file), 'utf8'));
const placeholders = (text: string) => [...new Set(text.match(/\{\d+\}/g) ?? [])].sort();
/** Vietnamese text has diacritics: a "translation" without any is English left behind. */
const VIETNAMESE = /[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]/i;

test('every %key% of package.json has English and Vietnamese text, with the same placeholders and links', () => {
  const pkgText = fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8');
  const en = readJson('package.nls.json');
  const vi = readJson('package.nls.vi.json');
  const used = [...pkgText.matchAll(/"%([^%"]+)%"/g)].map((m) => m[1]);
  assert.ok(used.length > 30, 'contributions use %key% placeholders');
  for (const key of used) assert.ok(key in en, `package.nls.json lacks ${key}`);
  assert.deepEqual(Object.keys(vi).sort(), Object.keys(en).sort(), 'package.nls.vi.json has exactly the keys of package.nls.json');
  for (const key of Object.keys(en)) {
    assert.deepEqual(placeholders(vi[key]), placeholders(en[key]), key);
    // Links in walkthrough steps must still run the same commands.
    assert.deepEqual(vi[key].match(/\(command:[^)]+\)/g), en[key].match(/\(command:[^)]+\)/g), key);
    if (en[key] !== 'Local RAG') assert.match(vi[key], VIETNAMESE, `${key} reads as Vietnamese`);
  }
});

test('no user-visible contribution string is left unlocalized', () => {
  const { contributes } = readJson('package.json');
  const literal: string[] = [];
  const check = (where: string, value: unknown) => {
    if (typeof value === 'string' && !/^%[^%]+%$/.test(value)) literal.push(`${where}: ${value}`);
  };
  for (const command of contributes.commands) {
    check(`${command.command} title`, command.title);
    check(`${command.command} category`, command.category);
  }
  for (const views of Object.values(contributes.views) as Array<Array<{ id: string; name: string }>>) {
    for (const view of views) check(`view ${view.id}`, view.name);
  }
  for (const container of contributes.viewsContainers.activitybar) check(`view container ${container.id}`, container.title);
  for (const walkthrough of contributes.walkthroughs) {
    check(walkthrough.id, walkthrough.title);
    check(walkthrough.id, walkthrough.description);
    for (const step of walkthrough.steps) {
      check(step.id, step.title);
      check(step.id, step.description);
    }
  }
  check('configuration title', contributes.configuration.title);
  for (const [name, property] of Object.entries(contributes.configuration.properties) as Array<[string, Record<string, unknown>]>) {
    check(name, property.markdownDescription);
    check(name, property.description);
    for (const text of (property.enumDescriptions as unknown[] | undefined) ?? []) check(name, text);
  }
  assert.deepEqual(literal, []);
});

/** The messages of `vscode.l10n.t('…', …)` calls in the host's sources (src/host and src/extension.ts). */
function hostMessages(): Array<{ file: string; message: string }> {
  const dir = path.join(ROOT, 'src', 'host');
  const files = [...fs.readdirSync(dir).filter((name) => name.endsWith('.ts')).map((name) => path.join(dir, name)), path.join(ROOT, 'src', 'extension.ts')];
  return files.flatMap((file) => {
    const name = path.relative(ROOT, file);
    const source = fs.readFileSync(file, 'utf8');
    const calls = [...source.matchAll(/l10n\.t\(\s*(['"`])((?:\\.|(?!\1)[^\\])*)\1/g)];
    return calls.map((m) => ({ file: name, message: m[2].replace(/\\(['"`\\])/g, '$1') }));
  });
}

test('every host message has a Vietnamese translation with the same placeholders', () => {
  assert.equal(readJson('package.json').l10n, './l10n', 'package.json names the l10n folder');
  const bundle: Record<string, string> = readJson('l10n/bundle.l10n.vi.json');
  const messages = hostMessages();
  assert.ok(messages.length > 50, `host messages go through vscode.l10n.t (found ${messages.length})`);
  const missing = messages.filter(({ message }) => !(message in bundle)).map(({ file, message }) => `${file}: ${message}`);
  assert.deepEqual(missing, [], 'l10n/bundle.l10n.vi.json lacks these');
  for (const { message } of messages) {
    assert.deepEqual(placeholders(bundle[message]), placeholders(message), message);
    assert.doesNotMatch(message, /\$\{/, `a message is a literal with {n} placeholders, not a template: ${message}`);
  }
  const used = new Set(messages.map(({ message }) => message));
  assert.deepEqual(Object.keys(bundle).filter((key) => !used.has(key)), [], 'the bundle holds no stale messages');
});

test('no host notification is written as a bare English literal', () => {
  const dir = path.join(ROOT, 'src', 'host');
  const bare: string[] = [];
  for (const name of fs.readdirSync(dir).filter((file) => file.endsWith('.ts'))) {
    const source = fs.readFileSync(path.join(dir, name), 'utf8');
    const shown = /(?:show(?:Information|Warning|Error)Message\(|\b(?:title|placeHolder|placeholder|prompt|tooltip|aria-label)\s*[:=]\s*)(['"`])((?:\\.|(?!\1)[^\\])*)\1/g;
    for (const m of source.matchAll(shown)) {
      // The product name and interpolated (already localized) values need no translation.
      const words = m[2].replace(/\$\{[^}]*\}/g, '').replace(/Local RAG/g, '');
      if (/[A-Za-z]{2,}/.test(words)) bare.push(`${name}: ${m[0]}`);
    }
  }
  assert.deepEqual(bare, []);
});

test('the chat view speaks Vietnamese when VS Code does, English otherwise', () => {
  assert.equal(uiLanguage('vi'), 'vi');
  assert.equal(uiLanguage('vi-VN'), 'vi');
  assert.equal(uiLanguage('en'), 'en');
  assert.equal(uiLanguage('de'), 'en');
  assert.equal(uiLanguage(undefined), 'en');
  assert.equal(webviewStrings('vi').stop, 'Dừng');
  assert.equal(webviewStrings('en-US').send, 'Send');
  const { en, vi } = WEBVIEW_STRINGS;
  assert.deepEqual(Object.keys(vi).sort(), Object.keys(en).sort());
  for (const key of Object.keys(en) as Array<keyof typeof en>) {
    assert.deepEqual(placeholders(vi[key]), placeholders(en[key]), key);
    assert.ok(vi[key].trim().length > 0, key);
  }
  assert.equal(formatString(vi.attached, 'docs/a.md'), 'Đã đính kèm: docs/a.md');
  assert.equal(formatString(en.lines, 3, 7), 'lines 3–7');
});

test("the pipeline's status lines and canned answers follow the language setting", () => {
  assert.equal(chatMessages('vi').phase.RETRIEVAL, 'Đang tìm kiếm…');
  assert.equal(chatMessages('en').phase.RETRIEVAL, 'Searching…');
  assert.equal(chatMessages(undefined).phase.GENERATION, 'Generating…');
  assert.match(nothingFound(false, 'vi'), /^Tôi không tìm thấy/);
  assert.match(nothingFound(false), /^I found nothing/);
  const sources = [{ path: 'docs/stop.md', excerpt: 'Nút Dừng kết thúc câu trả lời ngay lập tức.', score: 1, startLine: 1, endLine: 3 }];
  const vi = extractiveAnswer('nút dừng', sources, 'vi-VN');
  assert.match(vi, /^Từ tài liệu của bạn:/);
  assert.match(vi, /Chưa thiết lập mô hình trò chuyện/);
  assert.match(vi, /Nút Dừng kết thúc câu trả lời ngay lập tức\. \[1\]/);
  assert.match(extractiveAnswer('stop', sources), /^From your documents:/);
});
