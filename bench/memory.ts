/**
 * The pipeline process's memory across questions: resident set size idle (after a warm-up
 * of a few questions, which touches the model's buffers once), the most it reaches while
 * answering, and idle again after 20 questions, every other one stopped mid-answer.
 * Stopped or finished, a request must give back what it took.
 */
import * as fs from 'node:fs';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness } from '../test/support/pipelineHarness';
import { runAlone, type Figure } from './stats';

const QUESTIONS = 20;

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

async function settledRss(pid: number): Promise<number> {
  // Memory a request freed shows up after the allocator and V8 return it; take the lowest of a few samples.
  let lowest = Infinity;
  for (let i = 0; i < 10; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    lowest = Math.min(lowest, rssMb(pid));
  }
  return lowest;
}

export async function benchMemory(): Promise<Figure[]> {
  if (process.platform !== 'linux') return [];
  const harness = await startHarness({ embeddingModel: '', rerankerModel: '', maxAnswerTokens: 300 });
  try {
    await harness.client.start();
    await indexSampleDocs(harness);
    for (const [i, question] of SAMPLE_QUESTIONS.entries()) await ask(harness.client, `warm-up-${i}`, question);
    const pid = harness.client.pid!;
    const idle = await settledRss(pid);
    let peak = idle;
    for (let i = 0; i < QUESTIONS; i++) {
      const stopAfter = i % 2 === 0 ? 10 + i : Infinity;
      let seen = 0;
      await ask(harness.client, `memory-${i}`, SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length], (event, _events, source) => {
        peak = Math.max(peak, rssMb(pid));
        if ('content' in event && ++seen === stopAfter) source.cancel();
      });
    }
    const after = await settledRss(pid);
    return [
      {
        name: `Pipeline process memory after ${QUESTIONS} questions (half stopped) vs idle`,
        value: after - idle,
        unit: 'MB',
        target: 'no growth beyond noise',
        detail: `idle ${idle.toFixed(1)} MB, peak while answering ${peak.toFixed(1)} MB, after ${after.toFixed(1)} MB (RSS)`,
      },
    ];
  } finally {
    await harness.dispose();
  }
}

if (require.main === module) runAlone(benchMemory);
