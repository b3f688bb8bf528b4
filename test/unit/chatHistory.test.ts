/**
 * The chat history on disk: a file written by an older version still opens as the current
 * conversation; New Chat keeps the old conversation to reopen; Regenerate replaces the last
 * answer; everything survives a restart (reopening the files).
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { ChatHistory } from '../../src/pipeline/chat/history';
import type { ChatTurn } from '../../src/protocol/events';
import type { Logger } from '../../src/pipeline/log';

const logs: string[] = [];
const logger: Logger = { log: (level, message) => logs.push(`[${level}] ${message}`) };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'chat-history-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let dirs = 0;
const newFile = () => path.join(tmp, String(++dirs), 'chat-history.json');

function turn(question: string, askedAt: number, outcome: ChatTurn['outcome'] = 'done'): ChatTurn {
  return { question, answer: `Answer to ${question}`, outcome, sources: [], askedAt };
}

async function reopen(file: string): Promise<ChatHistory> {
  return ChatHistory.open(file, logger);
}

describe('ChatHistory', () => {
  test('a history file written by an earlier version (a plain array) opens as the current conversation', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const old = [turn('What is Stop?', 1000), turn('And Esc?', 2000, 'cancelled')];
    // Earlier versions wrote no askedAt on some turns, and garbage entries are skipped.
    fs.writeFileSync(file, JSON.stringify([...old, { question: 'no answer' }, { question: 'Older', answer: 'A', outcome: 'done', sources: [] }]));
    const history = await reopen(file);
    assert.deepEqual(history.all().map((t) => t.question), ['What is Stop?', 'And Esc?', 'Older']);
    assert.deepEqual(history.list(), []);
  });

  test('New Chat starts empty and keeps the old conversation, listed by first question and date; reopening continues it', async () => {
    const file = newFile();
    const history = await reopen(file);
    history.add(turn('First question', 1000));
    history.add(turn('Follow-up', 2000));
    history.startNew();
    assert.deepEqual(history.all(), []);
    history.add(turn('Another topic', 3000));
    history.startNew();
    history.startNew(); // an empty conversation is not kept
    await history.flush();

    const restarted = await reopen(file);
    assert.deepEqual(restarted.all(), []);
    const listed = restarted.list();
    assert.deepEqual(listed.map(({ title, startedAt, turns }) => ({ title, startedAt, turns })), [
      { title: 'Another topic', startedAt: 3000, turns: 1 },
      { title: 'First question', startedAt: 1000, turns: 2 },
    ]);

    const reopened = restarted.reopen(listed[1].id);
    assert.deepEqual(reopened?.map((t) => t.question), ['First question', 'Follow-up']);
    restarted.add(turn('Third in the first topic', 4000));
    assert.equal(restarted.reopen('no-such-id'), undefined);
    await restarted.flush();

    const again = await reopen(file);
    assert.deepEqual(again.all().map((t) => t.question), ['First question', 'Follow-up', 'Third in the first topic']);
    assert.deepEqual(again.list().map((c) => c.title), ['Another topic'], 'the reopened conversation is current, not listed twice');
    // The current file keeps the old format: older versions of the extension still read it.
    assert.ok(Array.isArray(JSON.parse(fs.readFileSync(file, 'utf8'))));
  });

  test('reopening an earlier conversation keeps the current one among the earlier ones', async () => {
    const history = await reopen(newFile());
    history.add(turn('Old', 1000));
    history.startNew();
    history.add(turn('Current', 2000));
    const [old] = history.list();
    history.reopen(old.id);
    assert.deepEqual(history.all().map((t) => t.question), ['Old']);
    assert.deepEqual(history.list().map((c) => c.title), ['Current']);
  });

  test('Regenerate replaces the last turn instead of adding one', async () => {
    const file = newFile();
    const history = await reopen(file);
    history.add(turn('Q1', 1000));
    history.add(turn('Q2', 2000, 'cancelled'));
    history.replaceLast({ ...turn('Q2', 3000), answer: 'A better answer' });
    await history.flush();
    const restarted = await reopen(file);
    assert.deepEqual(restarted.all().map((t) => [t.question, t.answer]), [['Q1', 'Answer to Q1'], ['Q2', 'A better answer']]);
  });

  test('a conversation left in both files by a crash between the two writes is listed once', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const turns = [turn('Both', 1000)];
    fs.writeFileSync(file, JSON.stringify(turns));
    fs.writeFileSync(path.join(path.dirname(file), 'chat-conversations.json'), JSON.stringify({ version: 1, conversations: [{ id: 'x', turns }] }));
    const history = await reopen(file);
    assert.equal(history.all().length, 1);
    assert.deepEqual(history.list(), []);
  });

  test('an unreadable history file starts a new conversation and says so in the log', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{ not json');
    const history = await reopen(file);
    assert.deepEqual(history.all(), []);
    assert.ok(logs.some((line) => line.startsWith('[warn]') && line.includes(file)));
  });
});
