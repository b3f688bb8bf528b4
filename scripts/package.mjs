// `npm run package` (this machine's target) and `npm run package:all` (every platform):
// each package is staged in its own temporary folder — the extension's files as
// .vscodeignore lets them through, plus a node_modules that npm installs for that platform
// (`--os`/`--cpu`) holding only the packages the bundles load at run time — then pruned to
// what the pipeline can load there, and packed by vsce. The working node_modules is never
// touched. Usage: node scripts/package.mjs [--all | --target <name>...] [--out <file>] [--keep-stage]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { allPackages, hostTarget, vsixName } from './packageTargets.mjs';
import { pruneStagedModules } from './packagePrune.mjs';
import { readVsixEntries } from './vsixEntries.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const VSCE = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
/** What the bundles leave external (esbuild.config.mjs): all else is inside dist/. */
const RUNTIME_PACKAGES = ['node-llama-cpp', 'onnxruntime-node', 'pdfjs-dist'];

function parseArgs(argv) {
  const options = { names: [], out: undefined, keepStage: false };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--all') options.names.push(...Object.keys(allPackages()));
    else if (argv[i] === '--target') options.names.push(argv[++i]);
    else if (argv[i] === '--out') options.out = path.resolve(argv[++i]);
    else if (argv[i] === '--keep-stage') options.keepStage = true;
    else throw new Error(`unknown argument ${argv[i]}`);
  }
  if (!options.names.length) options.names.push(hostTarget());
  if (options.out && options.names.length > 1) throw new Error('--out names one package: give one --target');
  return options;
}

function run(cmd, args, cwd) {
  // Windows runs npm.cmd only through a shell (Node refuses to spawn .cmd files directly).
  const shell = process.platform === 'win32' && cmd.endsWith('.cmd');
  const result = spawnSync(cmd, args, { cwd, encoding: 'utf8', shell, maxBuffer: 64 * 1024 * 1024 });
  if (result.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${result.status}) in ${cwd}\n${result.stdout}\n${result.stderr}`);
  return result.stdout;
}

/** The installed version of a package in the working tree (so the staged one is the same). */
function installedVersion(name) {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')).version;
}

/** The manifest that ships: the runtime packages only, no build scripts (vsce would run them). */
function stagedManifest(spec) {
  const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  manifest.dependencies = Object.fromEntries(RUNTIME_PACKAGES.map((name) => [name, installedVersion(name)]));
  if (spec.onnxruntimeNode) manifest.dependencies['onnxruntime-node'] = spec.onnxruntimeNode;
  delete manifest.devDependencies;
  delete manifest.scripts;
  delete manifest.allowScripts;
  return manifest;
}

function stage(name, spec, ownFiles) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `local-rag-stage-${name}-`));
  for (const file of ownFiles) {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, file), path.join(dir, file));
  }
  fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(stagedManifest(spec), null, 2)}\n`);
  // The lock file pins every transitive version to the one the tests ran with.
  fs.copyFileSync(path.join(ROOT, 'package-lock.json'), path.join(dir, 'package-lock.json'));
  fs.writeFileSync(path.join(dir, '.vscodeignore'), 'package-lock.json\nnode_modules/.package-lock.json\nnode_modules/.bin/**\n');
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  // Install scripts stay off: onnxruntime-node's would download CUDA libraries, and no
  // package here needs building (every native file comes prebuilt).
  run(npm, ['install', '--os', spec.os, '--cpu', spec.cpu, '--omit=dev', '--ignore-scripts', '--no-save', '--no-audit', '--no-fund'], dir);
  pruneStagedModules(path.join(dir, 'node_modules'), spec);
  return dir;
}

function main() {
  const options = parseArgs(process.argv.slice(2));
  const specs = allPackages();
  for (const name of options.names) if (!specs[name]) throw new Error(`unknown target ${name}: one of ${Object.keys(specs).join(', ')}`);
  const { version } = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

  run(process.execPath, ['esbuild.config.mjs', '--production'], ROOT);
  const ownFiles = run(process.execPath, [VSCE, 'ls', '--no-dependencies'], ROOT)
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

  for (const name of options.names) {
    const spec = specs[name];
    const out = options.out ?? path.join(ROOT, 'vsix', vsixName(name, version));
    fs.mkdirSync(path.dirname(out), { recursive: true });
    const started = Date.now();
    const dir = stage(name, spec, ownFiles);
    try {
      run(process.execPath, [VSCE, 'package', '--target', spec.target, '--no-rewrite-relative-links', '--allow-missing-repository', '--out', out], dir);
    } finally {
      if (options.keepStage) console.log(`staged in ${dir}`);
      else fs.rmSync(dir, { recursive: true, force: true });
    }
    const { entries, bytes } = readVsixEntries(out);
    console.log(`${path.relative(ROOT, out)}: ${(bytes / 1e6).toFixed(1)} MB, ${entries.length} files (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  }
}

main();
