/**
 * ChatService in-process on the real ChatModel (node-llama-cpp on the tiny generated GGUF),
 * a real ChatHistory on disk, the real keyword index over a few documents and a
 * RequestManager: the streamed events, Stop in every phase, a newer request superseding an
 * older one, and model errors; then what makes answers worth trusting (citations, nothing
 * found, no model, follow-ups, the context window).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken, RequestManager } from '../../src/pipeline/cancellation';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import { ChatService } from '../../src/pipeline/chat/chatService';
import { askHeadless, assertOneTerminal, headlessChat, type Asked, type HeadlessChat } from '../support/headlessChat';
import { ChatHistory } from '../../src/pipeline/chat/history';
import { ChatModel } from '../../src/pipeline/llm/chatModel';
import type { Logger } from '../../src/pipeline/log';
import { WorkspaceRetriever } from '../../src/pipeline/retrieval/workspaceRetriever';
import { STOPPED_MARKER, type ChatEvent, type ChatTurn, type ProcessingPhase } from '../../src/protocol/events';
import type { PipelineSettings } from '../../src/protocol/settings';
import { ensureTinyGguf } from '../fixtures/tinyGguf';
import { tinyModelSettings } from '../support/pipelineHarness';
import { analyze, fallbackQuery, REWRITE_MAX_TOKENS } from '../../src/pipeline/chat/analysis';
import { buildSystemPrompt, packPrompt } from '../../src/pipeline/chat/prompt';
import { citedNumbers, splitCitations } from '../../src/protocol/citations';

const MAX_ANSWER_TOKENS = 400;
/** How long to keep listening after a request settled, to catch late events. */
const SETTLE_MS = 200;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

let modelPath: string;
let tmpDir: string;
const modelLogs: string[] = [];
const modelLogger: Logger = { log: (level, message) => modelLogs.push(`[${level}] ${message}`) };
let model: ChatModel;
let index: WorkspaceIndex;

/** Documents every question below finds words of, so the model is asked to answer. */
const DOCS: Record<string, string> = {
  'guide.md': '# Search\n\nThe docs explain how search works: the index stores every question and every answer.\n\n## Answers\n\nWrite a long answer or a short one; anything asked now is searched first.\n',
};

before(async () => {
  modelPath = await ensureTinyGguf();
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-chat-service-'));
  model = new ChatModel(modelLogger);
  const docs = path.join(tmpDir, 'docs');
  fs.mkdirSync(docs);
  for (const [name, text] of Object.entries(DOCS)) fs.writeFileSync(path.join(docs, name), text);
  index = await WorkspaceIndex.open(path.join(tmpDir, 'index'), modelLogger);
  await index.indexFiles(
    Object.keys(DOCS).map((name) => ({ absPath: path.join(docs, name), displayPath: `docs/${name}` })),
    new RequestToken('index'),
  );
});

