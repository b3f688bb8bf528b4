/**
 * A question with an attached file (src/pipeline/chat/attachment.ts) through ChatService, on
 * the real ChatModel (node-llama-cpp on the tiny generated GGUF) and real pdf.js in its
 * worker: the event order attach → extract → summarize → answer, the file cited, and Stop in
 * FILE_EXTRACTION (a 300-page PDF) and in SUMMARIZATION (during a part and between parts).
 *
 * PDFs go through the built worker (dist/pdfWorker.mjs): `npm run build` first.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestManager } from '../../src/pipeline/cancellation';
import { pickSections } from '../../src/pipeline/chat/attachment';
import { ChatService } from '../../src/pipeline/chat/chatService';
import { askHeadless, assertOneTerminal, headlessChat, type HeadlessChat } from '../support/headlessChat';
import { ChatHistory } from '../../src/pipeline/chat/history';
import { pdfWorkerCount, shutdownPdfWorkers } from '../../src/pipeline/indexing/extract/pdf';
import type { Chunk } from '../../src/pipeline/indexing/types';
import { ChatModel } from '../../src/pipeline/llm/chatModel';
import type { Logger } from '../../src/pipeline/log';
import { WorkspaceRetriever } from '../../src/pipeline/retrieval/workspaceRetriever';
import { STOPPED_MARKER, type ChatEvent, type Source } from '../../src/protocol/events';
import type { FileRef } from '../../src/protocol/indexing';
import { longPdf, multiPagePdf, PAGE_WORDS } from '../fixtures/pdfs';
import { ensureTinyGguf } from '../fixtures/tinyGguf';
import { tinyModelSettings } from '../support/pipelineHarness';

/** Short answers and summaries keep the tiny model's runs quick. */
const MAX_TOKENS = 48;
const SETTLE_MS = 200;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let dir: string;
let model: ChatModel;
const files: Record<'notes' | 'long' | 'pages' | 'longPdf' | 'binary', FileRef> = {} as never;

before(async () => {
  const modelPath = await ensureTinyGguf();
  model = new ChatModel({ log() {} });
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-attachment-'));
  const write = (name: string, data: string | Buffer): FileRef => {
    const absPath = path.join(dir, name);
    fs.writeFileSync(absPath, data);
    return { absPath, displayPath: `docs/${name}` };
  };
  files.notes = write(
    'notes.md',
    '# Notes\n\nThe harbour opens at dawn.\n\n## Lighthouse\n\nThe lighthouse keeper logs every passing albatross.\n',
  );
  files.long = write('long.txt', Array.from({ length: 200 }, (_, i) => `Line ${i + 1} tells of the harbour and its boats.`).join('\n'));
  files.pages = write('pages.pdf', await multiPagePdf());
  files.longPdf = write('long.pdf', await longPdf(300));
  files.binary = write('blob.txt', Buffer.from([0, 1, 2, 3, 0, 0, 7, 8, 9]));
  // Loaded once here, so that no test's timing includes loading the model.
  modelPathForSettings = modelPath;
});

after(async () => {
  await Promise.all(histories.map((history) => history.flush()));
  await model.dispose();
  await shutdownPdfWorkers();
  fs.rmSync(dir, { recursive: true, force: true });
});

let modelPathForSettings = '';
let setups = 0;
/** Every history the tests opened: their saves are awaited before the folder goes. */
const histories: ChatHistory[] = [];

async function setup(overrides: { contextSize?: number } = {}) {
  const logger: Logger = { log() {} };
  const history = await ChatHistory.open(path.join(dir, `history-${++setups}.json`), logger);
  histories.push(history);
  const requests = new RequestManager();
  const settings = tinyModelSettings(modelPathForSettings, { maxAnswerTokens: MAX_TOKENS, ...overrides });
  const service = headlessChat(new ChatService({
    model,
    retriever: new WorkspaceRetriever(() => undefined, logger),
    history,
    settings: () => settings,
    logger,
  }), requests);
  return { service, requests, history };
}

