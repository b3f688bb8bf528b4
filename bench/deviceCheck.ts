/**
 * Which device the pipeline really uses, and what Stop costs there: the tiny model on
 * `gpuLayers: auto` (GPU when one is found) beside `gpuLayers: 0` (CPU), through the real
 * pipeline process. Runs anywhere; on a machine without a GPU both rows say CPU.
 *   npm run build && node --import tsx bench/deviceCheck.ts
 */
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness } from '../test/support/pipelineHarness';
import { writeTinyGguf } from '../test/fixtures/tinyGguf';
import { summarize } from './stats';

async function measure(label: string, gpuLayers: 'auto' | number, modelPath: string, stops: number) {
  const harness = await startHarness({ chatModel: modelPath, gpuLayers, threads: 0, contextSize: 8192, maxAnswerTokens: 4000 });
  try {
    const loadStarted = performance.now();
    await indexSampleDocs(harness);
    await ask(harness.client, 'warm-up', SAMPLE_QUESTIONS[0]);
    const warmUpMs = performance.now() - loadStarted;
    const device = harness.logs.find((line) => line.message.startsWith('Chat model'))?.message ?? 'no load line';

    let chunks = 0;
    let ms = 0;
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const result = await ask(harness.client, `full-${i}`, SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length]);
      ms += performance.now() - started;
      chunks += result.events.filter((event) => 'content' in event).length;
    }

    const latencies: number[] = [];
    for (let i = 0; i < stops; i++) {
      let pressedAt = 0;
      let seen = 0;
      const stopAfter = 5 + ((i * 11) % 60);
      await ask(harness.client, `stop-${i}`, SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length], (event, _events, source) => {
        if ('content' in event && ++seen === stopAfter) {
          pressedAt = performance.now();
          source.cancel();
        }
        if ('cancelled' in event) latencies.push(performance.now() - pressedAt);
      });
    }
    const stop = summarize(`${label}: Stop → {cancelled}`, latencies, 'ms', { p95Target: 50 });
    console.log(`\n[${label}] ${device}`);
    console.log(`[${label}] first answer incl. runtime + model load: ${warmUpMs.toFixed(0)} ms`);
    console.log(`[${label}] streamed chunks/s: ${(chunks / (ms / 1000)).toFixed(0)}`);
    console.log(`[${label}] ${stop.name}: ${stop.value.toFixed(2)} ms (${stop.detail})`);
    for (const line of harness.logs.filter((l) => l.level === 'warn' || l.level === 'error')) console.log(`[${label}] ${line.level}: ${line.message}`);
  } finally {
    await harness.dispose();
  }
}

async function main(): Promise<void> {
  const modelPath = path.join(os.tmpdir(), 'local-rag-device-check', 'tiny-8k.gguf');
  writeTinyGguf(modelPath, { contextLength: 8192 });
  console.log(`${os.cpus().length} cores, Node ${process.versions.node}`);
  const stops = Number(process.env.BENCH_STOPS ?? 30);
  await measure('gpuLayers auto', 'auto', modelPath, stops);
  await measure('gpuLayers 0', 0, modelPath, stops);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
