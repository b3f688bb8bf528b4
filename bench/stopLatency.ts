/**
 * Stop → `{cancelled}` as the extension host sees it, over the real IPC hop to the real
 * pipeline process generating with node-llama-cpp on the tiny model; and the host-side
 * event-loop delay while an answer streams. This process plays the extension host, with
 * the host's own PipelineClient.
 */
import { performance } from 'node:perf_hooks';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness } from '../test/support/pipelineHarness';
import { describeRuns, sampleEventLoop } from './eventLoop';
import { median, summarize, type Figure } from './stats';

export async function benchStopLatency(stops = 40): Promise<Figure[]> {
  const harness = await startHarness({ maxAnswerTokens: 1500, contextSize: 2048 });
  try {
    // Questions that find passages: with none, the answer says so without the model.
    await indexSampleDocs(harness);
    await ask(harness.client, 'warm-up', SAMPLE_QUESTIONS[0]);

    const latencies: number[] = [];
    for (let i = 0; i < stops; i++) {
      const stopAfter = 5 + ((i * 7) % 40);
      let pressedAt = 0;
      let seen = 0;
      const result = await ask(harness.client, `stop-${i}`, SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length], (event, _events, source) => {
        if ('content' in event && ++seen === stopAfter) {
          pressedAt = performance.now();
          source.cancel();
        }
        if ('cancelled' in event) latencies.push(performance.now() - pressedAt);
      });
      if (!('cancelled' in result.terminal)) throw new Error(`Stop ${i} ended with ${JSON.stringify(result.terminal)}`);
    }

    let tokens = 0;
    let streamingMs = 0;
    const runs = await sampleEventLoop(5, async (i) => {
      const started = performance.now();
      const result = await ask(harness.client, `stream-${i}`, SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length]);
      streamingMs += performance.now() - started;
      tokens += result.events.filter((event) => 'content' in event).length;
    });

    return [
      summarize('Stop → {cancelled} at the host, during generation', latencies, 'ms', { p95Target: 50 }),
      {
        name: 'Host event-loop delay while an answer streams: largest, median of runs',
        value: median(runs.busyMax),
        unit: 'ms',
        target: '≤ 20 ms',
        detail: describeRuns(runs),
      },
      { name: 'Streamed chunks per second through the host', value: tokens / (streamingMs / 1000), unit: 'chunks/s' },
    ];
  } finally {
    await harness.dispose();
  }
}
