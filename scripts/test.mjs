// `npm test`: every suite, in order — lint, unit, pipeline process, real VS Code (integration),
// the packaged .vsix installed in a real VS Code, real VS Code in a browser (e2e). Prints one closing line: "N passed, N failed".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const suites = [
  // Lint (eslint.config.mjs) holds the layering: a forbidden import between layers fails it.
  { name: 'lint', cmd: 'node', args: ['node_modules/eslint/bin/eslint.js', '.'], kind: 'exit' },
  { name: 'unit', cmd: 'node', args: ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...testFiles('test/unit')], kind: 'node' },
  { name: 'pipeline', cmd: 'node', args: ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...testFiles('test/pipeline')], kind: 'node' },
  { name: 'integration', cmd: 'node', args: ['test/integration/run.mjs'], kind: 'mocha' },
  // After integration: it reuses the suite built there, against the installed .vsix.
  { name: 'package', cmd: 'node', args: ['test/package/run.mjs'], kind: 'mocha' },
  { name: 'e2e', cmd: 'node', args: ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=tap', ...testFiles('test/e2e')], kind: 'node' },
  // Every platform's .vsix built and checked (~10 min of registry downloads): only when named,
  // `npm test -- package-all`.
  { name: 'package-all', cmd: 'node', args: ['--test', '--test-reporter=tap', 'test/package/platformPackages.test.mjs'], kind: 'node', onlyWhenNamed: true },
];

const only = process.argv.slice(2);

/** Node 20's runner does not pick up .ts files from a folder by itself. */
function testFiles(dir) {
  return fs
    .readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts'))
    .sort()
    .map((name) => path.join(dir, name));
}
let passed = 0;
let failed = 0;
const failedSuites = [];

for (const suite of suites) {
  if ((only.length || suite.onlyWhenNamed) && !only.includes(suite.name)) continue;
  console.log(`\n=== ${suite.name} ===`);
  const { code, output } = await run(suite.cmd, suite.args);
  const counts = suite.kind === 'node' ? nodeCounts(output) : suite.kind === 'exit' ? exitCounts(code) : mochaCounts(output);
  passed += counts.passed;
  failed += counts.failed;
  if (code !== 0 || counts.failed > 0 || counts.passed === 0) {
    failedSuites.push(suite.name);
    if (counts.failed === 0) failed += 1; // a suite that crashed or ran nothing is a failure too
  }
}

console.log(`\nSuites failed: ${failedSuites.length ? failedSuites.join(', ') : 'none'}`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 ? 1 : 0);

function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const tee = (stream, target) =>
      stream.on('data', (chunk) => {
        output += chunk;
        target.write(chunk);
      });
    tee(child.stdout, process.stdout);
    tee(child.stderr, process.stderr);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

function lastNumber(output, pattern) {
  const matches = [...output.matchAll(pattern)];
  return matches.length ? Number(matches.at(-1)[1]) : 0;
}

function nodeCounts(output) {
  return { passed: lastNumber(output, /^# pass (\d+)$/gm), failed: lastNumber(output, /^# fail (\d+)$/gm) };
}

/** A suite without a test count (lint): clean is one pass; a failure is counted below. */
function exitCounts(code) {
  return { passed: code === 0 ? 1 : 0, failed: 0 };
}

function mochaCounts(output) {
  return { passed: lastNumber(output, /(\d+) passing/g), failed: lastNumber(output, /(\d+) failing/g) };
}
