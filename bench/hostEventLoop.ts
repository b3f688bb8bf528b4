/**
 * Runs bench/vscode/ inside a real VS Code (code-server, installed by
 * scripts/install-test-tools.sh) and turns its `BENCH` line into figures.
 */
import * as esbuild from 'esbuild';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { createVsCodeFixture, REPO_ROOT } from '../test/support/vscodeFixtures';
import { median, type Figure } from './stats';

type Harness = typeof import('../test/vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

export async function benchHostEventLoop(): Promise<Figure[]> {
  const harness: Harness = await import('../test/vscode/codeServer.mjs');
  if (!fs.existsSync(harness.CODE_SERVER_BIN)) {
    console.log('code-server is not installed (bash scripts/install-test-tools.sh): skipping the in-VS-Code benchmark.');
    return [];
  }
  const outDir = path.join(REPO_ROOT, 'out', 'bench');
  await esbuild.build({
    entryPoints: [path.join(__dirname, 'vscode', 'index.ts'), path.join(__dirname, 'vscode', '*.bench.ts')],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode', 'mocha', '../../test/vscode/mochaSuite.cjs'],
    logLevel: 'warning',
  });
  const fixture = createVsCodeFixture({ contextLength: 4096, maxAnswerTokens: 1500 });
  try {
    const { exitCode, log } = await harness.runExtensionTests({
      workspace: fixture.workspace,
      extensionDevelopmentPath: REPO_ROOT,
      extensionTestsPath: path.join(outDir, 'index.js'),
      userSettings: fixture.userSettings,
      echo: false,
      timeoutMs: 300_000,
    });
    const line = log.split('\n').find((l: string) => l.startsWith('BENCH '));
    if (exitCode !== 0 || !line) throw new Error(`the in-VS-Code benchmark failed (exit ${exitCode})\n${log.slice(-3000)}`);
    const { streamingMax, streamingP99, idleMax, chunks } = JSON.parse(line.slice('BENCH '.length)) as Record<'streamingMax' | 'streamingP99' | 'idleMax', number[]> & { chunks: number };
    return [
      {
        name: "Real extension host's largest event-loop delay while an answer streams into the chat view, median of runs",
        value: median(streamingMax),
        unit: 'ms',
        target: '≤ 20 ms',
        detail: `per run: ${streamingMax.map((v) => v.toFixed(1)).join(', ')}; idle baseline per run: ${idleMax.map((v) => v.toFixed(1)).join(', ')}; ${chunks} chunks`,
      },
      { name: "Real extension host's event-loop delay p99 while an answer streams, median of runs", value: median(streamingP99), unit: 'ms' },
    ];
  } finally {
    fixture.dispose();
  }
}
