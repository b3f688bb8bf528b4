/**
 * The layering is enforced by lint (eslint.config.mjs), not by convention: a forbidden
 * import in each folder is an error, the imports each folder relies on are not, and the
 * real tree lints clean.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = path.resolve(__dirname, '../..');
const eslint = new ESLint({ cwd: ROOT });

/** The rules each import breaks when it stands in `file` (an empty list: it is allowed). */
async function boundaryErrors(file: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: path.join(ROOT, file) });
  assert.equal(result.fatalErrorCount, 0, `${file} parses: ${JSON.stringify(result.messages)}`);
  return result.messages
    .filter((message) => message.ruleId === 'no-restricted-imports' || message.ruleId === 'no-restricted-syntax')
    .map((message) => `${message.ruleId}: ${message.message}`);
}

const forbidden: Array<[file: string, code: string]> = [
  ['src/pipeline/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;"],
  ['src/pipeline/chat/x.ts', "import { createLog } from '../../host/log';\nexport const c = createLog;"],
  ['src/pipeline/x.ts', "import { activate } from '../extension';\nexport const a = activate;"],
  ['src/pipeline/x.ts', "export const v = import('vscode');"],
  ['src/pipeline/x.ts', "export const v = require('vscode');"],
  ['src/pipeline/indexing/x.ts', "import { s } from '../../../webview-ui/strings';\nexport const t = s;"],
  ['src/host/x.ts', "import { stderrLogger } from '../pipeline/log';\nexport const l = stderrLogger;"],
  ['src/host/x.ts', "import type { ChatModel } from '../pipeline/llm/chatModel';\nexport type M = ChatModel;"],
  ['src/host/x.ts', "export const p = import('../pipeline/log');"],
  ['src/extension.ts', "import { stderrLogger } from './pipeline/log';\nexport const l = stderrLogger;"],
  ['src/protocol/x.ts', "import { stderrLogger } from '../pipeline/log';\nexport const l = stderrLogger;"],
  ['src/protocol/x.ts', "import * as fs from 'node:fs';\nexport const f = fs;"],
  ['src/protocol/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;"],
  ['webview-ui/x.ts', "import * as path from 'node:path';\nexport const p = path;"],
  ['webview-ui/x.ts', "import * as fs from 'fs';\nexport const f = fs;"],
  ['webview-ui/x.ts', "import { readFile } from 'fs/promises';\nexport const r = readFile;"],
  ['webview-ui/x.ts', "import { spawn } from 'child_process';\nexport const s = spawn;"],
  ['webview-ui/x.ts', "import { createLog } from '../src/host/log';\nexport const c = createLog;"],
  ['webview-ui/x.ts', "import { stderrLogger } from '../src/pipeline/log';\nexport const l = stderrLogger;"],
  ['webview-ui/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;"],
  ['src/cli/x.ts', "import * as vscode from 'vscode';\nexport const v = vscode;"],
  ['src/cli/x.ts', "import { createLog } from '../host/log';\nexport const c = createLog;"],
];

for (const [file, code] of forbidden) {
  test(`lint refuses in ${file}: ${code.split('\n')[0]}`, async () => {
    const errors = await boundaryErrors(file, code);
    assert.equal(errors.length, 1, `one boundary error, got ${JSON.stringify(errors)}`);
  });
}

const allowed: Array<[file: string, code: string]> = [
  ['src/protocol/x.ts', "import type { ChatEvent } from './events';\nimport { RequestType } from 'vscode-jsonrpc';\nexport type E = ChatEvent;\nexport const R = RequestType;"],
  ['src/pipeline/chat/x.ts', "import * as fs from 'node:fs';\nimport type { ChatEvent } from '../../protocol/events';\nimport { stderrLogger } from '../log';\nexport type E = ChatEvent;\nexport const x = [fs, stderrLogger];"],
  ['src/host/x.ts', "import * as vscode from 'vscode';\nimport * as path from 'node:path';\nimport type { ChatEvent } from '../protocol/events';\nexport type E = ChatEvent;\nexport const x = [vscode, path];"],
  ['src/extension.ts', "import * as vscode from 'vscode';\nimport { createLog } from './host/log';\nexport const x = [vscode, createLog];"],
  ['src/cli/x.ts', "import { parseArgs } from 'node:util';\nimport { stderrLogger } from '../pipeline/log';\nimport { DEFAULT_PIPELINE_SETTINGS } from '../protocol/settings';\nexport const x = [parseArgs, stderrLogger, DEFAULT_PIPELINE_SETTINGS];"],
  ['webview-ui/x.ts', "import MarkdownIt from 'markdown-it';\nimport type { ChatEvent } from '../src/protocol/events';\nimport { s } from './strings';\nexport type E = ChatEvent;\nexport const x = [MarkdownIt, s];"],
];

for (const [file, code] of allowed) {
  test(`lint allows in ${file} the imports its layer uses`, async () => {
    assert.deepEqual(await boundaryErrors(file, code), []);
  });
}

test('the real tree lints clean', async () => {
  const results = await eslint.lintFiles(['.']);
  const problems = results.flatMap((result) =>
    result.messages.map((message) => `${path.relative(ROOT, result.filePath)}:${message.line} ${message.ruleId}: ${message.message}`),
  );
  assert.deepEqual(problems, []);
  assert.ok(results.some((result) => result.filePath === path.join(ROOT, 'src/pipeline/main.ts')), 'src/ is linted');
  assert.ok(results.some((result) => result.filePath === path.join(ROOT, 'webview-ui/main.ts')), 'webview-ui/ is linted');
});
