/**
 * The extension host's own event-loop delay while an answer streams into the open chat
 * view (pipeline events in, webview messages out), measured inside code-server's real
 * extension host. Prints one `BENCH {json}` line for bench/run.ts.
 */
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../src/extension';
import { sampleEventLoop } from '../eventLoop';

const RUNS = 5;

describe('extension host benchmarks', () => {
  it('event-loop delay while answers stream into the chat view', async () => {
    const api = await vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!.activate();
    await vscode.commands.executeCommand('localRag.chat.focus');
    // The fixture's docs/stop.md: an answer needs a passage that shares its words.
    await vscode.commands.executeCommand('localRag.indexWorkspace');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await api.controller.ask('What does the Stop button do?');
    let chunks = 0;
    const runs = await sampleEventLoop(RUNS, async (i) => {
      await api.controller.ask(`What does the Stop button keep, answer ${i}?`, undefined, (event) => {
        if ('content' in event) chunks++;
      });
    });
    console.log(`BENCH ${JSON.stringify({ runs, chunks })}`);
  });
});
