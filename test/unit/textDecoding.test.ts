/**
 * Text decoding as a user meets it: a Vietnamese UTF-8 file with one bad byte stays
 * findable by its words, a Windows-1252 file still reads as Windows-1252, and binary data
 * anywhere in a ".md" (not only in its first 8 KB) makes it a binary file, not garbage
 * chunks. Through the real WorkspaceIndex and its search, on files written here.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { RequestToken } from '../../src/pipeline/cancellation';
import { countUtf8, decode } from '../../src/pipeline/indexing/extract/text';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import type { Logger } from '../../src/pipeline/log';
import type { FileRef } from '../../src/protocol/indexing';

const quiet: Logger = { log: () => {} };
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-decoding-'));
after(() => fs.rmSync(root, { recursive: true, force: true }));

function write(name: string, data: Buffer): FileRef {
  const absPath = path.join(root, name);
  fs.writeFileSync(absPath, data);
  return { absPath, displayPath: name };
}

const VIETNAMESE = [
  '# Hướng dẫn sử dụng',
  '',
  'Nhấn nút Dừng để dừng câu trả lời ngay lập tức.',
  'Tài liệu tiếng Việt được lập chỉ mục và tìm kiếm theo từ khóa.',
  'Người dùng có thể hỏi về đường đi, bến phà và lịch trình của chuyến tàu.',
].join('\n');

/** Bytes that are neither text nor NUL-free by chance: deterministic, like a compressed stream. */
function binaryBytes(length: number, withNul: boolean): Buffer {
  const out = Buffer.alloc(length);
  let seed = createHash('sha256').update('binary').digest();
  for (let at = 0; at < length; at += seed.length) {
    seed = createHash('sha256').update(seed).digest();
    seed.copy(out, at);
  }
  if (!withNul) for (let i = 0; i < length; i++) if (out[i] === 0) out[i] = 1;
  return out;
}

describe('UTF-8 with a bad byte', () => {
  test('one invalid byte in a Vietnamese file: a replacement character there, every word intact and searchable', async () => {
    const utf8 = Buffer.from(VIETNAMESE, 'utf8');
    const at = utf8.indexOf(Buffer.from('Tài liệu'));
    // A lone 0xFF, as a bad copy or a cut-and-paste from another encoding leaves.
    const data = Buffer.concat([utf8.subarray(0, at), Buffer.from([0xff]), utf8.subarray(at)]);
    const text = decode(data, 'huong-dan.md');
    assert.equal(text, VIETNAMESE.replace('Tài liệu', '\uFFFDTài liệu'));

    const index = await WorkspaceIndex.open(undefined, quiet);
    const report = await index.indexFiles([write('huong-dan.md', data)], new RequestToken('index'));
    assert.equal(report.indexed, 1, JSON.stringify(report));
    for (const words of ['tiếng Việt', 'bến phà', 'chuyến tàu', 'Dừng']) {
      const hit = index.search(words, 1)[0];
      assert.equal(hit?.path, 'huong-dan.md', `"${words}" finds the file`);
      assert.ok(hit.text.includes(words), `"${words}" is in the passage as written`);
      assert.doesNotMatch(hit.text, /Ã|áº|á»/, 'no mojibake');
    }
  });

  test('a UTF-8 file with a BOM and a file cut in the middle of a character stay UTF-8', () => {
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('Xin chào thế giới', 'utf8')]);
    assert.equal(decode(bom, 'a.txt'), 'Xin chào thế giới');
    const full = Buffer.from('Đường phố', 'utf8');
    // "ố" is three bytes: the last one lost leaves one replacement character, not Windows-1252 mojibake.
    assert.equal(decode(full.subarray(0, full.length - 1), 'cut.txt'), 'Đường ph\uFFFD');
  });

  test('Windows-1252 only when the file is clearly not UTF-8', () => {
    // Accented letters as Latin-1, the curly quotes, dash and euro sign as Windows-1252 bytes.
    const cp1252 = Buffer.from(
      [...'Café crème, déjà vu: naïve façade — “quotes” and 50 €.'].map((ch) => ({ '—': 0x97, '“': 0x93, '”': 0x94, '€': 0x80 })[ch] ?? ch.charCodeAt(0)),
    );
    assert.equal(decode(cp1252, 'menu.txt'), 'Café crème, déjà vu: naïve façade — “quotes” and 50 €.');
    assert.deepEqual(countUtf8(cp1252), { valid: 0, invalid: 10 });
  });
});

describe('binary detection over the whole file', () => {
  const header = `# Notes\n\n${'The harbour opens at dawn and the ferry leaves at noon.\n'.repeat(160)}`;

  test('a .md with binary data after its first 8 KB is refused as binary, not cut into garbage chunks', async () => {
    assert.ok(Buffer.byteLength(header) > 8192);
    const index = await WorkspaceIndex.open(undefined, quiet);
    const files = [
      write('with-nul.md', Buffer.concat([Buffer.from(header), binaryBytes(64 * 1024, true)])),
      write('no-nul.md', Buffer.concat([Buffer.from(header), binaryBytes(64 * 1024, false)])),
    ];
    const report = await index.indexFiles(files, new RequestToken('index'));
    assert.equal(report.indexed, 0, JSON.stringify(report));
    assert.deepEqual(
      report.failed.map((failure) => [failure.path, failure.reason]),
      [
        ['with-nul.md', 'binary'],
        ['no-nul.md', 'binary'],
      ],
    );
    assert.match(report.failed[0].message, /with-nul\.md looks like a binary file, not text/);
    assert.equal(index.status().chunks, 0, 'no garbage chunks');
  });

  test('text with tabs, form feeds and the escape codes of a coloured log is still text', () => {
    const log = `${'\x1b[32mINFO\x1b[0m\tserver started\f\r\n'.repeat(400)}`;
    assert.equal(decode(Buffer.from(log), 'server.log'), log);
  });
});
