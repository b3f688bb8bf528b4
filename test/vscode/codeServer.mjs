// @ts-check
/**
 * Test harness for running the extension inside a real VS Code (code-server, installed by
 * scripts/install-test-tools.sh into .tools/code-server) driven by playwright-core and
 * Debian's Chromium.
 *
 *   startCodeServer()    – a code-server process with throw-away per-run folders
 *   launchBrowser()      – Chromium with the flags that work on these machines
 *   runExtensionTests()  – mocha inside the real extension host, resolves { exitCode, log }
 *   openWorkbench()      – a loaded workbench with the extension under development, for UI tests
 *   webviewFrame()       – the content frame of an extension's webview (two iframes deep)
 *   activityBarItem(), runCommand()  – small UI helpers (activity-bar icon, command palette)
 *
 * Everything started here is killed by stop()/close(), and also when this Node process
 * exits or gets SIGINT/SIGTERM/SIGHUP (process-group kill; no orphans).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import util from 'node:util';

const here = path.dirname(fileURLToPath(import.meta.url));
/** Repository root (this file lives in <root>/test/vscode). */
export const REPO_ROOT = path.resolve(here, '..', '..');
/** The code-server launcher installed by scripts/install-test-tools.sh. */
export const CODE_SERVER_BIN =
  process.env.CODE_SERVER_BIN || path.join(REPO_ROOT, '.tools', 'code-server', 'node_modules', '.bin', 'code-server');
export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Settings written into every run's User/settings.json (userSettings override them). */
export const DEFAULT_USER_SETTINGS = Object.freeze({
  'workbench.startupEditor': 'none',
  'workbench.welcomePage.walkthroughs.openOnInstall': false,
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'workbench.settings.enableNaturalLanguageSearch': false,
  'workbench.editor.enablePreview': false,
  'telemetry.telemetryLevel': 'off',
  'security.workspace.trust.enabled': false,
  'security.workspace.trust.startupPrompt': 'never',
  'update.mode': 'none',
  'extensions.autoUpdate': false,
  'extensions.autoCheckUpdates': false,
  'extensions.ignoreRecommendations': true,
  'git.enabled': false,
  'git.autoRepositoryDetection': false,
  'git.openRepositoryInParentFolders': 'never',
  'github.gitAuthentication': false,
  'chat.commandCenter.enabled': false,
  'terminal.integrated.enablePersistentSessions': false,
  'files.hotExit': 'off',
  'npm.autoDetect': 'off',
  'typescript.disableAutomaticTypeAcquisition': true,
  'typescript.tsc.autoDetect': 'off',
  'workbench.localHistory.enabled': false,
});

// ------------------------------------------------------------------ process cleanup

/** @type {Set<() => void>} synchronous last-resort cleanups, run on exit/signals */
const emergencyCleanups = new Set();
let exitHooksInstalled = false;
function installExitHooks() {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  const runAll = () => {
    for (const fn of [...emergencyCleanups]) {
      try { fn(); } catch { /* ignore */ }
    }
    emergencyCleanups.clear();
  };
  process.on('exit', runAll);
  for (const sig of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    const onSignal = () => {
      runAll();
      // Keep the default behaviour (exit with 128+n) unless the embedding program has its
      // own handler. process.exit() (not re-raising) so that 'exit' hooks still run:
      // playwright-core's kills the browsers it launched.
      if (process.listenerCount(sig) === 1) process.exit(128 + os.constants.signals[sig]);
    };
    process.on(sig, onSignal);
  }
}

/**
 * All descendants of `pid` (from /proc), parents before children.
 * @param {number} pid
 * @returns {number[]}
 */
function descendants(pid) {
  /** @type {Map<number, number[]>} */
  const children = new Map();
  let entries = [];
  try { entries = fs.readdirSync('/proc'); } catch { return []; }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      // pid (comm) state ppid ...  – comm may contain spaces/parens
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      /** @type {number[]} */ (children.get(ppid)).push(Number(e));
    } catch { /* process went away */ }
  }
  const out = [];
  const queue = [pid];
  while (queue.length) {
    const p = /** @type {number} */ (queue.shift());
    for (const c of children.get(p) || []) { out.push(c); queue.push(c); }
  }
  return out;
}

/**
 * Signal a process group and every descendant (even those that left the group).
 * @param {number} pid
 * @param {NodeJS.Signals} signal
 */
