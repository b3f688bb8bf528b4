/**
 * Eight askers at once on one llama-server with four slots, each stopping after a random
 * number of chunks: every slot is free again soon after the last Stop, and the throughput of
 * the whole. The askers share one pipeline ChatModel, so what is measured is our client and
 * the server, not eight pipeline processes. (Each answer is its own HTTP response, so no
 * text can cross between them; the tiny model's random words could not show it anyway.)
 */
import { performance } from 'node:perf_hooks';
import { RequestToken } from '../src/pipeline/cancellation';
import { ChatModel } from '../src/pipeline/llm/chatModel';
import { DEFAULT_PIPELINE_SETTINGS } from '../src/protocol/settings';
import { mulberry32 } from '../test/fixtures/random';
import { startLlamaServer } from '../test/support/llamaServer';
import { until } from '../test/support/pipelineHarness';
import type { Figure } from './stats';

const ASKERS = 8;

export async function benchServerConcurrency(rounds = 3): Promise<Figure[]> {
  const server = await startLlamaServer({ parallel: 4 });
  const model = new ChatModel({ log: () => {} });
  const settings = { ...DEFAULT_PIPELINE_SETTINGS, chatProvider: 'openaiCompatible' as const, serverBaseUrl: server.url };
  const random = mulberry32(13);
  let chunks = 0;
  let busyMs = 0;
  let worstIdleMs = 0;
  try {
    for (let round = 0; round < rounds; round++) {
      const started = performance.now();
      await Promise.all(
        Array.from({ length: ASKERS }, async (_, i) => {
          const token = new RequestToken(`r${round}-a${i}`);
          const stopAfter = 5 + Math.floor(random() * 60);
          let received = 0;
          await model
            .generate(settings, {
              systemPrompt: 'Answer briefly.',
              history: [],
              prompt: `Question ${i} of round ${round}: how does Stop work?`,
              maxTokens: 400,
              token,
              onText: () => {
                chunks++;
                if (++received === stopAfter) token.cancel();
              },
            })
            .catch((error: unknown) => {
              if (!token.isCancelled) throw error;
            });
        }),
      );
      busyMs += performance.now() - started;
      const stoppedAt = performance.now();
      const idle = await until(async () => (await server.slots()).every((slot) => !slot.is_processing), 5_000, 5);
      if (!idle) throw new Error(`round ${round}: a slot stayed busy after every asker stopped`);
      worstIdleMs = Math.max(worstIdleMs, performance.now() - stoppedAt);
    }
    return [
      { name: `Server, ${ASKERS} askers on 4 slots, each stopping at random: every slot idle after the last Stop, worst of ${rounds} rounds`, value: worstIdleMs, unit: 'ms' },
      { name: `Server, ${ASKERS} askers on 4 slots: streamed chunks per second, all askers together`, value: chunks / (busyMs / 1000), unit: 'chunks/s' },
    ];
  } finally {
    await model.dispose();
    await server.stop();
  }
}