after(async () => {
  await model.dispose();
  await index?.close();
  await Promise.all(histories.map((history) => history.flush()));
  fs.rmSync(tmpDir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
});

interface Setup {
  service: HeadlessChat;
  requests: RequestManager;
  history: ChatHistory;
  historyFile: string;
  settings: PipelineSettings;
  logs: string[];
}

let setups = 0;
const histories: ChatHistory[] = [];

async function setup(overrides: Partial<PipelineSettings> = {}, chatModel: ChatModel = model): Promise<Setup> {
  const logs: string[] = [];
  const logger: Logger = { log: (level, message) => logs.push(`[${level}] ${message}`) };
  const historyFile = path.join(tmpDir, `history-${++setups}.json`);
  const history = await ChatHistory.open(historyFile, logger);
  histories.push(history);
  const requests = new RequestManager((error) => logs.push(`[callback error] ${String(error)}`));
  const settings = tinyModelSettings(modelPath, { maxAnswerTokens: MAX_ANSWER_TOKENS, ...overrides });
  const service = headlessChat(new ChatService({
    model: chatModel,
    retriever: new WorkspaceRetriever(() => index, logger),
    history,
    settings: () => settings,
    logger,
  }), requests);
  return { service, requests, history, historyFile, settings, logs };
}

const ask = (service: HeadlessChat, requestId: string, question: string, onEvent?: Parameters<typeof askHeadless>[2]) =>
  askHeadless(service, { requestId, question }, onEvent);

const isContent = (event: ChatEvent): event is Extract<ChatEvent, { content: string }> => 'content' in event;
const contentOf = (events: ChatEvent[]) => events.filter(isContent).map((event) => event.content).join('');
const phasesOf = (events: ChatEvent[]) => events.flatMap((event) => ('phase' in event ? [event.phase] : []));

/** One {error, code: 'modelUnavailable'} that names localRag.chatModel and `modelFile`; no content. */
function assertModelUnavailable(asked: Asked, modelFile: string): void {
  assertOneTerminal(asked, asked.terminal);
  const terminal = asked.terminal;
  assert.ok('error' in terminal, JSON.stringify(terminal));
  assert.equal(terminal.code, 'modelUnavailable');
  assert.match(terminal.error, /localRag\.chatModel/);
  assert.ok(terminal.error.includes(modelFile), terminal.error);
  assert.equal(asked.events.filter(isContent).length, 0);
}

function assertAllTagged(events: ChatEvent[], requestId: string): void {
  for (const event of events) assert.equal(event.requestId, requestId, `event ${JSON.stringify(event)}`);
}

async function readHistoryFile(file: string): Promise<ChatTurn[]> {
  return JSON.parse(await fs.promises.readFile(file, 'utf8')) as ChatTurn[];
}

describe('ChatService on the real chat model', () => {
  test('a full request streams ANALYSIS, RETRIEVAL, sources, GENERATION, content, then done; history keeps the answer', async () => {
    const { service, requests, history, historyFile } = await setup();
    const askedAt = Date.now();
    const asked = await ask(service, 'full-1', 'What do the docs say about search?');

    assertAllTagged(asked.events, 'full-1');
    assert.deepEqual(asked.events.slice(0, 2), [
      { requestId: 'full-1', phase: 'ANALYSIS', status: 'Analyzing…' },
      { requestId: 'full-1', phase: 'RETRIEVAL', status: 'Searching…' },
    ]);
    const sourcesEvent = asked.events[2];
    assert.ok(sourcesEvent && 'sources' in sourcesEvent, JSON.stringify(sourcesEvent));
    assert.ok(sourcesEvent.sources.length > 0 && sourcesEvent.sources.every((source) => source.path === 'docs/guide.md'));
    assert.deepEqual(asked.events[3], { requestId: 'full-1', phase: 'GENERATION', status: 'Generating…' });
    const middle = asked.events.slice(4, -1);
    assert.ok(middle.length >= 1, 'at least one content event');
    for (const event of middle) {
      assert.ok(isContent(event), `only content between GENERATION and done, got ${JSON.stringify(event)}`);
    }
    assertOneTerminal(asked, { requestId: 'full-1', done: true });

    const answer = contentOf(asked.events);
    assert.ok(answer.trim().length > 0, 'the answer has text');
    // The tiny model never emits an end token: it writes until maxAnswerTokens. Tokens
    // arrive coalesced into fewer events, and every token is at least one character.
    assert.ok(middle.every((event) => !isContent(event) || event.content.length > 0), 'no empty chunks');
    assert.ok(answer.length >= MAX_ANSWER_TOKENS, `a full answer: ${answer.length} characters`);

    const turns = history.all();
    assert.equal(turns.length, 1);
    const [turn] = turns;
    assert.ok(turn);
    assert.equal(turn.question, 'What do the docs say about search?');
    assert.equal(turn.outcome, 'done');
    assert.equal(turn.answer, answer);
    assert.deepEqual(turn.sources, sourcesEvent.sources);
    assert.ok(turn.askedAt >= askedAt && turn.askedAt <= Date.now());

    await history.flush();
    const onDisk = await readHistoryFile(historyFile);
    assert.deepEqual(onDisk, turns);
    // A restart (reopening the file) shows the same conversation.
    const reopened = await ChatHistory.open(historyFile, modelLogger);
    assert.deepEqual(reopened.all(), turns);

    assert.equal(requests.isBusy, false, 'the finished request no longer holds the manager');
    assert.equal(requests.cancelCurrent(), false, 'Stop after the answer finished has nothing to stop');
  });

  const stopCases: { name: string; phase: ProcessingPhase; afterChunks?: number }[] = [
    { name: 'ANALYSIS', phase: 'ANALYSIS' },
    { name: 'RETRIEVAL', phase: 'RETRIEVAL' },
    { name: 'GENERATION, before the first chunk', phase: 'GENERATION' },
    { name: 'GENERATION, after 5 chunks', phase: 'GENERATION', afterChunks: 5 },
  ];

  for (const stopCase of stopCases) {
    test(`Stop during ${stopCase.name} ends with one {cancelled} and saves the partial answer`, async () => {
      const { service, requests, history, historyFile, logs } = await setup();
      const requestId = `stop-${stopCase.phase}-${stopCase.afterChunks ?? 0}`;
      let stopResult: boolean | undefined;
      let eventsAtStop = -1;
      let acknowledgedAtOnce = false;
      const asked = await ask(service, requestId, 'Tell me about the index.', (event, events) => {
        if (stopResult !== undefined) return;
        const reached =
          stopCase.afterChunks === undefined
            ? 'phase' in event && event.phase === stopCase.phase
            : isContent(event) && events.filter(isContent).length === stopCase.afterChunks;
        if (reached) {
          eventsAtStop = events.length;
          stopResult = requests.cancelCurrent(); // the Stop button
          acknowledgedAtOnce = 'cancelled' in (events.at(-1) ?? {});
        }
      });
      assert.equal(stopResult, true, 'Stop found a running request');
      assert.equal(acknowledgedAtOnce, true, '{cancelled} is sent while Stop is handled, not after the work unwinds');

      const terminal = { requestId, cancelled: true as const };
      assertOneTerminal(asked, terminal);
      assertAllTagged(asked.events, requestId);
      // {cancelled} is the very next event after the one that triggered Stop: it does not
      // wait for the work to unwind.
      assert.equal(asked.events.length, eventsAtStop + 1, JSON.stringify(asked.events));

      // Nothing arrives later either, while the model and the retriever wind down.
      const settled = asked.events.length;
      await sleep(SETTLE_MS);
      assert.equal(asked.events.length, settled);

      // No phase after the stopped one was entered.
      const allPhases: ProcessingPhase[] = ['ANALYSIS', 'RETRIEVAL', 'GENERATION'];
      assert.deepEqual(phasesOf(asked.events), allPhases.slice(0, allPhases.indexOf(stopCase.phase) + 1));
      // Sources are sent only once retrieval finished, that is, only when Stop came later.
      assert.equal(
        asked.events.some((event) => 'sources' in event),
        stopCase.phase === 'GENERATION',
      );

      const streamed = contentOf(asked.events);
      assert.equal(asked.events.filter(isContent).length, stopCase.afterChunks ?? 0);
      const expectedAnswer = streamed ? `${streamed}\n\n${STOPPED_MARKER}` : STOPPED_MARKER;
      const turns = history.all();
      assert.equal(turns.length, 1);
      assert.equal(turns[0]?.outcome, 'cancelled');
      assert.equal(turns[0]?.question, 'Tell me about the index.');
      assert.equal(turns[0]?.answer, expectedAnswer);
      await history.flush();
      assert.deepEqual(await readHistoryFile(historyFile), turns);

      assert.ok(
        logs.some((line) => line.includes(requestId) && line.includes(`stopped during ${stopCase.phase}`)),
        `log says where it stopped: ${JSON.stringify(logs)}`,
      );
      assert.ok(!logs.some((line) => line.startsWith('[error]') || line.startsWith('[callback error]')), JSON.stringify(logs));
      assert.equal(requests.isBusy, false);
      assert.equal(requests.cancelCurrent(), false, 'a second Stop has nothing left to stop');
    });
  }

  test('Stop during generation halts the model, not just the events', async () => {
    // With a long answer allowed, a stopped request must settle long before the model could
    // have written it all. (The stopped request goes first, so that loading the model is
    // not counted in the time a full answer takes.)
    const { service, requests } = await setup({ maxAnswerTokens: 1000 });
    let stoppedAt = 0;
    const stopped = await ask(service, 'long-stop', 'Write a long answer.', (event, events) => {
      if (!stoppedAt && isContent(event) && events.filter(isContent).length === 3) {
        stoppedAt = Date.now();
        requests.cancelCurrent();
      }
    });
    const unwindMs = Date.now() - stoppedAt;
    assert.deepEqual(stopped.terminal, { requestId: 'long-stop', cancelled: true });

    const full = Date.now();
    const whole = await ask(service, 'long-full', 'Write a long answer.');
    const fullMs = Date.now() - full;
    assert.deepEqual(whole.terminal, { requestId: 'long-full', done: true });
    assert.ok(contentOf(whole.events).length >= 1000, 'the long answer is long');
    assert.ok(unwindMs < fullMs / 4, `stopped request settled ${unwindMs} ms after Stop; a full answer took ${fullMs} ms`);
  });

  test('the model stays usable after a stop: the next request runs to done', async () => {
    const { service, requests, history } = await setup();
    const stopped = await ask(service, 'usable-1', 'First question', (event, events) => {
      if (isContent(event) && events.filter(isContent).length === 2) requests.cancelCurrent();
    });
    assert.deepEqual(stopped.terminal, { requestId: 'usable-1', cancelled: true });

    const next = await ask(service, 'usable-2', 'Second question');
    assertOneTerminal(next, { requestId: 'usable-2', done: true });
    assertAllTagged(next.events, 'usable-2');
    assert.deepEqual(phasesOf(next.events), ['ANALYSIS', 'RETRIEVAL', 'GENERATION']);
    const answer = contentOf(next.events);
    assert.ok(contentOf(next.events).length >= MAX_ANSWER_TOKENS, 'a full answer, not a truncated one');
    assert.deepEqual(
      history.all().map((turn) => [turn.question, turn.outcome]),
      [
        ['First question', 'cancelled'],
        ['Second question', 'done'],
      ],
    );
    assert.equal(history.all()[1]?.answer, answer);
  });

  test('a new request cancels the old one: A ends with {cancelled} before any event of B, and B runs to done', async () => {
    const { service, requests, history, historyFile, logs } = await setup();
    const all: ChatEvent[] = [];
    const eventsA: ChatEvent[] = [];
    const eventsB: ChatEvent[] = [];
    let chunksSeen: () => void = () => {};
    const aStreamed = new Promise<void>((resolve) => (chunksSeen = resolve));

    const requestA = service.handle({ requestId: 'req-A', question: 'Question A' }, (event) => {
      all.push(event);
      eventsA.push(event);
      if (eventsA.filter(isContent).length === 3) chunksSeen();
    });
    await aStreamed;
    assert.equal(requests.currentToken?.requestId, 'req-A');

    // The user asks again while A is still answering.
    const requestB = service.handle({ requestId: 'req-B', question: 'Question B' }, (event) => {
      all.push(event);
      eventsB.push(event);
    });
    assert.equal(requests.currentToken?.requestId, 'req-B', 'B is the current request at once');

    const [terminalA, terminalB] = await Promise.all([requestA, requestB]);
    await sleep(SETTLE_MS);

    assertOneTerminal({ events: eventsA, terminal: terminalA }, { requestId: 'req-A', cancelled: true });
    assertOneTerminal({ events: eventsB, terminal: terminalB }, { requestId: 'req-B', done: true });
    assertAllTagged(eventsA, 'req-A');
    assertAllTagged(eventsB, 'req-B');

    const cancelledA = all.findIndex((event) => event.requestId === 'req-A' && 'cancelled' in event);
    const firstB = all.findIndex((event) => event.requestId === 'req-B');
    assert.ok(cancelledA >= 0 && firstB >= 0);
    assert.ok(cancelledA < firstB, 'A is cancelled before B shows anything');
    assert.ok(
      all.slice(firstB).every((event) => event.requestId === 'req-B'),
      'no event of A after the first event of B',
    );
    assert.ok(eventsA.filter(isContent).length >= 3);
    assert.deepEqual(phasesOf(eventsB), ['ANALYSIS', 'RETRIEVAL', 'GENERATION']);
    assert.ok(contentOf(eventsB).length >= MAX_ANSWER_TOKENS, 'B gets a full answer');

    const turns = history.all();
    assert.deepEqual(
      turns.map((turn) => [turn.question, turn.outcome]),
      [
        ['Question A', 'cancelled'],
        ['Question B', 'done'],
      ],
    );
    assert.equal(turns[0]?.answer, `${contentOf(eventsA)}\n\n${STOPPED_MARKER}`);
    assert.equal(turns[1]?.answer, contentOf(eventsB));
    await history.flush();
    assert.deepEqual(await readHistoryFile(historyFile), turns);

    assert.ok(logs.some((line) => line.includes('req-A') && line.includes('stopped during GENERATION')), JSON.stringify(logs));
    assert.equal(requests.isBusy, false, 'A finishing late did not leave B\'s token behind, and B cleared its own');
  });

  test('a chat model path that does not exist: one {error} naming the path and localRag.chatModel', async () => {
    const missing = path.join(tmpDir, 'no-such-model.gguf');
    const { service } = await setup({ chatModel: missing });
    assertModelUnavailable(await ask(service, 'missing-model', 'Anything?'), missing);
  });

  test('a file that is not a GGUF: an actionable error, and the next request with a valid model is answered', async () => {
    const garbage = path.join(tmpDir, 'not-a-model.gguf');
    fs.writeFileSync(garbage, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 37 + 11) % 256)));
    const { service, settings, history } = await setup({ chatModel: garbage });

    assertModelUnavailable(await ask(service, 'garbage', 'Anything?'), garbage);

    // A GGUF cut short (an interrupted download) fails the same way.
    const truncated = path.join(tmpDir, 'truncated.gguf');
    const whole = await fs.promises.readFile(modelPath);
    fs.writeFileSync(truncated, whole.subarray(0, Math.floor(whole.length / 2)));
    settings.chatModel = truncated;
    assertModelUnavailable(await ask(service, 'truncated', 'Anything?'), truncated);

    settings.chatModel = modelPath;
    const next = await ask(service, 'after-garbage', 'Anything now?');
    assertOneTerminal(next, { requestId: 'after-garbage', done: true });
    assert.ok(contentOf(next.events).length > 0);
    assert.deepEqual(
      history.all().map((turn) => turn.outcome),
      ['error', 'error', 'done'],
    );
  });

  test('Stop while the model is still loading is acknowledged at once, and the loaded model is reused', async () => {
    const loadLogs: string[] = [];
    const freshModel = new ChatModel({ log: (level, message) => loadLogs.push(`[${level}] ${message}`) });
    try {
      const { service, requests } = await setup({}, freshModel);
      let stoppedAt = 0;
      let cancelledAt = 0;
      const asked = await ask(service, 'loading-stop', 'Anything?', (event) => {
        if ('phase' in event && event.phase === 'GENERATION') {
          // The model starts loading right after this event; press Stop while it loads.
          setImmediate(() => {
            stoppedAt = Date.now();
            requests.cancelCurrent();
          });
        }
        if ('cancelled' in event) cancelledAt = Date.now();
      });
      assertOneTerminal(asked, { requestId: 'loading-stop', cancelled: true });
      assert.ok(stoppedAt > 0 && cancelledAt - stoppedAt < 50, '{cancelled} did not wait for the load');
      assert.equal(asked.events.filter(isContent).length, 0);
      assert.ok(freshModel.device, 'the load went on to the end although its request was stopped');

      const next = await ask(service, 'after-loading-stop', 'Anything now?');
      assertOneTerminal(next, { requestId: 'after-loading-stop', done: true });
      assert.equal(loadLogs.filter((line) => line.includes('loaded in')).length, 1, JSON.stringify(loadLogs));
    } finally {
      await freshModel.dispose();
    }
  });
});

