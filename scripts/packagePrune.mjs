// What a staged node_modules loses before it is packed: everything the pipeline can never
// load on that platform. test/package/checkVsix.mjs checks the result, file by file.
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

/**
 * Whole packages nothing loads: pdf.js's canvas (rendering; we only read text), sharp
 * (transformers.js image models; the bundles alias it to a stub), and ipull's reflink
 * (node-llama-cpp's downloader copying local files; our downloads are our own).
 */
const UNUSED_PACKAGES = ['@napi-rs', '@img', 'sharp', '@reflink', '.bin'];

/** node-llama-cpp reads these from llama/ at run time; the rest builds llama.cpp from source. */
const LLAMA_RUNTIME_FILES = new Set(['binariesGithubRelease.json', 'llama.cpp.info.json', 'package.json']);

/** pdf.js: the legacy build only (pdfWorker.ts imports it), with its cmaps and fonts. */
const PDFJS_KEEP = ['package.json', 'LICENSE', 'legacy/build/pdf.mjs', 'legacy/build/pdf.worker.mjs', 'cmaps', 'standard_fonts'];

/**
 * Files no runtime reads: TypeScript sources and declarations, source maps, documentation,
 * C sources, headers and build files of the packages that compile, linters' and CI's settings.
 */
const UNUSED_FILE =
  /(\.[cm]?ts|\.map|\.md|\.markdown|^readme|^changelog|^history|\.[ch]|\.cc|\.cs|\.def|\.gypi?|^makefile|\.tsbuildinfo|^yarn\.lock|\.ya?ml|^\.[a-z]*rc(\.[a-z]+)?|^\.editorconfig|^\.npmignore|^\.gitkeep|\.gif|\.bnf|\.moved\.txt)$/i;
/** ...except a license, whatever it is called: it ships with the code it covers. */
const LICENSE_FILE = /^(licen[cs]e|copying|notice)/i;

/**
 * Dependencies only an install script uses: onnxruntime-node's fetches CUDA libraries
 * (adm-zip, global-agent); at run time it requires onnxruntime-common alone.
 */
const RUNTIME_DEPENDENCIES = { 'onnxruntime-node': ['onnxruntime-common'] };

export function pruneStagedModules(modules, spec) {
  for (const name of UNUSED_PACKAGES) fs.rmSync(path.join(modules, name), { recursive: true, force: true });
  pruneLlama(modules, spec);
  pruneOnnx(modules, spec);
  keepOnly(path.join(modules, 'pdfjs-dist'), PDFJS_KEEP);
  removeUnreachablePackages(modules);
  removeUnusedFiles(modules);
}

/** Every package folder under node_modules (nested ones too), as absolute paths. */
function packageFolders(modules) {
  const folders = [];
  for (const name of fs.existsSync(modules) ? fs.readdirSync(modules) : []) {
    if (name.startsWith('.')) continue;
    const names = name.startsWith('@') ? fs.readdirSync(path.join(modules, name)).map((inner) => `${name}/${inner}`) : [name];
    for (const pkg of names) {
      const folder = path.join(modules, pkg);
      folders.push(folder, ...packageFolders(path.join(folder, 'node_modules')));
    }
  }
  return folders;
}

/** Node's lookup: the nearest node_modules/<name> from the requiring package upwards. */
function resolvePackage(from, name, modules) {
  if (from === path.dirname(modules)) return fs.existsSync(path.join(modules, name, 'package.json')) ? path.join(modules, name) : undefined;
  for (let dir = from; dir.startsWith(modules); dir = path.dirname(dir)) {
    const candidate = path.join(dir, dir === modules ? '' : 'node_modules', name);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (dir === modules) break;
  }
  return undefined;
}

