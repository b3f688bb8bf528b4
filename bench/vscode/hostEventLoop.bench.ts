/**
 * The extension host's own event-loop delay while an answer streams into the open chat
 * view (pipeline events in, webview messages out), measured inside code-server's real
 * extension host. Prints one `BENCH {json}` line for bench/run.ts.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../src/extension';

const RUNS = 5;

describe('extension host benchmarks', () => {
  it('event-loop delay while answers stream into the chat view', async () => {
    const api = await vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!.activate();
    await vscode.commands.executeCommand('localRag.chat.focus');
    await new Promise((resolve) => setTimeout(resolve, 3000));
    await api.controller.ask('Warm up.');
    const streamingMax: number[] = [];
    const streamingP99: number[] = [];
    const idleMax: number[] = [];
    let chunks = 0;
    for (let i = 0; i < RUNS; i++) {
      const idle = monitorEventLoopDelay({ resolution: 1 });
      idle.enable();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      idle.disable();
      idleMax.push(idle.max / 1e6);
      const streaming = monitorEventLoopDelay({ resolution: 1 });
      streaming.enable();
      await api.controller.ask(`Stream answer ${i}.`, undefined, (event) => {
        if ('content' in event) chunks++;
      });
      streaming.disable();
      streamingMax.push(streaming.max / 1e6);
      streamingP99.push(streaming.percentile(99) / 1e6);
    }
    console.log(`BENCH ${JSON.stringify({ streamingMax, streamingP99, idleMax, chunks })}`);
  });
});
