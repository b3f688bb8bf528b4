// @ts-check
/**
 * Bundles a mocha suite that runs inside the real extension host (an `index.ts` that calls
 * mochaSuite.cjs, plus its test files) into plain CommonJS the extension host can load.
 */
import * as esbuild from 'esbuild';
import path from 'node:path';

/**
 * @param {{ sourceDir: string, pattern: string, outDir: string }} options
 *   pattern: the suite's files besides index.ts, e.g. '*.test.ts'
 * @returns {Promise<string>} the built index.js, to pass as extensionTestsPath
 */
export async function buildExtensionSuite({ sourceDir, pattern, outDir }) {
  await esbuild.build({
    entryPoints: [path.join(sourceDir, 'index.ts'), path.join(sourceDir, pattern)],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    sourcemap: 'inline',
    // The mocha helper is required at run time from the repository, two folders up from out/<suite>/.
    external: ['vscode', 'mocha', '../../test/vscode/mochaSuite.cjs'],
    logLevel: 'warning',
  });
  return path.join(outDir, 'index.js');
}