const ask = (service: HeadlessChat, requestId: string, question: string, attachment: FileRef | undefined, onEvent?: Parameters<typeof askHeadless>[2]) =>
  askHeadless(service, { requestId, question, attachment }, onEvent);

const isContent = (event: ChatEvent): event is Extract<ChatEvent, { content: string }> => 'content' in event;
const contentOf = (events: ChatEvent[]) => events.filter(isContent).map((event) => event.content).join('');
/** The phases in the order entered, repeated status lines of one phase counted once. */
const phasesOf = (events: ChatEvent[]) =>
  events.flatMap((event) => ('phase' in event ? [event.phase] : [])).filter((phase, i, all) => phase !== all[i - 1]);
const sourcesOf = (events: ChatEvent[]): Source[] => events.flatMap((event) => ('sources' in event ? event.sources : []));

describe('a question with an attached file', () => {
  test('runs FILE_EXTRACTION, then SUMMARIZATION streamed as content, then the answer, citing the file', async () => {
    const { service, history } = await setup();
    const asked = await ask(service, 'att-1', 'What does the lighthouse keeper log?', files.notes);

    assertOneTerminal(asked, { requestId: 'att-1', done: true });
    assert.deepEqual(phasesOf(asked.events), ['FILE_EXTRACTION', 'SUMMARIZATION', 'ANALYSIS', 'RETRIEVAL', 'GENERATION']);
    assert.deepEqual(asked.events[0], { requestId: 'att-1', phase: 'FILE_EXTRACTION', status: 'Reading docs/notes.md…' });
    assert.ok(asked.events.some((e) => 'status' in e && e.status === 'Summarizing docs/notes.md…'));

    // The summary streams (several content events) between SUMMARIZATION and ANALYSIS.
    const summarizing = asked.events.findIndex((e) => 'phase' in e && e.phase === 'SUMMARIZATION');
    const analysis = asked.events.findIndex((e) => 'phase' in e && e.phase === 'ANALYSIS');
    const summaryEvents = asked.events.slice(summarizing + 1, analysis);
    assert.ok(summaryEvents.length >= 2 && summaryEvents.every(isContent), JSON.stringify(summaryEvents));
    const summary = contentOf(summaryEvents);
    assert.match(summary, /^Summary of docs\/notes\.md:\n/);
    assert.ok(summary.length > 'Summary of docs/notes.md:\n'.length + MAX_TOKENS / 2, 'the model wrote a summary');

    // The answer's sources are the file: its summary, then the passage with the question's words.
    const sources = sourcesOf(asked.events);
    assert.ok(sources.length >= 2, JSON.stringify(sources));
    assert.ok(sources.every((source) => source.path === 'docs/notes.md'));
    assert.match(sources[0].heading ?? '', /^Summary/);
    assert.equal(sources[0].excerpt, summary.replace(/^Summary of docs\/notes\.md:\n/, '').trim());
    assert.match(sources[1].excerpt, /albatross/);
    assert.equal(sources[1].heading, 'Notes › Lighthouse');
    assert.equal(sources[1].startLine, 5, "the Lighthouse section starts on line 5");

    const generation = asked.events.findIndex((e) => 'phase' in e && e.phase === 'GENERATION');
    const answer = contentOf(asked.events.slice(generation));
    assert.ok(answer.length > 0, 'an answer after the summary');
    const [turn] = history.all();
    assert.equal(turn.outcome, 'done');
    assert.equal(turn.question, 'What does the lighthouse keeper log?');
    assert.equal(turn.answer, contentOf(asked.events), 'history keeps the summary and the answer the user saw');
    assert.deepEqual(turn.sources, sources);
  });

  test('a PDF is read page by page: its passages cite pages', async () => {
    const { service } = await setup();
    const asked = await ask(service, 'att-pdf', `Which page mentions ${PAGE_WORDS[2].split(' ')[1]}?`, files.pages);
    assertOneTerminal(asked, { requestId: 'att-pdf', done: true });
    assert.deepEqual(phasesOf(asked.events), ['FILE_EXTRACTION', 'SUMMARIZATION', 'ANALYSIS', 'RETRIEVAL', 'GENERATION']);
    const [summary, best] = sourcesOf(asked.events);
    assert.equal(summary.path, 'docs/pages.pdf');
    assert.equal(best.path, 'docs/pages.pdf');
    assert.equal(best.page, 3);
  });

  test('a long file is summarized in parts, each announced, within the context window', async () => {
    const { service, requests } = await setup({ contextSize: 1024 });
    // Stopped once the summary is complete: packing the answer's prompt is not this test's matter.
    const asked = await ask(service, 'att-parts', 'Which line tells of boats?', files.long, (event) => {
      if ('phase' in event && event.phase === 'ANALYSIS') requests.cancelCurrent();
    });
    assertOneTerminal(asked, { requestId: 'att-parts', cancelled: true });
    assert.ok(!contentOf(asked.events).includes(STOPPED_MARKER));
    const statuses = asked.events.flatMap((e) => ('phase' in e && e.phase === 'SUMMARIZATION' ? [e.status] : []));
    assert.deepEqual(statuses, [1, 2, 3, 4].map((n) => `Summarizing docs/long.txt (part ${n} of 4)…`));
  });

  test('a contextSize far beyond the model (1e6) still cuts a long file into parts that fit the window the model has', async () => {
    const { service, requests } = await setup({ contextSize: 1_000_000 });
    const asked = await ask(service, 'att-huge-context', 'Which line tells of boats?', files.long, (event) => {
      if ('phase' in event && event.phase === 'ANALYSIS') requests.cancelCurrent();
    });
    assertOneTerminal(asked, { requestId: 'att-huge-context', cancelled: true });
    const statuses = asked.events.flatMap((e) => ('phase' in e && e.phase === 'SUMMARIZATION' ? [e.status] : []));
    assert.deepEqual(statuses, [1, 2, 3, 4].map((n) => `Summarizing docs/long.txt (part ${n} of 4)…`), 'parts sized to the model\'s 2048 tokens, not to the setting');
  });

  test('Stop in FILE_EXTRACTION of a 300-page PDF ends at once with {cancelled} and ends the PDF worker', async () => {
    const { service, requests, history } = await setup();
    let stoppedAt = 0;
    let acknowledgedAtOnce = false;
    const asked = await ask(service, 'stop-extract', 'What is on page 200?', files.longPdf, (event, events) => {
      // Stop once pdf.js is well into the file (a page-progress status line).
      if (!stoppedAt && 'status' in event && /page \d+ of 300/.test(event.status)) {
        stoppedAt = Date.now();
        assert.equal(requests.cancelCurrent(), true);
        acknowledgedAtOnce = 'cancelled' in (events.at(-1) ?? {});
      }
    });
    const settledMs = Date.now() - stoppedAt;
    assert.ok(stoppedAt > 0, 'page progress was reported while reading');
    assert.ok(acknowledgedAtOnce, '{cancelled} is sent while Stop is handled');
    assertOneTerminal(asked, { requestId: 'stop-extract', cancelled: true });
    assert.deepEqual(phasesOf(asked.events), ['FILE_EXTRACTION']);
    assert.ok(settledMs < 500, `the request settled ${settledMs} ms after Stop`);
    assert.equal(pdfWorkerCount(), 0, 'the worker reading the PDF was terminated, not left running');
    const count = asked.events.length;
    await sleep(SETTLE_MS);
    assert.equal(asked.events.length, count, 'nothing after {cancelled}');
    assert.deepEqual(
      history.all().map((turn) => [turn.outcome, turn.answer]),
      [['cancelled', STOPPED_MARKER]],
    );
  });

  test('Stop in SUMMARIZATION ends at once, keeps the partial summary, and frees the model for the next question', async () => {
    const { service, requests, history } = await setup();
    let acknowledgedAtOnce = false;
    let stoppedAt = 0;
    const asked = await ask(service, 'stop-summary', 'Summarize it.', files.notes, (event, events) => {
      if (!stoppedAt && events.filter(isContent).length === 3) {
        stoppedAt = Date.now();
        assert.equal(requests.cancelCurrent(), true);
        acknowledgedAtOnce = 'cancelled' in (events.at(-1) ?? {});
      }
    });
    const settledMs = Date.now() - stoppedAt;
    assert.ok(acknowledgedAtOnce, '{cancelled} is sent while Stop is handled');
    assertOneTerminal(asked, { requestId: 'stop-summary', cancelled: true });
    assert.deepEqual(phasesOf(asked.events), ['FILE_EXTRACTION', 'SUMMARIZATION']);
    assert.ok(settledMs < 1000, `the request settled ${settledMs} ms after Stop`);
    const streamed = contentOf(asked.events);
    assert.match(streamed, /^Summary of docs\/notes\.md:\n/);
    assert.equal(history.all()[0].answer, `${streamed}\n\n${STOPPED_MARKER}`);
    assert.equal(requests.isBusy, false);

    // Nothing of the stopped summary is left holding the model: the next question runs whole.
    const next = await ask(service, 'after-stop', 'And the harbour?', files.notes);
    assertOneTerminal(next, { requestId: 'after-stop', done: true });
  });

  test('Stop between the parts of a summary: no later part starts', async () => {
    const { service, requests } = await setup({ contextSize: 1024 });
    const asked = await ask(service, 'stop-between', 'Boats?', files.long, (event) => {
      if ('status' in event && event.status.includes('part 2 of 4')) requests.cancelCurrent();
    });
    assertOneTerminal(asked, { requestId: 'stop-between', cancelled: true });
    const statuses = asked.events.flatMap((e) => ('status' in e ? [e.status] : []));
    assert.equal(statuses.at(-1), 'Summarizing docs/long.txt (part 2 of 4)…');
    const secondPart = asked.events.findIndex((e) => 'status' in e && e.status.includes('part 2'));
    assert.equal(asked.events.length, secondPart + 2, 'only {cancelled} after the part-2 status');
  });

  test('a binary file fails with a message naming it, before any summary', async () => {
    const { service } = await setup();
    const asked = await ask(service, 'att-binary', 'What is this?', files.binary);
    assert.ok('error' in asked.terminal, JSON.stringify(asked.terminal));
    assert.match(asked.terminal.error, /docs\/blob\.txt looks like a binary file/);
    assert.deepEqual(phasesOf(asked.events), ['FILE_EXTRACTION']);
  });
});