describe('answers worth trusting', () => {
  let docsIndex: WorkspaceIndex;
  const docsDir = () => path.join(tmpDir, 'trust-docs');
  const FILES: Record<string, string> = {
    'stop.md': '# Stop\n\nThe Stop button ends an answer at once and keeps what was written.\nPress Esc in the input to stop as well.\n',
    'indexing.md': '# Indexing\n\nIndexing reads every Markdown, text, code and PDF file of the workspace.\nUnchanged files are skipped on the next run.\n',
    'src/chunker.ts': '// Chunks split documents by headings and lines.\nexport function chunker(text: string) {\n  return text.split("\\n\\n");\n}\n',
  };

  before(async () => {
    for (const [name, text] of Object.entries(FILES)) {
      fs.mkdirSync(path.dirname(path.join(docsDir(), name)), { recursive: true });
      fs.writeFileSync(path.join(docsDir(), name), text);
    }
    docsIndex = await WorkspaceIndex.open(path.join(tmpDir, 'trust-index'), modelLogger);
    await docsIndex.indexFiles(
      Object.keys(FILES).map((name) => ({ absPath: path.join(docsDir(), name), displayPath: name })),
      new RequestToken('trust-index'),
    );
  });
  after(() => docsIndex?.close());

  async function trustSetup(overrides: Partial<PipelineSettings> = {}): Promise<Setup> {
    const made = await setup(overrides);
    const logger: Logger = { log: (level, message) => made.logs.push(`[${level}] ${message}`) };
    const service = headlessChat(new ChatService({
      model,
      retriever: new WorkspaceRetriever(() => docsIndex, logger),
      history: made.history,
      settings: () => made.settings,
      logger,
    }), made.requests);
    return { ...made, service };
  }

  const sourcesOf = (events: ChatEvent[]) => events.flatMap((event) => ('sources' in event ? [event.sources] : [])).at(-1) ?? [];

  test('the sources list and the prompt number the same passages: [n] is the n-th source', () => {
    const sources = [
      { path: 'stop.md', startLine: 1, endLine: 4, excerpt: 'The Stop button ends an answer.', score: 3 },
      { path: 'indexing.md', startLine: 1, endLine: 5, excerpt: 'Indexing reads every file.', score: 2 },
    ];
    const prompt = buildSystemPrompt(sources);
    assert.ok(prompt.indexOf('[1] stop.md, lines 1-4\nThe Stop button') > 0, prompt);
    assert.ok(prompt.indexOf('[2] indexing.md, lines 1-5\nIndexing reads') > prompt.indexOf('[1] stop.md'), prompt);
    assert.match(prompt, /only numbers 1 to 2/);
  });

  test('citations with a source become links; numbers the model invents stay plain text', () => {
    const parts = splitCitations('Stop ends it [1]. Indexing skips files [2, 7]. See also [9] and [0].', 2);
    assert.deepEqual(parts, [
      { text: 'Stop ends it ' },
      { text: '[1]', cite: 1 },
      { text: '. Indexing skips files ' },
      { text: '[2]', cite: 2 },
      { text: ', [7]. See also [9] and [0].' },
    ]);
    assert.deepEqual(citedNumbers('a [1] b [3] c [1, 2] [12]', 2), { valid: [1, 2], invented: [3, 12] });
    assert.deepEqual(splitCitations('no sources [1]', 0), [{ text: 'no sources [1]' }]);
    // Not citations: array indexing in code, links.
    assert.deepEqual(splitCitations('x[i] and [link](u)', 3), [{ text: 'x[i] and [link](u)' }]);
  });

  test('nothing relevant: no hits at all, the answer says so without calling the model', async () => {
    const { service, history, logs } = await trustSetup();
    const asked = await ask(service, 'nothing-1', 'Quantum chromodynamics gluons?');
    assertOneTerminal(asked, { requestId: 'nothing-1', done: true });
    assert.deepEqual(sourcesOf(asked.events), []);
    assert.match(contentOf(asked.events), /found nothing about this in the workspace documents/);
    assert.match(contentOf(asked.events), /No passage matched/);
    assert.equal(history.all()[0]?.outcome, 'done');
    assert.ok(!logs.some((line) => line.includes('loaded in')), 'the model was not needed');
  });

  test('nothing relevant: hits on common words only count as nothing', async () => {
    const { service } = await trustSetup();
    // One stop word is too few to guess the question's language (store/queryLanguage.ts), so
    // BM25 searches "at" and finds it in stop.md; none of the question's key words.
    const asked = await ask(service, 'weak-1', 'Tides at sea?');
    assertOneTerminal(asked, { requestId: 'weak-1', done: true });
    assert.deepEqual(sourcesOf(asked.events), []);
    assert.match(contentOf(asked.events), /share only common words/);
    // Enough stop words to tell English: they are not searched, so nothing matches at all.
    const english = await ask(service, 'weak-2', 'What are the tides and the moon on?');
    assert.deepEqual(sourcesOf(english.events), []);
    assert.match(contentOf(english.events), /No passage matched/);
  });

  test('no chat model set: the best sentences of the top passages, each cited, and how to get a model', async () => {
    const { service, history } = await trustSetup({ chatModel: '' });
    const asked = await ask(service, 'no-model', 'What does the Stop button keep?');
    assertOneTerminal(asked, { requestId: 'no-model', done: true });
    const sources = sourcesOf(asked.events);
    assert.equal(sources[0]?.path, 'stop.md');
    const answer = contentOf(asked.events);
    // Two sentences of the passage, its heading as a path in front (not quoted as a sentence).
    assert.match(answer, /^- \*Stop\* › The Stop button ends an answer at once and keeps what was written\. Press Esc in the input to stop as well\. \[1\]$/m);
    assert.deepEqual(citedNumbers(answer, sources.length).invented, [], answer);
    assert.match(answer, /Local RAG: Download Models/);
    assert.match(answer, /localRag\.chatModel/);
    assert.equal(history.all()[0]?.answer, answer);
    assert.deepEqual(history.all()[0]?.sources, sources);
  });

  test('a configured model that is missing is still an actionable error, not a silent quotation', async () => {
    const { service } = await trustSetup({ chatModel: path.join(tmpDir, 'gone.gguf') });
    const asked = await ask(service, 'gone', 'What does the Stop button keep?');
    assert.ok('error' in asked.terminal && asked.terminal.code === 'modelUnavailable', JSON.stringify(asked.terminal));
  });

  test('follow-up without a model: a short question that points back borrows the key words of the one before', async () => {
    const { service } = await trustSetup({ chatModel: '' });
    await ask(service, 'follow-1', 'How does the Stop button work?');
    // "keep" alone matches nothing ("keeps" is a different word for BM25 at four letters).
    const alone = await ask((await trustSetup({ chatModel: '' })).service, 'follow-alone', 'What does it keep?');
    assert.deepEqual(sourcesOf(alone.events), []);
    const followUp = await ask(service, 'follow-2', 'What does it keep?');
    assertOneTerminal(followUp, { requestId: 'follow-2', done: true });
    assert.equal(sourcesOf(followUp.events)[0]?.path, 'stop.md');

    const turns: ChatTurn[] = [{ question: 'Làm sao để dừng câu trả lời?', answer: '', outcome: 'done', sources: [], askedAt: 0 }];
    assert.equal(fallbackQuery('Nó giữ lại gì?', turns), 'Nó giữ lại gì? làm sao để dừng câu trả lời');
    assert.equal(fallbackQuery('How are PDF files split into chunks by the indexer?', turns), 'How are PDF files split into chunks by the indexer?', 'a full question stands alone');
    assert.equal(fallbackQuery('What does it keep?', []), 'What does it keep?', 'no history, nothing to borrow');
  });

  test('follow-up with a model: the rewrite is bounded, falls back on nonsense, and Stop ends it at once', async () => {
    const { service, requests, history } = await trustSetup();
    const first = await ask(service, 'rewrite-1', 'How does the Stop button work?');
    assertOneTerminal(first, { requestId: 'rewrite-1', done: true });

    // The tiny model writes nonsense: the check rejects it and the key words carry the search.
    const rewriteLogs: string[] = [];
    const started = Date.now();
    const query = await analyze('What does it keep?', history.all(), model, tinyModelSettings(modelPath), new RequestToken('rw'), {
      log: (level, message) => rewriteLogs.push(`[${level}] ${message}`),
    });
    const rewriteMs = Date.now() - started;
    assert.equal(query, fallbackQuery('What does it keep?', history.all()));
    // Bounded: REWRITE_MAX_TOKENS tokens, far fewer than an answer's MAX_ANSWER_TOKENS.
    assert.ok(REWRITE_MAX_TOKENS * 4 <= MAX_ANSWER_TOKENS);
    const answerStarted = Date.now();
    await ask(service, 'rewrite-timing', 'How does the Stop button work?');
    assert.ok(rewriteMs < (Date.now() - answerStarted) / 2, `rewrite ${rewriteMs} ms`);

    // Stop while the model rewrites the follow-up (ANALYSIS): acknowledged at once.
    let stoppedAt = 0;
    let cancelledAt = 0;
    const stopped = await ask(service, 'rewrite-stop', 'What does it keep?', (event) => {
      if ('phase' in event && event.phase === 'ANALYSIS') {
        setTimeout(() => {
          stoppedAt = Date.now();
          requests.cancelCurrent();
        }, 5);
      }
      if ('cancelled' in event) cancelledAt = Date.now();
    });
    assertOneTerminal(stopped, { requestId: 'rewrite-stop', cancelled: true });
    assert.deepEqual(phasesOf(stopped.events), ['ANALYSIS']);
    assert.ok(cancelledAt - stoppedAt < 50, `{cancelled} ${cancelledAt - stoppedAt} ms after Stop`);
    const next = await ask(service, 'rewrite-next', 'What does it keep?');
    assertOneTerminal(next, { requestId: 'rewrite-next', done: true });
    assert.equal(sourcesOf(next.events)[0]?.path, 'stop.md');
  });

  test('at the context limit: history, sources and even a huge question are trimmed by tokens, never an overflow', async () => {
    const { service, logs } = await trustSetup({ contextSize: 512, maxAnswerTokens: 100 });
    // Every document matches; with byte-level tokens they cannot all fit in 512.
    const question = 'What do Stop, Indexing and the chunker do with every file and answer?';
    await ask(service, 'limit-0', question);
    const asked = await ask(service, 'limit-1', `${question} It keeps what?`);
    assertOneTerminal(asked, { requestId: 'limit-1', done: true });
    const lists = asked.events.flatMap((event) => ('sources' in event ? [event.sources] : []));
    assert.equal(lists.length, 2, 'found, then trimmed to what the model read');
    assert.ok(lists[1].length < lists[0].length || lists[1].some((source, i) => source.excerpt !== lists[0][i]?.excerpt));
    assert.ok(contentOf(asked.events).length > 0);
    assert.ok(logs.some((line) => line.includes('fit the context window')), JSON.stringify(logs));

    const huge = await ask(service, 'limit-huge', `Stop button ${'and the index '.repeat(1500)}`);
    assertOneTerminal(huge, { requestId: 'limit-huge', done: true });
    assert.ok(contentOf(huge.events).length > 0);

    // The packing itself, measured by the model's own tokenizer, stays under the budget.
    const budget = 300;
    const measure = { budget, count: (parts: { systemPrompt: string; history: { text: string }[]; prompt: string }) => Buffer.byteLength(parts.systemPrompt + parts.history.map((m) => m.text).join('') + parts.prompt) };
    const packed = packPrompt('q', lists[0], [{ role: 'user', text: 'x'.repeat(500) }, { role: 'assistant', text: 'y' }], measure);
    assert.ok(measure.count(packed.parts) <= budget);
    assert.deepEqual(packed.parts.history, [], 'older turns go first');
  });
});
