/**
 * Answers from a real llama-server (the OpenAI-compatible provider), through the real
 * pipeline process: the same phases, sources and streamed text as the embedded model, and
 * a Stop that frees the server's slot — checked from the server's side, on `/slots` —
 * both while it generates and while it is still reading a long prompt.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { ChatEvent } from '../../src/protocol/events';
import { startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { ask, indexSampleDocs, SAMPLE_QUESTIONS, startHarness, until, type Harness } from '../support/pipelineHarness';

const phasesOf = (events: ChatEvent[]) => events.flatMap((event) => ('phase' in event ? [event.phase] : []));

describe('chat through an OpenAI-compatible server (llama-server)', () => {
  let server: LlamaServer;
  let harness: Harness;
  before(async () => {
    // Small batches: prompt processing of a long prompt takes many steps, so a Stop can land
    // in the middle of it (llama-server checks for cancelled tasks between steps).
    server = await startLlamaServer({ parallel: 2, batchSize: 16 });
    harness = await startHarness({
      chatProvider: 'openaiCompatible',
      serverBaseUrl: `${server.url}/v1`,
      // Were the embedded model used instead, this missing file would fail every answer.
      chatModel: '/nonexistent/never-loaded.gguf',
      embeddingModel: '',
      rerankerModel: '',
      maxAnswerTokens: 1500,
    });
    await indexSampleDocs(harness);
  });
  after(async () => {
    await harness?.dispose();
    await server?.stop();
  });

  const allIdle = async () => (await server.slots()).every((slot) => !slot.is_processing);

  test('an answer streams from the server with the phases and sources of the embedded path', { timeout: 120_000 }, async () => {
    harness.client.configure({ ...harness.settings, maxAnswerTokens: 40 });
    const { events, terminal, text } = await ask(harness.client, 'server-done', SAMPLE_QUESTIONS[0]);
    assert.ok('done' in terminal, `finished: ${JSON.stringify(terminal)}`);
    assert.deepEqual(phasesOf(events), ['ANALYSIS', 'RETRIEVAL', 'GENERATION']);
    const sources = events.find((event) => 'sources' in event);
    assert.ok(sources && 'sources' in sources && sources.sources.length > 0, 'the sources reach the view');
    assert.ok(text.trim().length > 0, 'the answer streamed');
    assert.ok(events.filter((event) => 'content' in event).length > 1, 'in several pieces, not one block');
    harness.client.configure(harness.settings);
  });

  test('Stop mid-answer: {cancelled} at once, and the server frees the slot', { timeout: 120_000 }, async () => {
    let stoppedAt = 0;
    const { terminal, text } = await ask(harness.client, 'server-stop', SAMPLE_QUESTIONS[1], (event, _events, source) => {
      if ('content' in event && !stoppedAt) {
        stoppedAt = performance.now();
        source.cancel();
      }
    });
    const acknowledged = performance.now() - stoppedAt;
    assert.ok('cancelled' in terminal, `stopped: ${JSON.stringify(terminal)}`);
    assert.ok(text.length > 0, 'stopped after the answer began');
    assert.ok(acknowledged < 1_000, `{cancelled} arrived ${acknowledged.toFixed(0)} ms after Stop`);
    // 1,500 tokens would take the server many seconds: idle this soon means it stopped.
    assert.ok(await until(allIdle, 2_000, 20), `every slot idle soon after Stop: ${JSON.stringify(await server.slots())}`);
  });

  test('Stop during prompt processing of a ~3,000-token prompt frees the slot too', { timeout: 120_000 }, async () => {
    // The question's own words match the sample documents; the rest makes the prompt long.
    const question = `${SAMPLE_QUESTIONS[0]} ${'Stop the answer and keep the partial text in the history. '.repeat(110)}`;
    const tokens = await tokenCount(server, question);
    assert.ok(tokens >= 2_500 && tokens <= 3_500, `the prompt is about 3,000 tokens (${tokens})`);
    let stoppedAt = 0;
    let textAtStop = '';
    let sawProcessing = false;
    const { terminal } = await ask(harness.client, 'server-stop-prompt', question, (event, events, source) => {
      if (!('phase' in event) || event.phase !== 'GENERATION') return;
      // Stop once the server is busy with this prompt, before any of the answer arrives.
      void until(async () => (sawProcessing = !(await allIdle())), 10_000, 5).then(() => {
        textAtStop = events.map((e) => ('content' in e ? e.content : '')).join('');
        stoppedAt = performance.now();
        source.cancel();
      });
    });
    const acknowledged = performance.now() - stoppedAt;
    assert.ok('cancelled' in terminal, `stopped: ${JSON.stringify(terminal)}`);
    assert.ok(sawProcessing, 'the server was processing the prompt when Stop was pressed');
    assert.equal(textAtStop, '', 'no answer text yet: Stop came during prompt processing');
    assert.ok(acknowledged < 1_000, `{cancelled} arrived ${acknowledged.toFixed(0)} ms after Stop`);
    // Reading this prompt (~3,400 tokens with its sources) takes the server seconds at 16
    // tokens a step (7 s measured here), so a slot idle within 2 s was stopped mid-prompt.
    // Without return_progress llama-server went on reading it (chatStream.ts says why).
    assert.ok(await until(allIdle, 2_000, 20), `every slot idle soon after Stop: ${JSON.stringify(await server.slots())}`);
  });
});

async function tokenCount(server: LlamaServer, content: string): Promise<number> {
  const response = await fetch(`${server.url}/tokenize`, { method: 'POST', body: JSON.stringify({ content }), headers: { 'content-type': 'application/json' } });
  return ((await response.json()) as { tokens: unknown[] }).tokens.length;
}
