/**
 * The chat view answered by a model server the user already runs: a real llama-server, set
 * in the user settings, driven from the workbench in Chromium. Tokens stream into the view,
 * Stop shows [Stopped], and the server's `/slots` says the slot is free again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { answerOf, send, useChatWorkbench, waitForStreaming } from '../support/chatView';
import { startLlamaServer, type LlamaServer } from '../support/llamaServer';
import { until } from '../support/until';

describe('chat view answered by llama-server', () => {
  let server: LlamaServer;
  // Filled in once the server is up, before the workbench reads it (hooks run in order).
  const settings: Record<string, unknown> = {
    'localRag.chatProvider': 'openaiCompatible',
    // Room for an answer that is still streaming when Stop is clicked.
    'localRag.maxAnswerTokens': 6000,
  };
  before(async () => {
    server = await startLlamaServer({ parallel: 2 });
    settings['localRag.server.baseUrl'] = `${server.url}/v1`;
  });
  const view = useChatWorkbench({ settings, index: true });
  after(async () => {
    await server?.stop();
  });

  const allIdle = async () => (await server.slots()).every((slot) => !slot.is_processing);
  const lastTurnText = () => answerOf(view.chat.locator('.turn').last());

  test('ask in the view: tokens stream from the server, Stop shows [Stopped], and the slot goes idle', async () => {
    const { chat, page } = view;
    await waitForStreaming(await send(chat, 'How does Stop work?'), 40);
    const streamed = (await lastTurnText()).length;
    assert.ok(await until(async () => (await lastTurnText()).length > streamed, 5_000, 20), 'the answer keeps growing token by token');
    assert.equal(await allIdle(), false, 'the server is generating the answer');

    await chat.getByRole('button', { name: 'Stop', exact: true }).click();
    const turn = chat.locator('.turn').last();
    await turn.and(chat.locator('.turn.cancelled')).waitFor({ timeout: 10_000 });
    const stopped = await lastTurnText();
    assert.match(stopped, /\[Stopped\]$/);
    assert.ok(await until(allIdle, 3_000, 20), 'every slot idle within 3 s of Stop');
    await page.waitForTimeout(500);
    assert.equal(await lastTurnText(), stopped, 'nothing streams after Stop');
  });
});
