// The .vsix a user installs: package it (`vsce package`, as `npm run package` does), install
// it into a real VS Code (code-server --install-extension), then run the integration suite
// against the installed copy — so a file missing from the package fails here, not for users.
// The package's native files are checked first (checkVsix.mjs): this platform's, once each.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { tsImport } from 'tsx/esm/api';
import { hostTarget, LIMITS, TARGETS } from '../../scripts/packageTargets.mjs';
import { CODE_SERVER_BIN, REPO_ROOT, runExtensionTests } from '../vscode/codeServer.mjs';
import { checkVsix } from './checkVsix.mjs';

function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: REPO_ROOT, encoding: 'utf8', ...options });
  if (result.status !== 0) {
    console.error(result.stdout, result.stderr);
    throw new Error(`${cmd} ${args.join(' ')} failed (${result.status})`);
  }
  return result.stdout;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-vsix-'));
let exitCode = 1;
try {
  const vsix = path.join(work, 'local-rag.vsix');
  console.log('Packaging…');
  run('npm', ['run', 'package', '--', '--out', vsix]);
  const host = hostTarget();
  const contents = checkVsix(vsix, { ...TARGETS[host], target: host }, LIMITS);
  console.log(`Packaged ${(contents.bytes / 1e6).toFixed(1)} MB, ${contents.files} files, ${contents.natives.length} native`);
  if (contents.problems.length) throw new Error(`the ${host} package:\n${contents.problems.join('\n')}`);

  const extensionsDir = path.join(work, 'extensions');
  const installed = run(CODE_SERVER_BIN, ['--extensions-dir', extensionsDir, '--user-data-dir', path.join(work, 'user'), '--install-extension', vsix], {
    env: { ...process.env, XDG_CONFIG_HOME: path.join(work, 'xdg'), XDG_DATA_HOME: path.join(work, 'xdg') },
  });
  console.log(installed.trim());
  const folder = fs.readdirSync(extensionsDir).find((name) => name.startsWith('local-rag.local-rag-'));
  if (!folder) throw new Error(`the extension was not installed: ${fs.readdirSync(extensionsDir).join(', ')}`);
  const extensionPath = path.join(extensionsDir, folder);
  for (const file of [
    'dist/extension.js',
    'dist/pipeline.js',
    'dist/pdfWorker.mjs',
    'dist/cli.js',
    'dist/onnxWorker.js',
    'media/dist/webview.js',
    'media/chat.css',
    'node_modules/node-llama-cpp/package.json',
    'node_modules/pdfjs-dist/legacy/build/pdf.mjs',
    'node_modules/onnxruntime-node/package.json',
  ]) {
    if (!fs.existsSync(path.join(extensionPath, file))) throw new Error(`the installed extension lacks ${file}`);
  }

  const { createVsCodeFixture } = await tsImport('../support/vscodeFixtures.ts', import.meta.url);
  const fixture = createVsCodeFixture();
  try {
    ({ exitCode } = await runExtensionTests({
      workspace: fixture.workspace,
      extensionDevelopmentPath: extensionPath,
      extensionTestsPath: path.join(REPO_ROOT, 'out', 'integration', 'index.js'),
      userSettings: fixture.userSettings,
      env: { MOCHA_GREP: 'activates|streams an answer|cancelling the token|Index This File' },
      timeoutMs: 240_000,
    }));
  } finally {
    fixture.dispose();
  }
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}
process.exit(exitCode);