function killTree(pid, signal) {
  const pids = descendants(pid);
  try { process.kill(-pid, signal); } catch { /* group gone */ }
  for (const p of [pid, ...pids]) {
    try { process.kill(p, signal); } catch { /* gone */ }
  }
}

/** @param {number} pid */
function isAlive(pid) {
  try { process.kill(pid, 0); return true; } catch { return false; }
}

const sleep = (/** @type {number} */ ms) => new Promise((r) => setTimeout(r, ms));

// ------------------------------------------------------------------ helpers

/** Runs argv[1..] under node; kills its own process group when its parent goes away. */
const REAPER = `
const { spawn } = require('node:child_process');
const parent = process.ppid;
const child = spawn(process.execPath, process.argv.slice(1), { stdio: 'inherit' });
const killGroup = () => {
  const dir = process.env.LOCAL_RAG_REAPER_RMDIR;
  if (dir) spawn('sh', ['-c', 'sleep 2; rm -rf "$0"', dir], { detached: true, stdio: 'ignore' }).unref();
  try { process.kill(-process.pid, 'SIGKILL'); } catch {}
};
child.on('exit', (code, signal) => {
  // code-server may die first when our parent dies (its stdout pipe breaks): still clean up.
  if (process.ppid !== parent) killGroup();
  process.exit(code ?? (signal ? 1 : 0));
});
child.on('error', (e) => { console.error(e); process.exit(1); });
for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
setInterval(() => { if (process.ppid !== parent) killGroup(); }, 500);
`;

/** @returns {Promise<number>} a free TCP port on 127.0.0.1 */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** @param {string} url @returns {Promise<number>} HTTP status, or 0 when nothing answers */
function httpStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => { res.resume(); resolve(res.statusCode || 0); });
    req.on('error', () => resolve(0));
    req.on('timeout', () => { req.destroy(); resolve(0); });
  });
}

/**
 * The `payload` URL parameter understood by the VS Code web workbench.
 * @param {string} authority  host:port of the address the browser opens
 * @param {{ extensionDevelopmentPath?: string | string[], extensionTestsPath?: string }} o
 */
function payloadParam(authority, { extensionDevelopmentPath, extensionTestsPath }) {
  // The browser's address is the workbench's remote authority: the payload must name the same.
  const remote = (/** @type {string} */ p) => `vscode-remote://${authority}${path.resolve(p).split(path.sep).map(encodeURIComponent).join('/')}`;
  /** @type {[string, string][]} */
  const payload = [];
  const devPaths = extensionDevelopmentPath == null ? [] : [extensionDevelopmentPath].flat();
  for (const p of devPaths) payload.push(['extensionDevelopmentPath', remote(p)]);
  if (extensionTestsPath) payload.push(['extensionTestsPath', remote(extensionTestsPath)]);
  return payload.length ? JSON.stringify(payload) : undefined;
}

/**
 * @param {{ url: string, port: number }} server
 * @param {{ workspace?: string, extensionDevelopmentPath?: string | string[], extensionTestsPath?: string }} o
 */
export function workbenchUrl(server, { workspace, extensionDevelopmentPath, extensionTestsPath }) {
  const params = new URLSearchParams();
  if (workspace) {
    const ws = path.resolve(workspace);
    params.set(ws.endsWith('.code-workspace') ? 'workspace' : 'folder', ws);
  } else {
    params.set('ew', 'true'); // empty window
  }
  const payload = payloadParam(new URL(server.url).host, { extensionDevelopmentPath, extensionTestsPath });
  if (payload) params.set('payload', payload);
  return `${server.url}/?${params.toString()}`;
}

// ------------------------------------------------------------------ code-server

/**
 * @typedef {object} CodeServer
 * @property {string} url       http://127.0.0.1:PORT
 * @property {number} port
 * @property {string} dataDir   per-run root: user-data/, extensions/, xdg-config/, xdg-data/, tmp/
 * @property {string} userDataDir
 * @property {() => string} output  code-server's stdout+stderr so far
 * @property {() => Promise<void>} stop  kills the whole process tree, removes dataDir (unless keepData)
 */

