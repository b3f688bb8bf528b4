/**
 * Runs bench/vscode/ inside a real VS Code (code-server, installed by
 * scripts/install-test-tools.sh) and turns its `BENCH` line into figures.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createVsCodeFixture, REPO_ROOT } from '../test/support/vscodeFixtures';
import { describeRuns, type EventLoopRuns } from './eventLoop';
import { median, type Figure } from './stats';

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
  const fixture = createVsCodeFixture({ contextLength: 4096, maxAnswerTokens: 1500 });
  try {
    const { exitCode, log } = await harness.runExtensionTests({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath,
      userSettings: fixture.userSettings,
      echo: false,
      timeoutMs: 300_000,
    });
    const line = log.split('\n').find((l: string) => l.startsWith('BENCH '));
    if (exitCode !== 0 || !line) throw new Error(`the in-VS-Code benchmark failed (exit ${exitCode})\n${log.slice(-3000)}`);
    const { runs, chunks } = JSON.parse(line.slice('BENCH '.length)) as { runs: EventLoopRuns; chunks: number };
    return [
      {
        name: "Real extension host's largest event-loop delay while an answer streams into the chat view, median of runs",
        value: median(runs.busyMax),
        unit: 'ms',
        target: '≤ 20 ms',
        detail: `${describeRuns(runs)}; ${chunks} chunks`,
      },
      { name: "Real extension host's event-loop delay p99 while an answer streams, median of runs", value: median(runs.busyP99), unit: 'ms' },
      ...indexingFigures(log),
    ];
  } finally {
    fixture.dispose();
  }
}

function indexingFigures(log: string): Figure[] {
  const line = log.split('\n').find((l: string) => l.startsWith('BENCH-INDEX '));
  if (!line) return [];
  const { runs } = JSON.parse(line.slice('BENCH-INDEX '.length)) as { runs: EventLoopRuns };
  return [
    {
      name: "Real extension host's largest event-loop delay while Index Workspace reads 2,000 files (one run)",
      value: median(runs.busyMax),
      unit: 'ms',
      target: '≤ 20 ms',
      detail: describeRuns(runs),
    },
  ];
}
