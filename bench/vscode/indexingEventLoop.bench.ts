/**
 * The extension host's event-loop delay while Index Workspace reads 2,000 files (all the
 * reading and indexing happen in the pipeline process). Prints one `BENCH-INDEX {json}` line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../src/extension';
import { sampleEventLoop } from '../eventLoop';
import { watchStalls, type Stall } from '../stalls';

describe('extension host while indexing', () => {
  it('event-loop delay while 2,000 files are indexed', async () => {
    const api = await vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    // Written before the workspace has an index, so the watcher leaves them to Index Workspace;
    // one run per editor: after it, the watcher would index any new corpus by itself.
    for (let i = 0; i < 2000; i++) {
      fs.mkdirSync(path.join(folder, 'corpus', String(i % 20)), { recursive: true });
      fs.writeFileSync(path.join(folder, 'corpus', String(i % 20), `doc-${i}.md`), `# Doc ${i}\n${'words about indexing and answers '.repeat(40)}\n`);
    }
    let stalls: Stall[] = [];
    const runs = await sampleEventLoop(1, async () => {
      const started = Date.now();
      const watch = watchStalls();
      const report = await api.indexing.indexWorkspace();
      stalls = watch.stop();
      console.log(`indexed ${report?.indexed} files in ${Date.now() - started} ms`);
    });
    const largest = stalls.reduce<Stall | undefined>((a, b) => (a && a.wallMs >= b.wallMs ? a : b), undefined);
    const maxCpuMs = Math.max(0, ...stalls.map((stall) => stall.cpuMs));
    console.log(`BENCH-INDEX ${JSON.stringify({ runs, largest, maxCpuMs })}`);
  });
});