/**
 * Start code-server on a free 127.0.0.1 port with throw-away per-run folders.
 * @param {object} [opts]
 * @param {string} [opts.workspace]  folder (or .code-workspace) opened by default
 * @param {string | string[]} [opts.extensionDevelopmentPath]  unused by the server itself (the
 *        workbench gets it through the payload URL, see workbenchUrl); accepted for symmetry
 * @param {Record<string, unknown>} [opts.userSettings]  merged over DEFAULT_USER_SETTINGS
 * @param {Record<string, string | undefined>} [opts.env]  extra environment (reaches the extension host)
 * @param {string[]} [opts.args]  extra code-server arguments (e.g. ['--locale', 'vi'])
 * @param {string[]} [opts.installExtensions]  .vsix files installed into this run's extensions
 *        dir (code-server --install-extension) before the server starts; see installExtensions()
 * @param {number} [opts.startTimeoutMs]  default 60000
 * @param {boolean} [opts.keepData]  keep dataDir after stop() (for debugging)
 * @param {string} [opts.dataDir]  a lasting folder for the profile instead of a throw-away one
 *        (`npm start`): kept after stop(); settings.json keeps what the user changed there,
 *        userSettings only fill in what it lacks
 * @param {string} [opts.host]  address to listen on (default 127.0.0.1)
 * @param {number} [opts.port]  port to listen on (default: a free one)
 * @param {string} [opts.advertisedHost]  the host name the printed URL uses (default: host, or 127.0.0.1 for a wildcard)
 * @param {boolean} [opts.verbose]  echo code-server's output to stderr (also: LOCAL_RAG_TEST_VERBOSE=1)
 * @param {boolean} [opts.workspaceTrust]  workspace trust on, as VS Code ships it: a folder not
 *        trusted yet opens in Restricted Mode (default: trust off, every folder trusted)
 * @returns {Promise<CodeServer>}
 */