/** Removes the packages that the staged extension's dependencies never reach. */
function removeUnreachablePackages(modules) {
  const root = path.dirname(modules);
  const reached = new Set();
  const visit = (folder) => {
    if (reached.has(folder)) return;
    reached.add(folder);
    const manifest = JSON.parse(fs.readFileSync(path.join(folder, 'package.json'), 'utf8'));
    const runtimeOnly = RUNTIME_DEPENDENCIES[manifest.name];
    if (runtimeOnly) {
      // Its manifest must agree, or vsce's `npm list` reports the removed ones missing.
      manifest.dependencies = Object.fromEntries(Object.entries(manifest.dependencies).filter(([name]) => runtimeOnly.includes(name)));
      fs.writeFileSync(path.join(folder, 'package.json'), JSON.stringify(manifest, null, 2));
    }
    const names = runtimeOnly ?? Object.keys({ ...manifest.dependencies, ...manifest.optionalDependencies });
    for (const name of names) {
      const found = resolvePackage(folder, name, modules);
      if (found) visit(found);
    }
  };
  visit(root);
  for (const folder of packageFolders(modules)) {
    if (!reached.has(folder) && fs.existsSync(folder)) fs.rmSync(folder, { recursive: true, force: true });
  }
}

function pruneLlama(modules, spec) {
  const keep = new Set(spec.natives.map((native) => native.pkg));
  const scope = path.join(modules, '@node-llama-cpp');
  for (const name of fs.readdirSync(scope)) {
    if (!keep.has(`@node-llama-cpp/${name}`)) fs.rmSync(path.join(scope, name), { recursive: true, force: true });
  }
  const llamaDir = path.join(modules, 'node-llama-cpp', 'llama');
  for (const name of fs.readdirSync(llamaDir)) {
    if (!LLAMA_RUNTIME_FILES.has(name)) fs.rmSync(path.join(llamaDir, name), { recursive: true, force: true });
  }
  // Project templates for `node-llama-cpp init`: a CLI command, never the library.
  fs.rmSync(path.join(modules, 'node-llama-cpp', 'templates'), { recursive: true, force: true });
  removeModulesTheEntryNeverImports(path.join(modules, 'node-llama-cpp'));
}

/**
 * node-llama-cpp's own modules that `import('node-llama-cpp')` never reaches, as esbuild
 * traces them (every static and literal dynamic import): its CLI and type-only files.
 */
function removeModulesTheEntryNeverImports(root) {
  const dist = path.join(root, 'dist');
  const { metafile } = esbuild.buildSync({
    entryPoints: [path.join(dist, 'index.js')],
    absWorkingDir: root,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const reached = new Set(Object.keys(metafile.inputs).map((input) => path.resolve(root, input)));
  for (const file of fs.readdirSync(dist, { recursive: true })) {
    const full = path.join(dist, file);
    if (/\.[cm]?js$/.test(file) && !reached.has(full)) fs.rmSync(full);
  }
}

function pruneOnnx(modules, spec) {
  const onnx = spec.natives.find((native) => native.pkg === 'onnxruntime-node');
  const root = path.join(modules, 'onnxruntime-node');
  const bin = path.join(root, 'bin');
  const kept = path.join(root, onnx.dir);
  if (!fs.existsSync(kept)) throw new Error(`onnxruntime-node ${readVersion(root)} has no ${onnx.dir}`);
  for (const name of fs.readdirSync(kept)) {
    if (!onnx.files.includes(name)) fs.rmSync(path.join(kept, name), { force: true });
  }
  const moved = path.join(root, '.bin-kept');
  fs.renameSync(kept, moved);
  fs.rmSync(bin, { recursive: true, force: true });
  fs.mkdirSync(path.dirname(kept), { recursive: true });
  fs.renameSync(moved, kept);
  // The install script (it fetches optional CUDA libraries): off in staging, never run by users.
  fs.rmSync(path.join(root, 'script'), { recursive: true, force: true });
  // onnxruntime-node require()s the CommonJS build; the ES one is for browsers and bundlers
  // (the worker bundle carries its own copy).
  fs.rmSync(path.join(modules, 'onnxruntime-common', 'dist', 'esm'), { recursive: true, force: true });
}

function readVersion(dir) {
  return JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')).version;
}

/** Leaves only the listed paths (files or folders, relative to root). */
function keepOnly(root, keep) {
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const relative = path.relative(root, full).split(path.sep).join('/');
      if (keep.some((item) => item === relative || relative.startsWith(`${item}/`))) continue;
      if (entry.isDirectory() && keep.some((item) => item.startsWith(`${relative}/`))) walk(full);
      else fs.rmSync(full, { recursive: true, force: true });
    }
  };
  walk(root);
}

function removeUnusedFiles(dir) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) removeUnusedFiles(full);
    else if (UNUSED_FILE.test(entry.name) && !LICENSE_FILE.test(entry.name)) fs.rmSync(full, { force: true });
  }
}
