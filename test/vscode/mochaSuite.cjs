// @ts-check
'use strict';
/**
 * Runs mocha inside the VS Code extension host. Use it from an extensionTestsPath file
 * (the shape @vscode/test-electron suites use):
 *
 *   // suite/index.js
 *   const { run } = require('<repo>/test/vscode/mochaSuite.cjs');
 *   module.exports.run = () => run({ ui: 'tdd', files: ['**\/*.test.js'], cwd: __dirname });
 *
 * or shorter:  module.exports = require('<repo>/test/vscode/mochaSuite.cjs').suite({ ... });
 *
 * The returned promise resolves when every test passed and rejects otherwise, which makes
 * VS Code end the extension host with exit code 0 / 1 (reported to the harness through
 * window.codeAutomationExit, see codeServer.mjs runExtensionTests()).
 *
 * Output goes through console.log (the "spec" reporter), which the extension host forwards to
 * the workbench's console; process.stdout of the extension host is NOT visible there.
 * Environment overrides (set them through runExtensionTests({ env })):
 *   MOCHA_GREP   only run tests whose title matches
 *   MOCHA_TIMEOUT  per-test timeout in ms
 */
const path = require('node:path');
const fs = require('node:fs');

/**
 * @typedef {object} MochaSuiteOptions
 * @property {'tdd' | 'bdd'} [ui]  default 'tdd' (suite/test); 'bdd' for describe/it
 * @property {string[] | string} [files]  files or glob patterns (mocha's glob), relative to cwd
 * @property {string} [cwd]  base folder for relative files (default: the caller's folder is
 *           not knowable here, so pass __dirname; falls back to process.cwd())
 * @property {number} [timeout]  per-test timeout, default 20000
 * @property {string | RegExp} [grep]
 * @property {boolean} [color]  ANSI colours in the output (default false: the text passes
 *           through the browser console)
 * @property {string} [reporter]  default 'spec'
 * @property {number} [retries]
 * @property {boolean} [bail]
 * @property {() => (void | Promise<void>)} [before]  runs once before mocha (e.g. activate the extension)
 */

/**
 * Resolve files/globs to absolute paths (sorted, de-duplicated).
 * @param {string[]} patterns
 * @param {string} cwd
 */
function resolveFiles(patterns, cwd) {
  // mocha has no "exports" map, so its CLI helper can be required; it uses glob@10.
  /** @type {(pattern: string, extensions: string[], recursive: boolean) => string[]} */
  // @ts-ignore -- no type declarations for mocha's internal module
  const lookupFiles = require('mocha/lib/cli/lookup-files');
  /** @type {string[]} */
  const out = [];
  for (const p of patterns) {
    const abs = path.isAbsolute(p) ? p : path.join(cwd, p);
    if (fs.existsSync(abs) && fs.statSync(abs).isFile()) {
      out.push(abs);
      continue;
    }
    // lookupFiles(pattern, extensions, recursive): globs as-is, folders by extension.
    const found = lookupFiles(abs, ['js', 'cjs'], true);
    if (!found.length) throw new Error(`mochaSuite: no test files match ${p} (in ${cwd})`);
    out.push(...found);
  }
  return [...new Set(out.map((f) => path.resolve(f)))].sort();
}

/**
 * Run mocha once; resolves when all tests pass, rejects with the failure count otherwise.
 * @param {MochaSuiteOptions} [opts]
 * @returns {Promise<{ failures: number, passes: number, total: number }>}
 */
async function run(opts = {}) {
  const Mocha = require('mocha');
  const cwd = opts.cwd || process.cwd();
  const patterns = opts.files == null ? ['**/*.test.js'] : [opts.files].flat();
  const files = resolveFiles(patterns, cwd);
  const grep = process.env.MOCHA_GREP || opts.grep;
  const timeout = process.env.MOCHA_TIMEOUT ? Number(process.env.MOCHA_TIMEOUT) : opts.timeout ?? 20_000;

  const mocha = new Mocha({
    ui: opts.ui || 'tdd',
    reporter: opts.reporter || 'spec',
    color: opts.color ?? false,
    timeout,
    retries: opts.retries,
    bail: opts.bail,
  });
  if (grep) mocha.grep(grep);
  // Re-running in the same extension host must reload the test files.
  for (const f of files) {
    delete require.cache[f];
    mocha.addFile(f);
  }
  if (opts.before) await opts.before();

  return new Promise((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        const stats = runner.stats || { passes: 0, tests: 0 };
        const result = { failures, passes: stats.passes, total: stats.tests };
        if (failures > 0) {
          const err = new Error(`${failures} test${failures === 1 ? '' : 's'} failed.`);
          Object.assign(err, result);
          reject(err);
        } else if (result.total === 0 && !grep) {
          reject(new Error(`mochaSuite: no tests found in ${files.join(', ')}`));
        } else {
          resolve(result);
        }
      });
    } catch (err) {
      // Syntax errors etc. while loading the test files.
      console.error(err);
      reject(err);
    }
  });
}

/**
 * Builds the object an extensionTestsPath module exports: `module.exports = suite({...})`.
 * @param {MochaSuiteOptions} opts
 * @returns {{ run: () => Promise<void> }}
 */
function suite(opts) {
  return { run: async () => { await run(opts); } };
}

module.exports = { run, suite, resolveFiles };
