// `npm start`: opens a VS Code with Local RAG loaded from this folder on sample-workspace/.
// Desktop `code` when it is installed; otherwise code-server in the browser (installed into
// .tools/ on first use). The profile lives in .tools/, never in your own VS Code profile, and
// lasts from one start to the next (settings, the index, chat history):
//
//   npm start -- --clean            start from an empty profile
//   npm start -- --host 0.0.0.0     code-server listens on every address (default 127.0.0.1)
//   npm start -- --port 8080        code-server's port (default: a free one)
//
// The chat model: LOCAL_RAG_CHAT_MODEL=/path/to/model.gguf, or else a tiny demo model with
// random weights (it streams word salad, but shows streaming, Stop and the phases).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const workspace = path.join(root, 'sample-workspace');
const tools = path.join(root, '.tools');
const { values: flags } = parseArgs({
  options: { clean: { type: 'boolean', default: false }, host: { type: 'string', default: '127.0.0.1' }, port: { type: 'string' } },
});
const desktopProfile = path.join(tools, 'vscode-user');
const browserProfile = path.join(tools, 'start-profile');
if (flags.clean) {
  for (const folder of [desktopProfile, browserProfile]) fs.rmSync(folder, { recursive: true, force: true });
  console.log('Starting from an empty profile (--clean): settings, index and chat history of earlier starts were removed.');
}

/**
 * Writes `settings` where the profile has no value of its own (what the user changed stays),
 * and `forced` over it (a model named by LOCAL_RAG_CHAT_MODEL for this start).
 */
function mergeSettings(file, settings, forced = {}) {
  let kept = {};
  try {
    kept = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    // First start (or a settings file that is not plain JSON): written anew.
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify({ ...settings, ...kept, ...forced }, null, 2));
}

async function chatModel() {
  if (process.env.LOCAL_RAG_CHAT_MODEL) return path.resolve(process.env.LOCAL_RAG_CHAT_MODEL);
  const modelPath = path.join(tools, 'models', 'tiny-demo.gguf');
  const { writeTinyGguf } = await tsImport('../test/fixtures/tinyGguf.ts', import.meta.url);
  writeTinyGguf(modelPath, { contextLength: 8192 });
  console.log(`No LOCAL_RAG_CHAT_MODEL given: using the tiny demo model ${modelPath} (random weights).`);
  return modelPath;
}

const forced = process.env.LOCAL_RAG_CHAT_MODEL ? { 'localRag.chatModel': path.resolve(process.env.LOCAL_RAG_CHAT_MODEL) } : {};
const settings = {
  'localRag.chatModel': await chatModel(),
  'localRag.contextSize': 4096,
  // The sample workspace is indexed on the first start, so its suggested question is answered.
  'localRag.indexOnOpen': true,
  'workbench.startupEditor': 'readme',
};

const hasCode = spawnSync('code', ['--version'], { stdio: 'ignore' }).status === 0;
if (hasCode && !process.env.LOCAL_RAG_USE_CODE_SERVER) {
  const userData = desktopProfile;
  mergeSettings(path.join(userData, 'User', 'settings.json'), settings, forced);
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
  const port = flags.port === undefined ? undefined : Number(flags.port);
  // startCodeServer keeps what the profile's settings.json holds over what it is given.
  mergeSettings(path.join(browserProfile, 'user-data', 'User', 'settings.json'), settings, forced);
  const server = await startCodeServer({ workspace, dataDir: browserProfile, host: flags.host, port });
  const url = workbenchUrl(server, { workspace, extensionDevelopmentPath: root });
  const remote =
    flags.host === '127.0.0.1'
      ? `From another machine: forward the port over SSH, then open the same address there:\n  ssh -L ${server.port}:127.0.0.1:${server.port} <user>@<this machine>`
      : `It listens on ${flags.host} without a password: anyone who reaches this port can use it.`;
  console.log(`\nLocal RAG is running in code-server. Open this address in a browser:\n\n  ${url}\n\n${remote}\n\nThe profile (settings, index, chat history) is kept in ${path.relative(root, browserProfile)}/; \`npm start -- --clean\` starts afresh.\nPress Ctrl+C to stop.`);
  const stop = async () => {
    await server.stop();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