describe('pickSections', () => {
  const chunk = (i: number, text = `chunk ${i} `.padEnd(100, 'x')): Chunk => ({
    id: `f#${i}`,
    path: 'f',
    text,
    startLine: i * 10 + 1,
    endLine: i * 10 + 10,
  });

  test('a file that fits one part is one part, in order', () => {
    const chunks = [0, 1, 2].map((i) => chunk(i));
    assert.deepEqual(pickSections(chunks, 1000), [chunks]);
  });

  test('a long file is cut into parts that fit, and at most four spread over the file are kept', () => {
    const chunks = Array.from({ length: 100 }, (_, i) => chunk(i));
    const sections = pickSections(chunks, 350);
    assert.equal(sections.length, 4);
    for (const section of sections) {
      assert.ok(section.reduce((size, c) => size + Buffer.byteLength(c.text) + 1, 0) <= 350);
    }
    assert.equal(sections[0][0].id, 'f#0', 'the start of the file');
    assert.equal(sections[3].at(-1)?.id, 'f#99', 'the end of the file');
  });

  test('a chunk larger than a part is cut to fit, on a character boundary', () => {
    const sections = pickSections([chunk(0, 'ạ'.repeat(400))], 301);
    assert.equal(sections.length, 1);
    const text = sections[0][0].text;
    assert.ok(Buffer.byteLength(text) <= 300);
    assert.ok(!text.includes('\uFFFD'));
  });
});
