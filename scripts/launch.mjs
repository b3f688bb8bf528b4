// `npm start`: opens a VS Code with Local RAG loaded from this folder on sample-workspace/.
// Desktop `code` when it is installed; otherwise code-server in the browser (installed into
// .tools/ on first use). Settings live in .tools/, never in your own VS Code profile.
//
// The chat model: LOCAL_RAG_CHAT_MODEL=/path/to/model.gguf, or else a tiny demo model with
// random weights (it streams word salad, but shows streaming, Stop and the phases).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workspace = path.join(root, 'sample-workspace');
const tools = path.join(root, '.tools');

async function chatModel() {
  if (process.env.LOCAL_RAG_CHAT_MODEL) return path.resolve(process.env.LOCAL_RAG_CHAT_MODEL);
  const modelPath = path.join(tools, 'models', 'tiny-demo.gguf');
  const { writeTinyGguf } = await tsImport('../test/fixtures/tinyGguf.ts', import.meta.url);
  writeTinyGguf(modelPath, { contextLength: 8192 });
  console.log(`No LOCAL_RAG_CHAT_MODEL given: using the tiny demo model ${modelPath} (random weights).`);
  return modelPath;
}

const settings = {
  'localRag.chatModel': await chatModel(),
  'localRag.contextSize': 4096,
  'workbench.startupEditor': 'readme',
};

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.env.LOCAL_RAG_USE_CODE_SERVER) {
  const userData = path.join(tools, 'vscode-user');
  fs.mkdirSync(path.join(userData, 'User'), { recursive: true });
  fs.writeFileSync(path.join(userData, 'User', 'settings.json'), JSON.stringify(settings, null, 2));
  console.log('Starting VS Code with Local RAG from this folder…');
  spawn('code', ['--new-window', `--user-data-dir=${userData}`, `--extensionDevelopmentPath=${root}`, workspace], {
    stdio: 'inherit',
    detached: true,
  }).unref();
} else {
  const harness = path.join(root, 'test', 'vscode', 'codeServer.mjs');
  const { CODE_SERVER_BIN, startCodeServer, workbenchUrl } = await import(harness);
  if (!fs.existsSync(CODE_SERVER_BIN)) {
    console.log('No desktop `code` found: installing code-server into .tools/ (one time, a few minutes)…');
    const install = spawnSync('bash', [path.join(root, 'scripts', 'install-test-tools.sh')], { stdio: 'inherit' });
    if (install.status !== 0) process.exit(install.status ?? 1);
  }
  const server = await startCodeServer({ workspace, userSettings: settings, keepData: false });
  const url = workbenchUrl(server, { workspace, extensionDevelopmentPath: root });
  console.log(`\nLocal RAG is running in code-server. Open this address in a browser:\n\n  ${url}\n\nPress Ctrl+C to stop.`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
