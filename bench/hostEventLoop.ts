/**
 * Runs bench/vscode/ inside a real VS Code (code-server, installed by
 * scripts/install-test-tools.sh) and turns its `BENCH` line into figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createVsCodeFixture, REPO_ROOT } from '../test/support/vscodeFixtures';
import { describeRuns, type EventLoopRuns } from './eventLoop';
import type { Stall } from './stalls';
import { median, type Figure } from './stats';

/** Editors started for the indexing figure (one indexing run each). */
const INDEX_RUNS = Number(process.env.BENCH_INDEX_RUNS ?? 5);

type Harness = typeof import('../test/vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

export async function benchHostEventLoop(): Promise<Figure[]> {
  const harness: Harness = await import('../test/vscode/codeServer.mjs');
  if (!fs.existsSync(harness.CODE_SERVER_BIN)) {
    console.log('code-server is not installed (bash scripts/install-test-tools.sh): skipping the in-VS-Code benchmark.');
    return [];
  }
  const outDir = path.join(REPO_ROOT, 'out', 'bench');
  const { buildExtensionSuite } = await import('../test/vscode/buildSuite.mjs');
  const extensionTestsPath = await buildExtensionSuite({ sourceDir: path.join(__dirname, 'vscode'), pattern: '*.bench.ts', outDir });
  const streaming = await runInVsCode(harness, extensionTestsPath, {});
  const line = streaming.split('\n').find((l: string) => l.startsWith('BENCH '));
  if (!line) throw new Error(`the in-VS-Code benchmark printed no figures\n${streaming.slice(-3000)}`);
  const { runs, chunks } = JSON.parse(line.slice('BENCH '.length)) as { runs: EventLoopRuns; chunks: number };
  // Indexing measures once per editor (a second corpus would go to the watcher): the first
  // run above, then fresh editors for the others.
  const indexLogs = [streaming];
  for (let i = 1; i < INDEX_RUNS; i++) indexLogs.push(await runInVsCode(harness, extensionTestsPath, { MOCHA_GREP: 'while 2,000 files' }));
  return [
    {
      name: "Real extension host's largest event-loop delay while an answer streams into the chat view, median of runs",
      value: median(runs.busyMax),
      unit: 'ms',
      target: '≤ 20 ms',
      detail: `${describeRuns(runs)}; ${chunks} chunks`,
    },
    { name: "Real extension host's event-loop delay p99 while an answer streams, median of runs", value: median(runs.busyP99), unit: 'ms' },
    ...indexingFigures(indexLogs),
  ];
}

async function runInVsCode(harness: Harness, extensionTestsPath: string, env: Record<string, string>): Promise<string> {
  const fixture = createVsCodeFixture({ contextLength: 4096, maxAnswerTokens: 1500 });
  try {
    const { exitCode, log } = await harness.runExtensionTests({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath,
      userSettings: fixture.userSettings,
      env,
      echo: false,
      timeoutMs: 300_000,
    });
    if (exitCode !== 0) throw new Error(`the in-VS-Code benchmark failed (exit ${exitCode})\n${log.slice(-3000)}`);
    return log;
  } finally {
    fixture.dispose();
  }
}

interface IndexRun {
  runs: EventLoopRuns;
  largest?: Stall;
  maxCpuMs: number;
}

function indexingFigures(logs: string[]): Figure[] {
  const results = logs.flatMap((log) => {
    const line = log.split('\n').find((l: string) => l.startsWith('BENCH-INDEX '));
    return line ? [JSON.parse(line.slice('BENCH-INDEX '.length)) as IndexRun] : [];
  });
  if (!results.length) return [];
  const runs: EventLoopRuns = {
    busyMax: results.flatMap((r) => r.runs.busyMax),
    busyP99: results.flatMap((r) => r.runs.busyP99),
    idleMax: results.flatMap((r) => r.runs.idleMax),
  };
  const ms = (value: number) => value.toFixed(0);
  const split = results.map((r) => (r.largest ? `${ms(r.largest.cpuMs)} on a CPU + ${ms(r.largest.waitMs)} waiting for one` : '?')).join('; ');
  return [
    {
      name: `Real extension host's largest event-loop delay while Index Workspace reads 2,000 files, median of ${results.length} runs`,
      value: median(runs.busyMax),
      unit: 'ms',
      target: '≤ 20 ms',
      detail: `${describeRuns(runs)}; the largest delay of each run: ${split}`,
    },
    {
      name: "Real extension host's longest time on a CPU within one delay while indexing, median of runs",
      value: median(results.map((r) => r.maxCpuMs)),
      unit: 'ms',
      detail: `per run: ${results.map((r) => r.maxCpuMs.toFixed(1)).join(', ')}`,
    },
  ];
}
