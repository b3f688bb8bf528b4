/**
 * The real pipeline process (dist/pipeline.js, forked with an IPC channel) answering on the
 * real node-llama-cpp with the tiny generated model, driven by the host's own client.
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { ChatController, type ChatUpdate } from '../../src/host/chatController';
import { STOPPED_MARKER, isTerminalEvent, type ChatEvent, type Source } from '../../src/protocol/events';
import { ask, contentOf, indexSampleDocs, isAlive, SAMPLE_QUESTIONS, startHarness, until, type Collected, type Harness } from '../support/pipelineHarness';

/** The passages an answer was given from (the last list sent). */
function sourcesOf(events: ChatEvent[]): Source[] {
  return events.flatMap((event) => ('sources' in event ? [event.sources] : [])).at(-1) ?? [];
}

// Questions that name words of the sample documents, so that retrieval finds passages and the
// model answers (with nothing relevant the pipeline says so at once, without the model).
const STOPPED_QUESTION = 'Tell me everything about the Stop button.';

describe('pipeline process', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
    await indexSampleDocs(harness);
  });
  after(() => harness.dispose());

  test('a question streams tokens, then ends with done', async () => {
    const result = await ask(harness.client, 'stream-1', 'What do the documents say about cancellation?');
    const contents = result.events.filter((event) => 'content' in event);
    assert.ok(contents.length > 20, `expected a streamed answer, got ${contents.length} chunks`);
    assert.deepEqual(result.terminal, { requestId: 'stream-1', done: true });
    assert.equal(result.events.at(-1), result.terminal);
    assert.ok(sourcesOf(result.events).some((source) => source.path === 'cancellation.md'), 'answered from the indexed passages');
    assert.deepEqual(
      result.events.filter((event) => 'phase' in event).map((event) => ('phase' in event ? event.phase : '')),
      ['ANALYSIS', 'RETRIEVAL', 'GENERATION'],
    );
    assert.ok(result.events.every((event) => event.requestId === 'stream-1'));
    assert.ok(harness.logs.some((line) => /loaded in \d+ ms on CPU/.test(line.message)), 'the device used is logged');
  });

  test('the pipeline runs below the editor for the CPU: every thread, the model\'s included, is at the lower priority', { skip: process.platform !== 'linux' && 'thread priorities are read from /proc' }, async () => {
    await ask(harness.client, 'priority-1', 'What do the documents say about cancellation?');
    const pid = harness.client.pid!;
    const threads = fs.readdirSync(`/proc/${pid}/task`);
    // Field 19 of stat is the nice value; fields are counted after the name in parentheses, which may hold spaces.
    const niceOf = (thread: string) => Number(fs.readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8').split(') ')[1].split(' ')[16]);
    assert.ok(threads.length > 4, `the model's threads are running (${threads.length} threads)`);
    const notLowered = threads.filter((thread) => niceOf(thread) < os.constants.priority.PRIORITY_BELOW_NORMAL);
    assert.deepEqual(notLowered, [], 'no thread of the pipeline competes with the editor at normal priority');
  });

  test('Stop mid-stream ends with cancelled and keeps the partial answer, marked', async () => {
    let stoppedAfter = '';
    const result = await ask(harness.client, 'stop-1', STOPPED_QUESTION, (event, events, source) => {
      if ('content' in event && events.filter((e) => 'content' in e).length === 30) {
        stoppedAfter = contentOf(events);
        source.cancel();
      }
    });
    assert.deepEqual(result.terminal, { requestId: 'stop-1', cancelled: true });
    assert.equal(result.events.filter(isTerminalEvent).length, 1);
    assert.ok(result.text.startsWith(stoppedAfter));
    // Tokens already on their way when Stop was pressed may land; nothing generated after it.
    assert.ok(result.text.length <= stoppedAfter.length + 400, `the answer did not run on after Stop (${stoppedAfter.length} → ${result.text.length} characters)`);
    const history = await harness.client.getHistory();
    const turn = history.find((t) => t.question === STOPPED_QUESTION);
    assert.ok(turn, 'the stopped turn is in the history');
    assert.equal(turn.outcome, 'cancelled');
    assert.equal(turn.answer, `${result.text}\n\n${STOPPED_MARKER}`);
    // Saved to disk as well, so it survives a restart of the pipeline.
    const saved = () => fs.readFileSync(path.join(harness.storageDir, 'chat-history.json'), 'utf8').includes(STOPPED_MARKER);
    assert.ok(await until(saved, 2000, 20), 'the stopped turn reached the history on disk');
  });

  test('a second question sent before the first ended (a second client) runs beside it: each ends once, by its own token', async () => {
    const contents = (events: ChatEvent[]) => events.filter((e) => 'content' in e).length;
    let second: Promise<Collected> | undefined;
    const first = await ask(harness.client, 'beside-1', SAMPLE_QUESTIONS[0], (event, events, source) => {
      if (!('content' in event)) return;
      if (contents(events) === 5) second = ask(harness.client, 'beside-2', SAMPLE_QUESTIONS[1]);
      if (contents(events) === 25) source.cancel();
    });
    assert.ok(second, 'the second question was sent while the first streamed');
    const next = await second;
    // Which question runs is the host's decision: the pipeline cancels a request only when its own token is.
    assert.deepEqual(first.terminal, { requestId: 'beside-1', cancelled: true });
    assert.ok(contents(first.events) >= 25, `the first question streamed on until its own Stop (${contents(first.events)} chunks)`);
    assert.deepEqual(next.terminal, { requestId: 'beside-2', done: true });
    for (const [id, result] of [['beside-1', first], ['beside-2', next]] as const) {
      assert.equal(result.events.filter(isTerminalEvent).length, 1);
      assert.equal(result.events.at(-1), result.terminal);
      assert.ok(result.events.every((event) => event.requestId === id), 'no event of one request reached the other');
    }
    const history = await harness.client.getHistory();
    assert.equal(history.find((turn) => turn.question === SAMPLE_QUESTIONS[0] && turn.answer.endsWith(STOPPED_MARKER))?.outcome, 'cancelled');
    assert.equal(history.find((turn) => turn.question === SAMPLE_QUESTIONS[1])?.answer, next.text);
  });

  test('a newer question stops the old one, with no cross-talk', async () => {
    const controller = new ChatController(harness.client);
    const updates: ChatUpdate[] = [];
    controller.onUpdate((update) => updates.push(update));
    let second: ReturnType<ChatController['ask']> | undefined;
    const firstDone = new Promise<ReturnType<ChatController['ask']>>((resolve) => {
      const subscription = controller.onUpdate((update) => {
        if (update.type === 'event' && 'content' in update.event && updates.filter((u) => u.type === 'event' && 'content' in u.event).length === 15) {
          subscription.dispose();
          second = controller.ask(SAMPLE_QUESTIONS[2]);
          resolve(second);
        }
      });
    });
    const first = await controller.ask(SAMPLE_QUESTIONS[0]);
    const secondResult = await (await firstDone);
    assert.ok('cancelled' in first, 'the first question was stopped');
    assert.ok('done' in secondResult, 'the second question finished');
    const started = updates.filter((u): u is Extract<ChatUpdate, { type: 'started' }> => u.type === 'started');
    assert.equal(started.length, 2);
    const [firstId, secondId] = started.map((u) => u.requestId);
    const secondStart = updates.indexOf(started[1]);
    const contentOfFirstAfter = updates
      .slice(secondStart)
      .filter((u) => u.type === 'event' && u.event.requestId === firstId && 'content' in u.event);
    assert.equal(contentOfFirstAfter.length, 0, 'no token of the old answer after the new question started');
    const firstTerminal = updates.findIndex((u) => u.type === 'event' && u.event.requestId === firstId && isTerminalEvent(u.event));
    const secondFirstEvent = updates.findIndex((u) => u.type === 'event' && u.event.requestId === secondId);
    assert.ok(firstTerminal < secondFirstEvent, 'the old question ended before the new one produced anything');
    assert.ok(contentOf(updates.flatMap((u) => (u.type === 'event' && u.event.requestId === secondId ? [u.event] : []))).length > 0);
    assert.equal(controller.isBusy, false);
  });

  test('questions asked in quick succession: only the newest one runs', async () => {
    const controller = new ChatController(harness.client);
    const started: string[] = [];
    controller.onUpdate((update) => {
      if (update.type === 'started') started.push(update.question);
    });
    const [one, two, three] = SAMPLE_QUESTIONS;
    const first = controller.ask(one);
    await new Promise<void>((resolve) => {
      const subscription = controller.onUpdate((update) => {
        if (update.type === 'event' && 'content' in update.event) {
          subscription.dispose();
          resolve();
        }
      });
    });
    const second = controller.ask(two);
    const third = controller.ask(three);
    const [a, b, c] = await Promise.all([first, second, third]);
    assert.ok('cancelled' in a, 'the running question was stopped');
    assert.ok('cancelled' in b, 'the question superseded before it began never ran');
    assert.ok('done' in c, 'the newest question ran');
    assert.deepEqual(started, [one, three]);
  });

  test('New Chat while an answer streams: the stopped turn stays in the conversation it was asked in', async () => {
    const controller = new ChatController(harness.client);
    const question = `${SAMPLE_QUESTIONS[1]} (New Chat)`;
    let chunks = 0;
    let cleared: Promise<void> | undefined;
    controller.onUpdate((update) => {
      if (update.type === 'event' && 'content' in update.event && ++chunks === 10) cleared = controller.newChat();
    });
    const stopped = await controller.ask(question);
    assert.ok('cancelled' in stopped, JSON.stringify(stopped));
    await cleared;
    assert.deepEqual(await controller.history(), [], 'the new conversation starts empty');
    const [earlier] = await controller.conversations();
    assert.ok(earlier && (await controller.openConversation(earlier.id)), 'the conversation left behind is listed first');
    const last = (await controller.history()).at(-1);
    assert.equal(last?.question, question);
    assert.equal(last?.outcome, 'cancelled');
  });

  test('a question asked with a file keeps the file in its turn, and Regenerate from that turn reads the file again', async () => {
    const controller = new ChatController(harness.client);
    const notes = path.join(harness.storageDir, 'notes');
    fs.mkdirSync(notes, { recursive: true });
    fs.writeFileSync(path.join(notes, 'harbour.md'), '# Harbour\n\nThe harbour opens at dawn.\n\n## Lighthouse\n\nThe keeper logs every passing albatross.\n');
    const attachment = { absPath: path.join(notes, 'harbour.md'), displayPath: 'notes/harbour.md' };
    assert.ok('done' in (await controller.ask('What does the keeper log?', undefined, undefined, attachment)));
    const asked = (await controller.history()).at(-1);
    assert.deepEqual(asked?.attachment, attachment, 'the turn keeps the file it was asked with');

    // Regenerate as the chat view asks it: the turn's question, with the turn's file, in its place.
    const updates: ChatUpdate[] = [];
    controller.onUpdate((update) => updates.push(update));
    const turnsBefore = (await controller.history()).length;
    assert.ok('done' in (await controller.ask(asked.question, undefined, undefined, asked.attachment, true)));
    const started = updates.find((update) => update.type === 'started');
    assert.equal(started?.type === 'started' && started.attachment?.displayPath, 'notes/harbour.md', 'the view shows the file again');
    const events = updates.flatMap((update) => (update.type === 'event' ? [update.event] : []));
    const phases = events.flatMap((event) => ('phase' in event ? [event.phase] : []));
    assert.deepEqual(phases.slice(0, 2), ['FILE_EXTRACTION', 'SUMMARIZATION'], 'the file is read again');
    const sources = sourcesOf(events);
    assert.ok(sources.length > 0 && sources.every((source) => source.path === 'notes/harbour.md'), JSON.stringify(sources));
    const turns = await controller.history();
    assert.equal(turns.length, turnsBefore, 'the answer replaced the last one');
    assert.deepEqual(turns.at(-1)?.attachment, attachment);
  });

  test('a cancelled VS Code-style token before the pipeline answers ends at once', async () => {
    const source = new CancellationTokenSource();
    source.cancel();
    const result = await ask(harness.client, 'pre-cancelled', 'Never mind', () => {}, source);
    assert.deepEqual(result.terminal, { requestId: 'pre-cancelled', cancelled: true });
    assert.equal(result.events.length, 1);
  });

  test('killing the pipeline mid-answer gives an error, and the next question starts a fresh process', async () => {
    const oldPid = harness.client.pid;
    assert.ok(oldPid);
    const result = await ask(harness.client, 'kill-1', 'Keep talking about the index.', (event, events) => {
      if ('content' in event && events.filter((e) => 'content' in e).length === 10) process.kill(oldPid, 'SIGKILL');
    });
    assert.ok('error' in result.terminal, 'the request ended with an error instead of hanging');
    assert.equal(result.terminal.code, 'pipelineExited');
    assert.match(result.terminal.error, /pipeline process was killed/);
    const next = await ask(harness.client, 'kill-2', 'Are you back? How is the index built?');
    assert.deepEqual(next.terminal, { requestId: 'kill-2', done: true });
    assert.ok(next.text.length > 0);
    assert.ok(sourcesOf(next.events).some((source) => source.path === 'index.md'), 'the index survives the restart');
    assert.notEqual(harness.client.pid, oldPid);
    // The history written before the crash survives in the new process.
    const history = await harness.client.getHistory();
    assert.ok(history.some((turn) => turn.question === STOPPED_QUESTION && turn.outcome === 'cancelled'));
  });
});