export async function startCodeServer(opts = {}) {
  const { workspace, userSettings = {}, env = {}, args = [], installExtensions: vsixes = [],
    startTimeoutMs = 60_000, host = '127.0.0.1', workspaceTrust = false } = opts;
  const keepData = opts.keepData ?? (!!opts.dataDir || !!process.env.LOCAL_RAG_TEST_KEEP);
  const verbose = opts.verbose ?? process.env.LOCAL_RAG_TEST_VERBOSE === '1';
  if (!fs.existsSync(CODE_SERVER_BIN)) {
    throw new Error(`code-server not found at ${CODE_SERVER_BIN}; run scripts/install-test-tools.sh`);
  }
  installExitHooks();
  const port = opts.port ?? (await freePort());
  const dataDir = opts.dataDir ? path.resolve(opts.dataDir) : await fsp.mkdtemp(path.join(os.tmpdir(), 'local-rag-cs-'));
  const dirs = {
    userData: path.join(dataDir, 'user-data'),
    extensions: path.join(dataDir, 'extensions'),
    config: path.join(dataDir, 'xdg-config'),
    data: path.join(dataDir, 'xdg-data'),
    cache: path.join(dataDir, 'xdg-cache'),
    tmp: path.join(dataDir, 'tmp'),
  };
  for (const d of Object.values(dirs)) await fsp.mkdir(d, { recursive: true });
  await fsp.mkdir(path.join(dirs.userData, 'User'), { recursive: true });
  const settingsFile = path.join(dirs.userData, 'User', 'settings.json');
  /** @type {Record<string, unknown>} */
  let kept = {};
  if (opts.dataDir) {
    try { kept = JSON.parse(await fsp.readFile(settingsFile, 'utf8')); } catch { /* first start, or not plain JSON: written anew */ }
  }
  const trust = workspaceTrust ? { 'security.workspace.trust.enabled': true } : {};
  await fsp.writeFile(settingsFile, JSON.stringify({ ...DEFAULT_USER_SETTINGS, ...userSettings, ...kept, ...trust }, null, 2));
  const configFile = path.join(dirs.config, 'code-server', 'config.yaml');
  await fsp.mkdir(path.dirname(configFile), { recursive: true });
  await fsp.writeFile(configFile, `bind-addr: ${host}:${port}\nauth: none\ncert: false\n`);

  const argv = [
    '--config', configFile,
    '--bind-addr', `${host}:${port}`,
    '--auth', 'none',
    '--disable-telemetry',
    '--disable-update-check',
    ...(workspaceTrust ? [] : ['--disable-workspace-trust']),
    '--disable-getting-started-override',
    '--ignore-last-opened',
    '--user-data-dir', dirs.userData,
    '--extensions-dir', dirs.extensions,
    ...args,
  ];
  if (workspace) argv.push(path.resolve(workspace));

  /** @type {NodeJS.ProcessEnv} */
  const childEnv = { ...process.env };
  // Don't leak the outer VS Code / test runner into the inner one.
  for (const k of Object.keys(childEnv)) {
    if (/^(VSCODE_|ELECTRON_RUN_AS_NODE$|NODE_OPTIONS$|NODE_TEST_CONTEXT$)/.test(k)) delete childEnv[k];
  }
  Object.assign(childEnv, {
    XDG_CONFIG_HOME: dirs.config,
    XDG_DATA_HOME: dirs.data,
    XDG_CACHE_HOME: dirs.cache,
    TMPDIR: dirs.tmp,
    // No extension gallery (open-vsx.org is unreachable; it only logs errors and waits).
    EXTENSIONS_GALLERY: JSON.stringify({ serviceUrl: '' }),
    ...env,
  });
  if (vsixes.length) {
    try {
      await installExtensions(vsixes, { userDataDir: dirs.userData, extensionsDir: dirs.extensions, env: childEnv });
    } catch (err) {
      if (!keepData) await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
      throw err;
    }
  }
  if (!keepData) childEnv.LOCAL_RAG_REAPER_RMDIR = dataDir;

  let output = '';
  // A tiny reaper leads the process group: it runs code-server and, if this test process
  // dies without cleaning up (SIGKILL, CI timeout), notices the re-parenting and kills the
  // whole group, so no code-server / extension host survives.
  const child = spawn(process.execPath, ['-e', REAPER, CODE_SERVER_BIN, ...argv], {
    env: childEnv,
    cwd: workspace ? path.resolve(workspace) : dataDir,
    detached: true, // own process group -> stop() kills everything with one kill(-pid)
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const pid = /** @type {number} */ (child.pid);
  const onData = (/** @type {Buffer} */ b) => {
    const s = b.toString();
    output += s;
    if (output.length > 2_000_000) output = output.slice(-1_000_000);
    if (verbose) process.stderr.write(`[code-server] ${s}`);
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  let exited = false;
  /** @type {Promise<void>} */
  const exitPromise = new Promise((resolve) => child.on('exit', () => { exited = true; resolve(); }));

  const emergency = () => { killTree(pid, 'SIGKILL'); if (!keepData) fs.rmSync(dataDir, { recursive: true, force: true }); };
  emergencyCleanups.add(emergency);

  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    emergencyCleanups.delete(emergency);
    // Remember the whole tree now: once the parent dies, children get re-parented.
    const tree = [pid, ...descendants(pid)];
    killTree(pid, 'SIGTERM');
    const deadline = Date.now() + 5000;
    while (Date.now() < deadline && tree.some(isAlive)) await sleep(100);
    if (tree.some(isAlive)) {
      killTree(pid, 'SIGKILL');
      for (const p of tree) { try { process.kill(p, 'SIGKILL'); } catch { /* gone */ } }
    }
    await Promise.race([exitPromise, sleep(2000)]);
    if (!keepData) await fsp.rm(dataDir, { recursive: true, force: true }).catch(() => {});
  };

  // Listening on every address: the URL names this machine's loopback (or what the caller says to advertise).
  const advertised = opts.advertisedHost ?? (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);
  const url = `http://${advertised.includes(':') ? `[${advertised}]` : advertised}:${port}`;
  const deadline = Date.now() + startTimeoutMs;
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`code-server exited during startup:\n${output}`);
    }
    const status = await httpStatus(`${url}/healthz`);
    if (status >= 200 && status < 500) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within ${startTimeoutMs} ms:\n${output}`);
    }
    await sleep(200);
  }
  return { url, port, dataDir, userDataDir: dirs.userData, output: () => output, stop };
}

/**
 * Installs .vsix files with code-server's CLI (as a person would: `code-server
 * --install-extension x.vsix`). A language pack installed that way is not yet offered as a
 * display language: the server only records language packs in <user-data>/languagepacks.json
 * when an install goes through the running server (its language-pack service's post-install
 * hook), which the CLI process does not have. So this writes that record the same way
 * (vs/platform/languagePacks/node/languagePacks.ts, LanguagePacksCache), from the installed
 * extensions' `contributes.localizations`; `--locale <id>` (or argv.json's "locale") then
 * resolves to the pack.
 * @param {string[]} vsixes
 * @param {{ userDataDir: string, extensionsDir: string, env: NodeJS.ProcessEnv }} o
 */
async function installExtensions(vsixes, { userDataDir, extensionsDir, env }) {
  const { execFile } = await import('node:child_process');
  const run = util.promisify(execFile);
  for (const vsix of vsixes) {
    const { stdout, stderr } = await run(CODE_SERVER_BIN, ['--extensions-dir', extensionsDir,
      '--user-data-dir', userDataDir, '--install-extension', path.resolve(vsix)], { env, timeout: 120_000 });
    if (!/successfully installed/i.test(stdout + stderr)) throw new Error(`could not install ${vsix}:\n${stdout}${stderr}`);
  }
  /** @type {Record<string, { hash: string, extensions: { extensionIdentifier: { id: string }, version: string }[], translations: Record<string, string>, label?: string }>} */
  const packs = {};
  for (const folder of await fsp.readdir(extensionsDir)) {
    const location = path.join(extensionsDir, folder);
    let manifest;
    try { manifest = JSON.parse(await fsp.readFile(path.join(location, 'package.json'), 'utf8')); } catch { continue; }
    const id = `${manifest.publisher}.${manifest.name}`.toLowerCase();
    for (const l of manifest.contributes?.localizations ?? []) {
      const pack = (packs[l.languageId] ??= { hash: '', extensions: [], translations: {}, label: l.localizedLanguageName ?? l.languageName });
      pack.extensions.push({ extensionIdentifier: { id }, version: manifest.version });
      for (const t of l.translations ?? []) pack.translations[t.id] = path.join(location, t.path);
    }
  }
  const { createHash } = await import('node:crypto');
  for (const pack of Object.values(packs)) {
    const md5 = createHash('md5');
    for (const e of pack.extensions) md5.update(e.extensionIdentifier.id).update(e.version);
    pack.hash = md5.digest('hex');
  }
  if (Object.keys(packs).length) await fsp.writeFile(path.join(userDataDir, 'languagepacks.json'), JSON.stringify(packs));
}

// ------------------------------------------------------------------ browser

/**
 * Chromium (Debian's) through playwright-core, with a fresh user-data-dir.
 * Returns a Browser whose close() also removes that profile folder.
 * (launch() rather than launchPersistentContext(): playwright-core's launch() always
 * uses a fresh temporary profile, which it deletes on close.)
 * @param {{ headless?: boolean, args?: string[] }} [opts]
 * @returns {Promise<import('playwright-core').Browser>}
 */
export async function launchBrowser(opts = {}) {
  const { chromium } = await import('playwright-core');
  installExitHooks();
  // Chromium's crashpad handler writes to $XDG_CONFIG_HOME/chromium even with a temporary
  // profile: point HOME-ish dirs at a per-launch folder, removed when the browser goes.
  const home = await fsp.mkdtemp(path.join(os.tmpdir(), 'local-rag-chromium-'));
  const rmHome = () => fs.rmSync(home, { recursive: true, force: true });
  emergencyCleanups.add(rmHome);
  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    env: { ...process.env, XDG_CONFIG_HOME: path.join(home, 'config'), XDG_CACHE_HOME: path.join(home, 'cache') },
    headless: opts.headless ?? process.env.LOCAL_RAG_TEST_HEADED !== '1',
    args: [...CHROMIUM_ARGS, ...(opts.args || [])],
    // Our own signal handlers (installExitHooks) stop code-server and exit; playwright's
    // 'exit' hook then kills the browser. (Its SIGTERM handler would close the browser but
    // leave the process running.)
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
  }).catch((err) => { rmHome(); emergencyCleanups.delete(rmHome); throw err; });
  browser.on('disconnected', () => { emergencyCleanups.delete(rmHome); setTimeout(rmHome, 500); });
  return browser;
}

/**
 * A workbench console message as one line of text. playwright's msg.text() only joins the
 * arguments, but the workbench logs as console.log('%c INFO', 'color: #33f', message, ...args),
 * and extension-host output (mocha's reporter) arrives that way with its own format string
 * ('%s%s', '  ✔ %s (%dms)', ...). So: take the argument values, drop the '%c LEVEL' + CSS
 * pair (keep the level unless INFO), and util.format() the rest like Node would.
 * @param {import('playwright-core').ConsoleMessage} msg
 * @returns {Promise<string>}
 */
async function consoleLine(msg) {
  /** @type {unknown[]} */
  let parts;
  try {
    const handles = msg.args();
    if (!handles.length) return msg.text();
    parts = await Promise.all(handles.map((h) => h.jsonValue().catch(() => undefined)));
  } catch {
    return msg.text();
  }
  let prefix = '';
  if (typeof parts[0] === 'string' && parts[0].startsWith('%c') && typeof parts[1] === 'string') {
    const level = parts[0].replace(/%c/g, '').trim();
    if (level && level !== 'INFO') prefix = `[${level}] `;
    parts = parts.slice(2);
  }
  return prefix + util.format(...parts);
}

/**
 * Pipes a page's console into `emit`, one line per message, in order.
 * @param {import('playwright-core').Page} page
 * @param {(line: string) => void} emit
 * @returns {() => Promise<void>} flush: resolves once every message received so far is emitted
 */
function pipeConsole(page, emit) {
  let chain = Promise.resolve();
  page.on('console', (msg) => {
    chain = chain.then(() => consoleLine(msg)).then(emit, () => emit(msg.text()));
  });
  page.on('pageerror', (err) => { chain = chain.then(() => emit(`[pageerror] ${err.message}`)); });
  return () => Promise.race([chain, sleep(3000)]);
}

// ------------------------------------------------------------------ integration tests

/**
 * Run an extension test suite (extensionTestsPath: a CommonJS file exporting
 * `run(): Promise<void>`, see test/vscode/mochaSuite.cjs) inside code-server's real
 * extension host.
 * @param {object} opts
 * @param {string} opts.extensionDevelopmentPath
 * @param {string} opts.extensionTestsPath  file (index.js) or folder containing index.js
 * @param {string} [opts.workspace]  folder to open (default: an empty temp folder)
 * @param {Record<string, unknown>} [opts.userSettings]
 * @param {Record<string, string | undefined>} [opts.env]  reaches the extension host's process.env
 * @param {number} [opts.timeoutMs]  whole run, default 300000
 * @param {boolean} [opts.echo]  pipe the workbench console to stdout (default true)
 * @param {string} [opts.dataDir]  code-server's folders (user data, logs) here, kept after; default a throw-away one
 * @param {(line: string) => void} [opts.onLine]
 * @returns {Promise<{ exitCode: number, log: string, timedOut: boolean, durationMs: number }>}
 *   exitCode: the suite's code (0 = all passed), 124 on timeout, 1 if the workbench failed
 */
export async function runExtensionTests(opts) {
  const t0 = Date.now();
  const { extensionDevelopmentPath, extensionTestsPath, userSettings, env, dataDir,
    timeoutMs = 300_000, echo = true, onLine } = opts;
  let workspace = opts.workspace;
  /** @type {string | undefined} */
  let tmpWorkspace;
  if (!workspace) {
    tmpWorkspace = await fsp.mkdtemp(path.join(os.tmpdir(), 'local-rag-ws-'));
    workspace = tmpWorkspace;
  }
  /** @type {string[]} */
  const lines = [];
  const emit = (/** @type {string} */ line) => {
    lines.push(line);
    if (echo) process.stdout.write(line.endsWith('\n') ? line : line + '\n');
    onLine?.(line);
  };

  /** @type {CodeServer | undefined} */
  let server;
  /** @type {import('playwright-core').Browser | undefined} */
  let browser;
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  let timer;
  let timedOut = false;
  let exitCode = 1;
  const cancelled = () => { if (timedOut) throw new Error('cancelled'); };
  try {
    const work = (async () => {
      // Start both at once (saves ~2 s); if one fails, don't leak the other.
      const [rs, rb] = await Promise.allSettled([
        startCodeServer({ workspace, extensionDevelopmentPath, userSettings, env, dataDir }),
        launchBrowser(),
      ]);
      if (rs.status === 'fulfilled') server = rs.value;
      if (rb.status === 'fulfilled') browser = rb.value;
      if (rs.status === 'rejected') throw rs.reason;
      if (rb.status === 'rejected') throw rb.reason;
      const b = rb.value;
      if (timedOut) {
        await b.close().catch(() => {});
        await rs.value.stop();
        cancelled();
      }
      const page = await b.newPage();
      /** @type {(code: number) => void} */
      let onExit = () => {};
      const exited = new Promise((resolve) => { onExit = resolve; });
      // Called by the workbench when the extension host under test exits
      // (ExtensionService._onExtensionHostExit -> window.codeAutomationExit(code, logs)).
      await page.exposeFunction('codeAutomationExit', (/** @type {number} */ code) => { onExit(Number(code)); });
      const flush = pipeConsole(page, emit);
      page.on('crash', () => { emit('[page crashed]'); onExit(1); });
      const testsPath = fs.statSync(extensionTestsPath).isDirectory()
        ? path.join(extensionTestsPath, 'index.js') : extensionTestsPath;
      const url = workbenchUrl(rs.value, { workspace, extensionDevelopmentPath, extensionTestsPath: testsPath });
      await page.goto(url, { waitUntil: 'domcontentloaded' });
      const code = /** @type {number} */ (await exited);
      await flush(); // the last reporter lines may still be in flight
      return code;
    })();
    const timeout = new Promise((resolve) => {
      timer = setTimeout(() => { timedOut = true; resolve(124); }, timeoutMs);
    });
    exitCode = /** @type {number} */ (await Promise.race([work, timeout]));
    if (timedOut) emit(`[runExtensionTests] timed out after ${timeoutMs} ms`);
    work.catch(() => {}); // after a timeout, its rejection (from the teardown below) is expected
  } catch (err) {
    emit(`[runExtensionTests] ${err instanceof Error ? err.stack || err.message : String(err)}`);
    exitCode = 1;
  } finally {
    clearTimeout(timer);
    await browser?.close().catch(() => {});
    await server?.stop();
    if (tmpWorkspace) await fsp.rm(tmpWorkspace, { recursive: true, force: true }).catch(() => {});
  }
  return { exitCode, log: lines.join('\n'), timedOut, durationMs: Date.now() - t0 };
}

// ------------------------------------------------------------------ UI tests

/**
 * @typedef {object} Workbench
 * @property {import('playwright-core').Page} page
 * @property {import('playwright-core').Browser} browser
 * @property {CodeServer} server
 * @property {() => string} consoleLog  the workbench console so far
 * @property {() => Promise<void>} close  closes the browser and stops code-server
 */

/**
 * code-server + Chromium with the workbench loaded and the extension under development
 * loaded through the payload URL (no .vsix install).
 * @param {object} opts
 * @param {string} [opts.workspace]  default: an empty temp folder
 * @param {string | string[]} [opts.extensionDevelopmentPath]
 * @param {Record<string, unknown>} [opts.userSettings]
 * @param {Record<string, string | undefined>} [opts.env]
 * @param {string[]} [opts.args]  extra code-server arguments (see startCodeServer)
 * @param {string[]} [opts.installExtensions]  .vsix files to install first (see startCodeServer)
 * @param {{ width: number, height: number }} [opts.viewport]  default 1400x900
 * @param {number} [opts.timeoutMs]  workbench load timeout, default 60000
 * @param {boolean} [opts.workspaceTrust]  see startCodeServer
 * @param {boolean} [opts.echoConsole]  copy the workbench console to stdout (default false,
 *        or LOCAL_RAG_TEST_VERBOSE=1)
 * @returns {Promise<Workbench>}
 */
export async function openWorkbench(opts = {}) {
  const { extensionDevelopmentPath, userSettings, env, args, installExtensions, viewport = { width: 1400, height: 900 },
    timeoutMs = 60_000, workspaceTrust } = opts;
  const echoConsole = opts.echoConsole ?? process.env.LOCAL_RAG_TEST_VERBOSE === '1';
  let workspace = opts.workspace;
  /** @type {string | undefined} */
  let tmpWorkspace;
  if (!workspace) {
    tmpWorkspace = await fsp.mkdtemp(path.join(os.tmpdir(), 'local-rag-ws-'));
    workspace = tmpWorkspace;
  }
  const [rs, rb] = await Promise.allSettled([
    startCodeServer({ workspace, extensionDevelopmentPath, userSettings, env, args, installExtensions, workspaceTrust }),
    launchBrowser(),
  ]);
  const rmWorkspace = async () => {
    if (tmpWorkspace) await fsp.rm(tmpWorkspace, { recursive: true, force: true }).catch(() => {});
  };
  if (rs.status === 'rejected' || rb.status === 'rejected') {
    if (rb.status === 'fulfilled') await rb.value.close().catch(() => {});
    if (rs.status === 'fulfilled') await rs.value.stop();
    await rmWorkspace();
    throw rs.status === 'rejected' ? rs.reason : /** @type {PromiseRejectedResult} */ (rb).reason;
  }
  const server = rs.value;
  const browser = rb.value;
  /** @type {string[]} */
  const lines = [];
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await browser.close().catch(() => {});
    await server.stop();
    await rmWorkspace();
  };
  try {
    const context = await browser.newContext({ viewport });
    const page = await context.newPage();
    pipeConsole(page, (t) => {
      lines.push(t);
      if (echoConsole) process.stdout.write(`[workbench] ${t}\n`);
    });
    await page.goto(workbenchUrl(server, { workspace, extensionDevelopmentPath }), { waitUntil: 'domcontentloaded' });
    await page.locator('.monaco-workbench').waitFor({ state: 'visible', timeout: timeoutMs });
    // The activity bar appears once the workbench has restored its parts.
    await page.locator('.activitybar').first().waitFor({ state: 'visible', timeout: timeoutMs });
    return { page, browser, server, consoleLog: () => lines.join('\n'), close };
  } catch (err) {
    await close();
    throw err;
  }
}

/**
 * The content of an extension's webview (view or panel), two iframes deep:
 * `iframe.webview[src*="extensionId=PUBLISHER.NAME"]` -> `iframe#active-frame`.
 * Waits until the outer iframe is visible. Returns a FrameLocator (auto-waiting, survives
 * the webview reloading); use `{ frame: true }` to get the Playwright Frame instead.
 * @overload
 * @param {import('playwright-core').Page} page
 * @param {string} extensionId  e.g. 'local-rag.local-rag'
 * @param {{ timeoutMs?: number, index?: number, frame?: false }} [opts]
 * @returns {Promise<import('playwright-core').FrameLocator>}
 */
/**
 * @overload
 * @param {import('playwright-core').Page} page
 * @param {string} extensionId
 * @param {{ timeoutMs?: number, index?: number, frame: true }} opts
 * @returns {Promise<import('playwright-core').Frame>}
 */
/**
 * @param {import('playwright-core').Page} page
 * @param {string} extensionId
 * @param {{ timeoutMs?: number, index?: number, frame?: boolean }} [opts]
 */
export async function webviewFrame(page, extensionId, opts = {}) {
  const { timeoutMs = 30_000, index = 0 } = opts;
  // Hidden webviews keep their iframes (visibility: hidden); pick a visible one.
  const outer = page.locator(`iframe.webview[src*="extensionId=${extensionId}"]`)
    .filter({ visible: true }).nth(index);
  await outer.waitFor({ state: 'visible', timeout: timeoutMs });
  const inner = outer.contentFrame().locator('iframe#active-frame');
  await inner.waitFor({ state: 'attached', timeout: timeoutMs });
  if (!opts.frame) return inner.contentFrame();
  const handle = await inner.elementHandle({ timeout: timeoutMs });
  const frame = await handle?.contentFrame();
  if (!frame) throw new Error(`no content frame in the webview of ${extensionId}`);
  return frame;
}

/**
 * The activity-bar entry of a view container, by its title (aria-label starts with it).
 * @param {import('playwright-core').Page} page
 * @param {string} title  the viewsContainers.activitybar[].title, e.g. 'Local RAG'
 */
export function activityBarItem(page, title) {
  return page.locator(`.activitybar a.action-label[aria-label^="${title.replace(/"/g, '\\"')}"]`);
}

/**
 * Run a command through the command palette (F1, type its title, Enter).
 * @param {import('playwright-core').Page} page
 * @param {string} title  as shown in the palette, e.g. 'Local RAG: Ask'
 * @param {{ timeoutMs?: number }} [opts]
 */
export async function runCommand(page, title, opts = {}) {
  const timeout = opts.timeoutMs ?? 15_000;
  await page.locator('.monaco-workbench').click({ position: { x: 5, y: 5 }, timeout }).catch(() => {});
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible', timeout });
  await input.fill(`>${title}`);
  const row = page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first();
  await row.waitFor({ state: 'visible', timeout });
  await input.press('Enter');
}
