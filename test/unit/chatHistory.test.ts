/**
 * The chat history on disk: a file written by an older version still opens as the current
 * conversation; New Chat keeps the old conversation to reopen; Regenerate replaces the last
 * answer; everything survives a restart (reopening the files).
 */
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
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

  test('temp files a killed writer left are removed when the history opens; a young one (a live writer) is left', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify([turn('What is Stop?', 1000)]));
    const dead = `${file}.4242-deadbeef.tmp`;
    const deadArchive = path.join(path.dirname(file), 'chat-conversations.json.4242-cafe.tmp');
    const young = `${file}.4343-0badf00d.tmp`;
    for (const temp of [dead, deadArchive, young]) fs.writeFileSync(temp, '[');
    const old = new Date(Date.now() - 10 * 60_000);
    fs.utimesSync(dead, old, old);
    fs.utimesSync(deadArchive, old, old);
    const history = await reopen(file);
    assert.deepEqual(history.all().map((t) => t.question), ['What is Stop?']);
    assert.equal(fs.existsSync(dead), false);
    assert.equal(fs.existsSync(deadArchive), false);
    assert.equal(fs.existsSync(young), true, 'a temp file written just now may be a live writer’s');
  });

  test('an unreadable history file starts a new conversation and says so in the log', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, '{ not json');
    const history = await reopen(file);
    assert.deepEqual(history.all(), []);
    assert.ok(logs.some((line) => line.startsWith('[warn]') && line.includes(file)));
  });

  test('a history file cut short is kept aside, never overwritten, and the user is told which file', async () => {
    const file = newFile();
    const first = await reopen(file);
    first.add(turn('Kept one', 1000));
    first.startNew();
    first.add(turn('Current one', 2000));
    first.add(turn('Current two', 3000));
    await first.flush();
    // A crash mid-write (by an older version, or another program) leaves the file cut short.
    const whole = fs.readFileSync(file, 'utf8');
    const cut = whole.slice(0, Math.floor(whole.length / 2));
    fs.writeFileSync(file, cut);

    const told: Array<{ file: string; movedTo: string }> = [];
    const history = await ChatHistory.open(file, { log: (_level, _message, details) => details?.keptAside && told.push(details.keptAside) });
    assert.equal(told.length, 1, 'one notice naming the kept file');
    assert.equal(told[0].file, file);
    assert.match(path.basename(told[0].movedTo), /^chat-history\.json\.corrupt-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    assert.equal(fs.readFileSync(told[0].movedTo, 'utf8'), cut, 'the damaged bytes are kept as they were');
    // The earlier conversations (the other file) are untouched, and saving does not replace the kept file.
    assert.deepEqual(history.list().map((c) => c.title), ['Kept one']);
    history.add(turn('After the crash', 4000));
    await history.flush();
    assert.equal(fs.readFileSync(told[0].movedTo, 'utf8'), cut);
    assert.deepEqual(JSON.parse(fs.readFileSync(file, 'utf8')).map((t: ChatTurn) => t.question), ['After the crash']);
    const names = fs.readdirSync(path.dirname(file));
    assert.ok(!names.some((name) => name.endsWith('.tmp')), `no temp file left: ${names.join(', ')}`);
  });

  test('a damaged conversations file loses no conversation: it is kept aside, and a second damage is kept beside the first', async () => {
    const file = newFile();
    const first = await reopen(file);
    for (const [question, at] of [['One', 1000], ['Two', 2000], ['Three', 3000]] as const) {
      first.add(turn(question, at));
      first.startNew();
    }
    await first.flush();
    const archive = path.join(path.dirname(file), 'chat-conversations.json');
    const whole = fs.readFileSync(archive, 'utf8');
    fs.writeFileSync(archive, whole.slice(0, whole.length - 10));

    const told: string[] = [];
    const logger: Logger = { log: (_level, _message, details) => details?.keptAside && told.push(details.keptAside.movedTo) };
    const history = await ChatHistory.open(file, logger);
    assert.equal(told.length, 1);
    assert.equal(fs.readFileSync(told[0], 'utf8'), whole.slice(0, whole.length - 10));
    history.add(turn('Four', 4000));
    history.startNew();
    await history.flush();
    assert.equal(fs.readFileSync(told[0], 'utf8'), whole.slice(0, whole.length - 10), 'New Chat did not write over the kept file');

    // A wrong shape (valid JSON) is damage too, and its kept copy does not replace the first one.
    fs.writeFileSync(archive, JSON.stringify({ conversations: 'not a list' }));
    await ChatHistory.open(file, logger);
    assert.equal(told.length, 2);
    assert.notEqual(told[1], told[0]);
    assert.ok(fs.existsSync(told[0]) && fs.existsSync(told[1]));
  });

  test('two windows (processes) saving into one history lose no conversation and no turn', async () => {
    const file = newFile();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const start = (tag: string) => {
      let stderr = '';
      const child = fork(path.join(__dirname, '../support/historyWriter.ts'), [file, tag, '12'], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      child.stderr!.on('data', (data) => (stderr += data));
      const ready = new Promise<void>((resolve) => child.once('message', () => resolve()));
      const exited = new Promise<string>((resolve, reject) => {
        child.on('error', reject);
        child.on('exit', (code) => (code === 0 ? resolve(stderr) : reject(new Error(`${tag} exited with ${code}: ${stderr}`))));
      });
      return { child, ready, exited };
    };
    for (let round = 0; round < 2; round++) {
      const windows = [start(`A${round}`), start(`B${round}`)];
      await Promise.all(windows.map((w) => w.ready));
      for (const w of windows) w.child.send('go');
      const outputs = await Promise.all(windows.map((w) => w.exited));
      assert.ok(outputs.every((output) => !output.includes('[error]')), outputs.join('\n'));
    }
    const history = await reopen(file);
    const questions = history.all().map((t) => t.question);
    for (const conversation of history.list()) questions.push(...history.reopen(conversation.id)!.map((t) => t.question));
    const asked = ['A0', 'B0', 'A1', 'B1'].flatMap((tag) => Array.from({ length: 12 }, (_, i) => `${tag} question ${i + 1}`));
    assert.deepEqual(asked.filter((question) => !questions.includes(question)), [], 'every question either window asked is in the history');
    assert.equal(questions.length, asked.length, 'and none twice');
  });
});
