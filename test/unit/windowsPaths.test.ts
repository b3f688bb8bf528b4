/**
 * Windows and macOS paths on any machine: the shared path rules (src/protocol/paths.ts, used
 * by the host's display paths, exclude and .gitignore matching, "open source" and the
 * realpath-inside-folder checks, and by the pipeline's walk) run with `path.win32` and with
 * macOS's case-insensitive rules; CRLF files keep their line numbers; names with spaces and
 * accents survive a walk; a rename Windows refuses for a moment is retried there only.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { isInside, pathRules, relativeInside, toSlashes, underFolder } from '../../src/protocol/paths';
import { chunkDocument } from '../../src/pipeline/indexing/chunk';
import { textDocument } from '../../src/pipeline/indexing/extract/text';
import { walkFolderReport } from '../../src/pipeline/indexing/walk';
import { renameReplacing } from '../../src/pipeline/durableFile';
import { shortenPath } from '../../webview-ui/sourcesList';

const windows = pathRules(path.win32, 'win32');
const mac = pathRules(path.posix, 'darwin');
const linux = pathRules(path.posix, 'linux');

describe('display paths on Windows', () => {
  it('are relative to the folder with forward slashes, whatever case the folder was opened with', () => {
    assert.equal(relativeInside('C:\\Users\\Me\\Docs', 'c:\\users\\me\\docs\\Notes\\Kế hoạch 2026.md', windows), 'Notes/Kế hoạch 2026.md');
    assert.equal(relativeInside('c:\\Users\\Me\\Docs', 'C:\\Users\\Me\\Docs\\a b\\README.MD', windows), 'a b/README.MD');
    assert.equal(relativeInside('C:\\', 'C:\\notes\\x.md', windows), 'notes/x.md');
    assert.equal(relativeInside('\\\\server\\share\\team', '\\\\SERVER\\share\\Team\\plan.txt', windows), 'plan.txt');
  });

  it('are undefined for a file outside the folder: a sibling with a longer name, another drive, the folder itself', () => {
    assert.equal(relativeInside('C:\\Users\\Me\\Docs', 'C:\\Users\\Me\\Docs2\\a.md', windows), undefined);
    assert.equal(relativeInside('C:\\Users\\Me\\Docs', 'D:\\Users\\Me\\Docs\\a.md', windows), undefined);
    assert.equal(relativeInside('C:\\Users\\Me\\Docs', 'C:\\Users\\Me\\Docs', windows), undefined);
    assert.equal(relativeInside('C:\\Users\\Me\\Docs', 'C:\\Users\\Me\\Docs\\', windows), undefined);
  });

  it('turn backslashes into forward slashes, and leave POSIX paths as they are', () => {
    assert.equal(toSlashes('docs\\a b\\ü.md', path.win32.sep), 'docs/a b/ü.md');
    assert.equal(toSlashes('docs/a\\b.md', path.posix.sep), 'docs/a\\b.md');
  });
});

describe('the sources list in a narrow chat view', () => {
  it('shortens a Windows absolute path (a file outside the workspace) at its backslashes, keeping the drive and the file name', () => {
    assert.equal(shortenPath('C:\\Users\\Me\\Downloads\\Reports\\2026\\Q3\\báo cáo quý.pdf'), 'C:\\…\\Reports\\2026\\Q3\\báo cáo quý.pdf');
    assert.equal(shortenPath('docs/guides/install/linux/more/setup-guide.md'), 'docs/…/linux/more/setup-guide.md');
  });
});

describe('display paths on macOS and Linux', () => {
  it('match the folder without case on macOS, in either Unicode form, and with case on Linux', () => {
    assert.equal(relativeInside('/Users/Me/Docs', '/users/me/docs/Plan.md', mac), 'Plan.md');
    assert.equal(relativeInside('/Users/me/Café', '/Users/me/Cafe\u0301/Cafe\u0301 menu.md', mac), 'Café menu.md');
    assert.equal(relativeInside('/home/me/Docs', '/home/me/docs/Plan.md', linux), undefined);
    assert.equal(relativeInside('/home/me/Docs', '/home/me/Docs/sub dir/Plan.md', linux), 'sub dir/Plan.md');
  });
});

describe('inside-the-folder checks (real paths of links)', () => {
  it('compare without case on Windows and macOS, with case on Linux', () => {
    assert.equal(isInside('C:\\Work\\Docs', 'c:\\work\\docs\\sub\\x.md', windows), true);
    assert.equal(isInside('/Users/Me/Docs', '/users/me/docs/sub/x.md', mac), true);
    assert.equal(isInside('/home/me/Docs', '/home/me/docs/sub/x.md', linux), false);
  });

  it('refuse another drive, a parent, a share and a sibling; a name starting with two dots is inside', () => {
    assert.equal(isInside('C:\\Work\\Docs', 'D:\\Work\\Docs\\x.md', windows), false);
    assert.equal(isInside('C:\\Work\\Docs', 'C:\\Work', windows), false);
    assert.equal(isInside('C:\\Work\\Docs', 'C:\\Work\\Docs-old\\x.md', windows), false);
    assert.equal(isInside('C:\\Work\\Docs', '\\\\server\\share\\x.md', windows), false);
    assert.equal(isInside('C:\\Work\\Docs', 'C:\\Work\\Docs\\..notes.md', windows), true);
    assert.equal(isInside('/srv/docs', '/srv/docs/..notes.md', linux), true);
    assert.equal(isInside('/srv/docs', '/srv/docs', linux), true);
  });
});

describe('opening a cited source on Windows', () => {
  it('resolves a display path under the folder, spaces and accents included', () => {
    assert.equal(underFolder('C:\\ws', 'docs/a b/Ghi chú.md', windows), 'C:\\ws\\docs\\a b\\Ghi chú.md');
    assert.equal(underFolder('c:\\ws', 'Docs/X.md', windows), 'c:\\ws\\Docs\\X.md');
  });

  it('refuses what would leave the folder: climbing out, drives, shares, the folder itself', () => {
    for (const displayPath of ['../secret.txt', 'docs\\..\\..\\secret.txt', 'C:/Windows/win.ini', 'c:foo.md', 'D:\\x.md', '\\\\server\\share\\x.md', '/x.md', '', '.']) {
      assert.equal(underFolder('C:\\ws', displayPath, windows), undefined, displayPath);
    }
  });

  it('leaves a colon in a POSIX name alone', () => {
    assert.equal(underFolder('/srv/ws', 'a:b.md', linux), '/srv/ws/a:b.md');
  });
});

describe('CRLF files', () => {
  const lf = '# Title\n\nFirst line.\nSecond line.\n\n## Part two\n\nThird line.\nFourth line.\n';
  const crlf = lf.replace(/\n/g, '\r\n');

  for (const [name, kind] of [['notes.md', 'markdown'], ['notes.txt', 'text']] as const) {
    it(`give a ${kind} file the same chunks and line numbers as LF, with no carriage returns`, () => {
      const options = { chunkSize: 40, overlap: 0 };
      const fromLf = chunkDocument(textDocument(Buffer.from(lf), name, name), options);
      const fromCrlf = chunkDocument(textDocument(Buffer.from(`\ufeff${crlf}`), name, name), options);
      assert.ok(fromLf.length > 1);
      assert.deepEqual(
        fromCrlf.map(({ text, startLine, endLine }) => ({ text, startLine, endLine })),
        fromLf.map(({ text, startLine, endLine }) => ({ text, startLine, endLine })),
      );
      assert.ok(fromCrlf.every((chunk) => !chunk.text.includes('\r')));
      // "## Part two" is line 6 and "Fourth line." line 9 in any editor.
      const partTwo = fromCrlf.find((chunk) => chunk.text.includes('Fourth line.'));
      assert.ok(partTwo && partTwo.startLine === 6 && partTwo.endLine >= 9, JSON.stringify(partTwo));
    });
  }
});

describe('a folder walk with a CRLF .gitignore and names with spaces and accents', () => {
  it('ignores what the .gitignore says and names the rest with forward slashes', async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-winpaths-'));
    try {
      fs.mkdirSync(path.join(root, 'Tài liệu', 'bản nháp'), { recursive: true });
      fs.writeFileSync(path.join(root, '.gitignore'), 'bản nháp/\r\n*.log.md\r\nsecret notes.txt\r\n');
      fs.writeFileSync(path.join(root, 'Tài liệu', 'Kế hoạch.md'), '# Kế hoạch\r\n');
      fs.writeFileSync(path.join(root, 'Tài liệu', 'bản nháp', 'draft.md'), 'draft\r\n');
      fs.writeFileSync(path.join(root, 'Tài liệu', 'build.log.md'), 'log\r\n');
      fs.writeFileSync(path.join(root, 'secret notes.txt'), 'secret\r\n');
      fs.writeFileSync(path.join(root, 'read me.txt'), 'hello\r\n');
      const { files } = await walkFolderReport(root);
      assert.deepEqual(files.map((file) => file.displayPath).sort(), ['read me.txt', 'Tài liệu/Kế hoạch.md'].sort());
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('renames Windows refuses for a moment', () => {
  const busy = () => Object.assign(new Error('EPERM: operation not permitted, rename'), { code: 'EPERM' });

  async function withFiles(run: (from: string, to: string) => Promise<void>): Promise<void> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-rename-'));
    try {
      fs.writeFileSync(path.join(dir, 'new.tmp'), 'new');
      fs.writeFileSync(path.join(dir, 'manifest.json'), 'old');
      await run(path.join(dir, 'new.tmp'), path.join(dir, 'manifest.json'));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  it('are tried again on Windows until the other program lets go', () =>
    withFiles(async (from, to) => {
      let refusals = 3;
      const rename = (a: string, b: string) => (refusals-- > 0 ? Promise.reject(busy()) : fs.promises.rename(a, b));
      await renameReplacing(from, to, { platform: 'win32', rename });
      assert.equal(fs.readFileSync(to, 'utf8'), 'new');
      assert.equal(fs.existsSync(from), false);
    }));

  it('fail at once elsewhere, and on Windows for errors that waiting cannot fix', () =>
    withFiles(async (from, to) => {
      let calls = 0;
      const refuse = () => (calls++, Promise.reject(busy()));
      await assert.rejects(renameReplacing(from, to, { platform: 'linux', rename: refuse }), /EPERM/);
      assert.equal(calls, 1);
      await assert.rejects(renameReplacing(path.join(path.dirname(from), 'gone.tmp'), to, { platform: 'win32' }), /ENOENT/);
      assert.equal(fs.readFileSync(to, 'utf8'), 'old');
    }));
});
