/**
 * The extension host's event-loop delay while Index Workspace reads 2,000 files (all the
 * reading and indexing happen in the pipeline process). Prints one `BENCH-INDEX {json}` line.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../src/extension';
import { sampleEventLoop } from '../eventLoop';

describe('extension host while indexing', () => {
  it('event-loop delay while 2,000 files are indexed', async () => {
    const api = await vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!.activate();
    const folder = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const runs = await sampleEventLoop(3, async (run) => {
      const dir = path.join(folder, `corpus-${run}`);
      for (let i = 0; i < 2000; i++) {
        fs.mkdirSync(path.join(dir, String(i % 20)), { recursive: true });
        fs.writeFileSync(path.join(dir, String(i % 20), `doc-${i}.md`), `# Doc ${i}\n${'words about indexing and answers '.repeat(40)}\n`);
      }
      const started = Date.now();
      await api.indexing.indexWorkspace();
      console.log(`indexed run ${run} in ${Date.now() - started} ms`);
    });
    console.log(`BENCH-INDEX ${JSON.stringify({ runs })}`);
  });
});
