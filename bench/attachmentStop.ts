/**
 * Stop while an attached file is read (FILE_EXTRACTION: a 300-page PDF in the PDF worker)
 * and while it is summarized (SUMMARIZATION: the tiny model writing the summary), through
 * the real pipeline process: Stop pressed at the host → `{cancelled}` received there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import type { ProcessingPhase } from '../src/protocol/events';
import { longPdf } from '../test/fixtures/pdfs';
import { startHarness } from '../test/support/pipelineHarness';
import { summarize, type Figure, runAlone } from './stats';

const STOPS = 20;

export async function benchAttachmentStop(): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-attach-stop-'));
  const harness = await startHarness({ embeddingModel: '', rerankerModel: '', maxAnswerTokens: 400 });
  try {
    await harness.client.start();
    const text = path.join(dir, 'report.md');
    fs.writeFileSync(text, Array.from({ length: 400 }, (_, i) => `Paragraph ${i}: the quarterly report describes the harbour, the ships and the cargo.`).join('\n\n'));
    const extraction: number[] = [];
    const summarization: number[] = [];
    for (let i = 0; i < STOPS; i++) {
      // A fresh PDF each time: extraction must really run.
      const pdf = path.join(dir, `manual-${i}.pdf`);
      fs.writeFileSync(pdf, await longPdf(300));
      extraction.push(await stopIn('FILE_EXTRACTION', { absPath: pdf, displayPath: `manual-${i}.pdf` }, 60 + (i % 5) * 40));
      summarization.push(await stopIn('SUMMARIZATION', { absPath: text, displayPath: 'report.md' }, 20 + (i % 5) * 30));
    }
    return [
      summarize('Stop in FILE_EXTRACTION (attached 300-page PDF) → {cancelled} at the host', extraction, 'ms', { p95Target: 50 }),
      summarize('Stop in SUMMARIZATION (attached file) → {cancelled} at the host', summarization, 'ms', { p95Target: 50 }),
    ];
  } finally {
    await harness.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }

  /** Asks about `file`, presses Stop `delayMs` into `phase`, and times the `{cancelled}`. */
  async function stopIn(phase: ProcessingPhase, file: { absPath: string; displayPath: string }, delayMs: number): Promise<number> {
    const source = new CancellationTokenSource();
    let pressedAt = 0;
    let cancelledAt = 0;
    let reached = false;
    const terminal = await harness.client.chat({ requestId: `${phase}-${performance.now()}`, question: 'What does it say?', attachment: file }, source.token, (event) => {
      if ('phase' in event && event.phase === phase && !reached) {
        reached = true;
        setTimeout(() => {
          pressedAt = performance.now();
          source.cancel();
        }, delayMs);
      }
      if ('cancelled' in event) cancelledAt = performance.now();
    });
    if (!('cancelled' in terminal) || !pressedAt) throw new Error(`Stop in ${phase} did not stop it: ${JSON.stringify(terminal)}`);
    return cancelledAt - pressedAt;
  }
}

if (require.main === module) runAlone(benchAttachmentStop);
