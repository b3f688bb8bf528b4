/**
 * Answers from a real llama-server (the tiny model): Stop → `{cancelled}` at the host, and
 * Stop → the server's slot idle on `/slots`, both during generation and during prompt
 * processing of a ~3,000-token prompt; and what the pipeline adds to the time to the first
 * token over a raw streaming request to the same server.
 */
import { performance } from 'node:perf_hooks';
import { buildSystemPrompt } from '../src/pipeline/chat/prompt';
import { startLlamaServer, type LlamaServer } from '../test/support/llamaServer';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness, until } from '../test/support/pipelineHarness';
import { median, summarize, type Figure } from './stats';

const LONG_TAIL = 'Stop the answer and keep the partial text in the history. '.repeat(110);

export async function benchServerStop(stops = 20): Promise<Figure[]> {
  const server = await startLlamaServer({ parallel: 2, batchSize: 16 });
  const harness = await startHarness({ chatProvider: 'openaiCompatible', serverBaseUrl: `${server.url}/v1`, embeddingModel: '', rerankerModel: '', maxAnswerTokens: 1500 });
  try {
    await indexSampleDocs(harness);
    await ask(harness.client, 'warm-up', SAMPLE_QUESTIONS[0]);
    const generation = await stopRuns(server, harness.client, stops, 'gen', (i) => SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length], 'content');
    // Numbered, so no run finds the long part in the server's prompt cache.
    const prompt = await stopRuns(server, harness.client, stops, 'pp', (i) => `Run ${i}. ${SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length]} ${LONG_TAIL}`, 'processing');

    harness.client.configure({ ...harness.settings, maxAnswerTokens: 8 });
    const pipelineFirst: number[] = [];
    const rawFirst: number[] = [];
    for (let i = 0; i < 15; i++) {
      const question = SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length];
      // The first ask fills the server's prompt cache (and says which passages the prompt
      // holds); the timed ask and the raw request then both find the whole prompt cached.
      // Each ask starts a new conversation: the history the pipeline sends otherwise grows
      // with every ask, so its prompt was never the raw request's, nor cached (that made
      // the +36 to +50 ms measured before).
      await harness.client.clearHistory();
      const warm = await ask(harness.client, `warm-${i}`, question);
      const sources = warm.events.flatMap((event) => ('sources' in event ? [event.sources] : [])).at(-1) ?? [];
      await harness.client.clearHistory();
      const started = performance.now();
      let first = 0;
      await ask(harness.client, `first-${i}`, question, (event) => {
        if ('content' in event && !first) first = performance.now() - started;
      });
      pipelineFirst.push(first);
      const messages = [
        { role: 'system', content: buildSystemPrompt(sources) },
        { role: 'user', content: question },
      ];
      rawFirst.push(await rawFirstToken(server, messages));
    }
    return [
      summarize('Server: Stop → {cancelled} at the host, during generation', generation.acknowledged, 'ms', { p95Target: 50 }),
      summarize('Server: Stop → slot idle on /slots, during generation', generation.idle, 'ms', { p95Target: 250 }),
      summarize('Server: Stop → {cancelled} at the host, during prompt processing (~3,000 tokens)', prompt.acknowledged, 'ms', { p95Target: 50 }),
      summarize('Server: Stop → slot idle on /slots, during prompt processing (~3,000 tokens)', prompt.idle, 'ms', { p95Target: 250 }),
      {
        name: 'Server: pipeline overhead to the first token over a raw streaming request, median',
        value: median(pipelineFirst) - median(rawFirst),
        unit: 'ms',
        target: '≤ 15 ms',
        detail: `pipeline median ${median(pipelineFirst).toFixed(1)} ms (analysis, retrieval, prompt, IPC), raw request of the same messages median ${median(rawFirst).toFixed(1)} ms; both with the prompt in the server's cache`,
      },
    ];
  } finally {
    await harness.dispose();
    await server.stop();
  }
}

/** Stops `count` answers, each once the answer streams (`content`) or once the server is busy with the prompt (`processing`). */
async function stopRuns(
  server: LlamaServer,
  client: Parameters<typeof ask>[0],
  count: number,
  prefix: string,
  question: (i: number) => string,
  when: 'content' | 'processing',
): Promise<{ acknowledged: number[]; idle: number[] }> {
  const acknowledged: number[] = [];
  const idle: number[] = [];
  const busy = async () => (await server.slots()).some((slot) => slot.is_processing);
  for (let i = 0; i < count; i++) {
    let pressedAt = 0;
    let pressed: Promise<void> | undefined;
    const result = await ask(client, `${prefix}-${i}`, question(i), (event, _events, source) => {
      const stop = () => {
        pressedAt = performance.now();
        source.cancel();
      };
      if (when === 'content' && 'content' in event && !pressedAt) stop();
      if (when === 'processing' && 'phase' in event && event.phase === 'GENERATION') pressed = until(busy, 10_000, 2).then(stop);
      if ('cancelled' in event) acknowledged.push(performance.now() - pressedAt);
    });
    await pressed;
    if (!('cancelled' in result.terminal)) throw new Error(`Stop ${prefix}-${i} ended with ${JSON.stringify(result.terminal)}`);
    if (!(await until(async () => !(await busy()), 5_000, 2))) throw new Error(`The slot stayed busy after Stop ${prefix}-${i}`);
    idle.push(performance.now() - pressedAt);
  }
  return { acknowledged, idle };
}

async function rawFirstToken(server: LlamaServer, messages: { role: string; content: string }[]): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${server.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages, max_tokens: 8, stream: true }),
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let first = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
    if (!first && /"content":"[^"]/.test(text)) first = performance.now() - started;
  }
  return first;
}
