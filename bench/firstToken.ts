/**
 * Pipeline overhead to the first token: a question sent by the host's own client to the
 * real pipeline process (tiny model, a 10k-chunk index) until its first `{content}` event,
 * minus what the model itself spent on it — from the call into node-llama-cpp to its first
 * text, as the pipeline's trace log reports it. The difference is ours: IPC, analysis,
 * retrieval, prompt building and fitting, events.
 */
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ask, startHarness } from '../test/support/pipelineHarness';
import { median, type Figure, runAlone } from './stats';
import { buildXquadStore, XQUAD, xquadText } from './xquadStore';
import * as fs from 'node:fs';

const CHUNKS = 10_000;
const QUESTIONS = 20;
const CONTEXT = 2048;

export async function benchFirstToken(): Promise<Figure[]> {
  if (!fs.existsSync(XQUAD)) return [];
  const harness = await startHarness({ embeddingModel: '', rerankerModel: '', contextSize: CONTEXT, maxAnswerTokens: 4 });
  try {
    await buildXquadStore(path.join(harness.storageDir, 'index'), CHUNKS);
    await harness.client.start();
    const questions = xquadText().questions.filter((_, i) => i % 97 === 0).slice(0, QUESTIONS);
    await ask(harness.client, 'warm-up-1', questions[0]);
    await ask(harness.client, 'warm-up-2', questions[1]);

    const endToEnd: number[] = [];
    const toSources: number[] = [];
    const modelOnly: number[] = [];
    for (const [i, question] of questions.entries()) {
      let sourcesAt = 0;
      let firstAt = 0;
      const requestId = `first-${i}`;
      const sentAt = performance.now();
      await ask(harness.client, requestId, question, (event, _events, source) => {
        if ('sources' in event && !sourcesAt) sourcesAt = performance.now();
        if ('content' in event && !firstAt) {
          firstAt = performance.now();
          source.cancel();
        }
      });
      const reported = harness.logs.find((entry) => entry.message.startsWith(`${requestId}: the model took`));
      if (!firstAt || !reported) throw new Error(`question ${i} gave no token from the model (${JSON.stringify(question)})`);
      endToEnd.push(firstAt - sentAt);
      toSources.push(sourcesAt - sentAt);
      modelOnly.push(Number(/took ([\d.]+) ms/.exec(reported.message)![1]));
    }
    const overheads = endToEnd.map((total, i) => total - modelOnly[i]);
    return [
      {
        name: 'Pipeline overhead to first token (10k-chunk index, tiny model): median',
        value: median(overheads),
        unit: 'ms',
        target: '≤ 50 ms',
        detail: `question → first token ${median(endToEnd).toFixed(1)} ms, of which the model ${median(modelOnly).toFixed(1)} ms; question → sources ${median(toSources).toFixed(1)} ms; ${QUESTIONS} questions`,
      },
    ];
  } finally {
    await harness.dispose().catch(() => {});
  }
}

if (require.main === module) runAlone(benchFirstToken);
