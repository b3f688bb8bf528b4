/**
 * What activating the extension costs, as VS Code itself measures it: code-server in
 * Chromium, Developer: Show Running Extensions, the "Activation: N ms" of Local RAG's row
 * (the extension host's code loading plus the activate() call). Once in a workspace with no
 * index yet, once after Index Workspace and a window reload (the watchers and the status
 * read start then).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import type { Page } from 'playwright-core';
import { createVsCodeFixture, REPO_ROOT } from '../test/support/vscodeFixtures';
import { median, type Figure, runAlone } from './stats';

type Harness = typeof import('../test/vscode/codeServer.mjs', { with: { 'resolution-mode': 'import' } });

const RUNS = Number(process.env.BENCH_ACTIVATION_RUNS ?? 3);

export async function benchActivation(): Promise<Figure[]> {
  const harness: Harness = await import('../test/vscode/codeServer.mjs');
  if (!fs.existsSync(harness.CODE_SERVER_BIN)) {
    console.log('code-server is not installed (bash scripts/install-test-tools.sh): skipping the activation benchmark.');
    return [];
  }
  const load = os.loadavg()[0].toFixed(1);
  const fresh: number[] = [];
  const indexed: number[] = [];
  /** The built-in Merge Conflict extension in the same windows: what this machine makes of a small activation right now. */
  const reference: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const fixture = createVsCodeFixture();
    const workbench = await harness.openWorkbench({ workspace: fixture.workspace, extensionDevelopmentPath: REPO_ROOT, userSettings: fixture.userSettings });
    try {
      const page = workbench.page;
      const first = await activationMs(harness, page);
      fresh.push(first.ours);
      if (first.reference !== undefined) reference.push(first.reference);
      await harness.runCommand(page, 'Local RAG: Index Workspace');
      await page.locator('.notification-toast', { hasText: /Indexing/i }).waitFor({ state: 'detached', timeout: 60_000 }).catch(() => {});
      await page.waitForTimeout(2_000);
      await harness.runCommand(page, 'Developer: Reload Window');
      await page.locator('.activitybar').first().waitFor({ state: 'visible', timeout: 60_000 });
      indexed.push((await activationMs(harness, page)).ours);
    } finally {
      await workbench.close();
      fixture.dispose();
    }
  }
  return [
    {
      name: 'Activation (code loading + activate()), workspace not indexed, median of runs',
      value: median(fresh),
      unit: 'ms',
      target: '≤ 30 ms',
      detail: `runs: ${fresh.join(', ')} ms (only the entry point loads); built-in Merge Conflict in the same windows: ${reference.join(', ')} ms; load average ${load} on ${os.cpus().length} cores`,
    },
    {
      name: 'Activation, indexed workspace after a reload, median of runs',
      value: median(indexed),
      unit: 'ms',
      target: '≤ 30 ms',
      detail: `runs: ${indexed.join(', ')} ms (the whole host loads)`,
    },
  ];
}

/** Reads Local RAG's time in Show Running Extensions, and Merge Conflict's (built in, also activated after start-up) beside it. */
async function activationMs(harness: Harness, page: Page): Promise<{ ours: number; reference?: number }> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await harness.runCommand(page, 'Developer: Show Running Extensions');
    const ours = await rowTime(page, /^(Local RAG|local-rag\.local-rag)$/);
    if (ours !== undefined) {
      const reference = await rowTime(page, /^Merge Conflict$/);
      await page.keyboard.press('Control+W');
      return { ours, reference };
    }
    await page.waitForTimeout(1_000);
  }
  throw new Error('Show Running Extensions never showed an activation time for Local RAG');
}

async function rowTime(page: Page, name: RegExp): Promise<number | undefined> {
  const row = page.locator('.monaco-list-row', { has: page.locator('div.name', { hasText: name }) }).first();
  await row.waitFor({ state: 'visible', timeout: 15_000 }).catch(() => {});
  const text = (await row.locator('div.activation-time').textContent({ timeout: 5_000 }).catch(() => null)) ?? '';
  const match = /Activation: (\d+)ms/.exec(text);
  return match ? Number(match[1]) : undefined;
}

if (require.main === module) runAlone(benchActivation);
