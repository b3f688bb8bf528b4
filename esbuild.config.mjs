// Three bundles, one per process: extension host, pipeline child, webview.
import * as fs from 'node:fs';
import * as esbuild from 'esbuild';

const watch = process.argv.includes('--watch');
const production = process.argv.includes('--production');

/** @type {esbuild.BuildOptions} */
const common = {
  bundle: true,
  sourcemap: production ? false : 'linked',
  minify: production,
  logLevel: 'info',
  target: 'node20',
};

/** The pipeline process and the CLI run the same code. */
const pipelineCode = {
  ...common,
  outdir: 'dist',
  platform: 'node',
  format: 'cjs',
  // Native model libraries stay external: they load their own binaries at run time.
  external: ['node-llama-cpp', 'onnxruntime-node'],
  alias: { sharp: './src/pipeline/embedding/sharpStub.cjs' },
};

const builds = [
  {
    ...common,
    // extension.js is the small entry point (src/activation.ts); it loads host.js, the host
    // itself, only where the workspace needs it at start-up, else on first use.
    entryPoints: { extension: 'src/activation.ts', host: 'src/extension.ts' },
    outdir: 'dist',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  { ...pipelineCode, entryPoints: { pipeline: 'src/pipeline/main.ts' } },
  { ...pipelineCode, entryPoints: { cli: 'src/cli/main.ts' }, banner: { js: '#!/usr/bin/env node' } },
  // The ONNX worker thread (onnxThread.ts starts it from beside dist/pipeline.js): the only
  // bundle holding transformers.js, so the pipeline starts without it.
  { ...pipelineCode, entryPoints: { onnxWorker: 'src/pipeline/embedding/worker/onnxWorker.ts' } },
  {
    ...common,
    // The pipeline's PDF worker thread (pdf.ts starts it from beside dist/pipeline.js).
    // ESM, because pdf.js ships only ES modules and Node 20 cannot require() them;
    // pdfjs-dist stays external: node_modules ships with it, cmaps and fonts included.
    entryPoints: { pdfWorker: 'src/pipeline/indexing/extract/pdfWorker.ts' },
    outdir: 'dist',
    outExtension: { '.js': '.mjs' },
    platform: 'node',
    format: 'esm',
    external: ['pdfjs-dist'],
  },
  {
    ...common,
    entryPoints: { webview: 'webview-ui/main.ts' },
    outdir: 'media/dist',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
  },
];

// The chat view's icons: VS Code's codicon font, served from the view's own media folder
// (localResourceRoots stops at media/, and the .vsix ships no dev dependencies).
fs.mkdirSync('media/dist/codicons', { recursive: true });
for (const file of ['codicon.css', 'codicon.ttf']) fs.copyFileSync(`node_modules/@vscode/codicons/dist/${file}`, `media/dist/codicons/${file}`);

if (watch) {
  await Promise.all(builds.map(async (options) => (await esbuild.context(options)).watch()));
} else {
  await Promise.all(builds.map((options) => esbuild.build(options)));
}
