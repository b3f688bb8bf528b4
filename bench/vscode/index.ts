/** extensionTestsPath for the benchmarks that must run inside the real extension host. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { run: runMocha } = require('../../test/vscode/mochaSuite.cjs') as {
  run(options: { ui: 'tdd' | 'bdd'; files: string[]; cwd: string; timeout: number }): Promise<void>;
};

export function run(): Promise<void> {
  return runMocha({ ui: 'bdd', files: ['*.bench.js'], cwd: __dirname, timeout: 300_000 });
}