describe('pipeline process without a chat model', () => {
  test('says which setting to set', async () => {
    const harness = await startHarness({ chatModel: '' });
    try {
      await indexSampleDocs(harness);
      // With passages found and no model, the answer quotes them and tells how to get a model.
      const result = await ask(harness.client, 'no-model', SAMPLE_QUESTIONS[0]);
      assert.deepEqual(result.terminal, { requestId: 'no-model', done: true });
      assert.ok(sourcesOf(result.events).some((source) => source.path === 'stop.md'), 'answered from the indexed passages');
      assert.match(result.text, /localRag\.chatModel/);
      assert.ok(!harness.logs.some((line) => /loaded in \d+ ms/.test(line.message)), 'no model was loaded');
    } finally {
      await harness.dispose();
    }
  });
});

describe('pipeline process lifetime', () => {
  test('exits when the extension host that forked it dies (no orphans)', async () => {
    const parent = fork(path.join(__dirname, '../support/pipelineParent.ts'), [], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    });
    const pipelinePid = await new Promise<number>((resolve, reject) => {
      parent.on('message', (message: { pid?: number }) => (message.pid ? resolve(message.pid) : undefined));
      parent.on('exit', (code) => reject(new Error(`parent exited early (${code})`)));
    });
    assert.ok(isAlive(pipelinePid));
    parent.kill('SIGKILL');
    assert.ok(await until(() => !isAlive(pipelinePid), 10_000, 20), 'the orphaned pipeline process exited');
  });
});
