/**
 * Fault rounds against the real pipeline process, driven through the host's own client and
 * ChatController: kill -9 at random moments, and a storm of questions with random Stops,
 * newer questions and New Chat. The fault suite (test/pipeline/faults.test.ts) asserts on
 * what they observe; the benchmark (bench/faults.ts) reports their figures.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { ChatController, type ChatUpdate } from '../../src/host/chatController';
import { isTerminalEvent, STOPPED_MARKER, type ChatEvent, type ChatTurn, type TerminalEvent } from '../../src/protocol/events';
import type { FileRef } from '../../src/protocol/indexing';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';
import { startModelHost } from './modelHost';
import { ask, isAlive, SAMPLE_QUESTIONS, startHarness, writeSampleDocs, type Harness } from './pipelineHarness';
import { mulberry32 } from '../fixtures/random';

export type KillMoment = 'answering' | 'indexing' | 'saving' | 'writingHistory' | 'downloading';
export const KILL_MOMENTS: readonly KillMoment[] = ['answering', 'indexing', 'saving', 'writingHistory', 'downloading'];

/** What the rounds work on: a corpus to index, and a hub model to download (served slowly by the test). */
export interface KillTargets {
  corpus: FileRef[];
  modelId: string;
}

export interface KillRound {
  moment: KillMoment;
  /** What the killed request ended with, as its caller saw it (one per killed request). */
  outcomes: string[];
  /** The question asked after the kill: its terminal event and text. */
  next: TerminalEvent;
  nextText: string;
  /** Files the restarted pipeline's index holds, and the turns its history holds. */
  filesAfter: number;
  history: ChatTurn[];
  /** Milliseconds from the kill to the next question's first token. */
  recoveryMs: number;
}

/**
 * The pipeline the kill rounds work on, with a corpus indexed and a hub model served from
 * 127.0.0.1 slowly enough (about two seconds for its ~0.8 MB) that a kill lands mid-download.
 */
export async function startKillRig(files = 120): Promise<{ harness: Harness; targets: KillTargets; dispose(): Promise<void> }> {
  const modelId = 'tiny-org/tiny-embedder';
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-kill-'));
  const host = await startModelHost({ [modelId]: writeTinyEmbedder(path.join(root, 'embedder'), { dim: 256 }).dir }, { aliases: { 'onnx/model_quantized.onnx': 'onnx/model.onnx' } });
  host.bytesPerSecond = 400_000;
  const harness = await startHarness({ embeddingModel: '', rerankerModel: '', maxAnswerTokens: 300 }, { LOCAL_RAG_MODEL_HOST: host.url });
  const corpus = writeCorpus(path.join(harness.storageDir, 'corpus'), files);
  const first = await harness.client.indexFiles(corpus, new CancellationTokenSource().token);
  if (first.indexed !== corpus.length) throw new Error(`The corpus was not indexed: ${JSON.stringify(first)}`);
  return {
    harness,
    targets: { corpus, modelId },
    async dispose() {
      await harness.dispose();
      await host.close();
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A corpus big enough that indexing it takes a while (and saves along the way). */
export function writeCorpus(folder: string, files: number): FileRef[] {
  fs.mkdirSync(folder, { recursive: true });
  const refs = writeSampleDocs(folder);
  const rng = mulberry32(7);
  const words = ['index', 'segment', 'answer', 'stop', 'token', 'chunk', 'manifest', 'window', 'writer', 'reader', 'cancel', 'phase'];
  for (let i = 0; i < files; i++) {
    const lines: string[] = [`# Note ${i}`, ''];
    for (let p = 0; p < 30; p++) lines.push(Array.from({ length: 14 }, () => words[Math.floor(rng() * words.length)]).join(' ') + '.');
    const absPath = path.join(folder, `note-${i}.md`);
    fs.writeFileSync(absPath, lines.join('\n'));
    refs.push({ absPath, displayPath: `note-${i}.md` });
  }
  return refs;
}

function pidOf(harness: Harness): number {
  const pid = harness.client.pid;
  if (!pid) throw new Error('The pipeline process is not running.');
  return pid;
}

/**
 * One round: starts `moment`'s work, kills the pipeline with SIGKILL at a random point of it,
 * then asks a question (which starts a fresh process) and reads back the index and history.
 */
export async function killRound(harness: Harness, { corpus, modelId }: KillTargets, moment: KillMoment, rng: () => number, round: number): Promise<KillRound> {
  await harness.client.start();
  const pid = pidOf(harness);
  const outcomes: string[] = [];
  let killedAt = 0;
  const kill = () => {
    if (killedAt) return;
    killedAt = performance.now();
    process.kill(pid, 'SIGKILL');
  };
  if (moment === 'answering') {
    // Content arrives in 16 ms batches: kill at one of the first few, well inside the answer.
    const after = 1 + Math.floor(rng() * 3);
    let tokens = 0;
    const result = await ask(harness.client, `kill-${round}`, SAMPLE_QUESTIONS[round % SAMPLE_QUESTIONS.length], (event) => {
      if ('content' in event && ++tokens === after) kill();
    });
    if (!killedAt) kill(); // the answer was shorter than the draw: kill while idle instead
    outcomes.push(describe(result.terminal));
  } else if (moment === 'indexing' || moment === 'saving') {
    // A new line in every file, so the run really reads, cuts and saves them all again.
    for (const file of corpus) fs.appendFileSync(file.absPath, `\nRound ${round} touched this file.\n`);
    const killAt = moment === 'indexing' ? Math.floor(rng() * corpus.length * 0.9) : corpus.length;
    const source = new CancellationTokenSource();
    const run = harness.client.indexFiles(corpus, source.token, (progress) => {
      // 'saving': the last file is done, so the run is writing its segment and manifest now.
      if (progress.done >= killAt) setTimeout(kill, moment === 'saving' ? Math.floor(rng() * 5) : 0);
    });
    try {
      const report = await run;
      outcomes.push(`completed ${report.indexed + report.unchanged}`);
      kill();
    } catch (error) {
      outcomes.push(`error: ${(error as Error).message}`);
    }
  } else if (moment === 'downloading') {
    // Half the rounds start afresh, half resume what a killed round left.
    if (rng() < 0.5) fs.rmSync(path.join(harness.storageDir, 'models'), { recursive: true, force: true });
    const killAt = Math.floor(rng() * 0.8 * 1024 * 1024);
    const source = new CancellationTokenSource();
    try {
      const result = await harness.client.downloadModel({ role: 'embedding', id: modelId }, source.token, (progress) => {
        if (progress.transferredBytes >= killAt) kill();
      });
      outcomes.push(`completed ${result.completed}`);
      kill();
    } catch (error) {
      outcomes.push(`error: ${(error as Error).message}`);
    }
  } else {
    const result = await ask(harness.client, `history-${round}`, SAMPLE_QUESTIONS[round % SAMPLE_QUESTIONS.length]);
    // The turn is written behind the answer: kill within the write.
    await delay(Math.floor(rng() * 4));
    kill();
    outcomes.push(describe(result.terminal));
  }
  await waitForExit(pid);
  const next = await ask(harness.client, `next-${round}`, SAMPLE_QUESTIONS[(round + 1) % SAMPLE_QUESTIONS.length]);
  const firstToken = next.events.find((event) => 'content' in event);
  const recoveryMs = firstToken ? performance.now() - killedAt : NaN;
  const status = await harness.client.indexStatus();
  const history = await harness.client.getHistory();
  return { moment, outcomes, next: next.terminal, nextText: next.text, filesAfter: status.files, history, recoveryMs };
}

/**
 * The questions whose turns are on disk now, in the current conversation or an archived one
 * (what a fresh process will load). Unreadable files count as holding nothing.
 */
export function savedQuestions(storageDir: string): Set<string> {
  const read = (name: string): unknown => {
    try {
      return JSON.parse(fs.readFileSync(path.join(storageDir, name), 'utf8'));
    } catch {
      return undefined;
    }
  };
  const current = read('chat-history.json');
  const archive = read('chat-conversations.json') as { conversations?: { turns?: ChatTurn[] }[] } | undefined;
  const turns = [...(Array.isArray(current) ? (current as ChatTurn[]) : []), ...(archive?.conversations ?? []).flatMap((c) => c.turns ?? [])];
  return new Set(turns.map((turn) => turn.question));
}

function describe(terminal: TerminalEvent): string {
  if ('error' in terminal) return `error: ${terminal.error}`;
  return 'done' in terminal ? 'done' : 'cancelled';
}

async function waitForExit(pid: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (!isAlive(pid)) return;
    await delay(10);
  }
  throw new Error(`Process ${pid} did not exit after SIGKILL.`);
}

export interface StormRequest {
  requestId: string;
  question: string;
  /** Content events in the order the view got them, before the terminal event. */
  text: string;
  terminals: TerminalEvent[];
  /** Events the view got for this request after its terminal event. */
  late: ChatEvent[];
  /** Another request's 'started' arrived while this one had not ended. */
  overlapped: boolean;
  /** Cleared by New Chat before the storm ended (its turn lives in an earlier conversation). */
  cleared: boolean;
}

export interface Storm {
  requests: StormRequest[];
  /** The current conversation as the pipeline keeps it, after the storm. */
  history: ChatTurn[];
  /** Pipeline RSS (MB) sampled after every `sampleEvery` questions. */
  rss: number[];
}

function rssMb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN) / 1024;
}

/**
 * `count` questions through the real ChatController (the host's one owner of the current
 * question), each, at random: answered to the end, stopped after a few tokens, superseded by
 * the next question before it ends, or cut by New Chat.
 */
export async function questionStorm(harness: Harness, count: number, rng: () => number, sampleEvery = 20): Promise<Storm> {
  const controller = new ChatController(harness.client);
  const byId = new Map<string, StormRequest>();
  const order: StormRequest[] = [];
  let open: StormRequest | undefined;
  controller.onUpdate((update: ChatUpdate) => {
    if (update.type === 'started') {
      if (open && open.terminals.length === 0) open.overlapped = true;
      open = { requestId: update.requestId, question: update.question, text: '', terminals: [], late: [], overlapped: false, cleared: false };
      byId.set(update.requestId, open);
      order.push(open);
    } else if (update.type === 'event') {
      const request = byId.get(update.event.requestId);
      if (!request) return;
      if (request.terminals.length > 0) {
        request.late.push(update.event);
        if (isTerminalEvent(update.event)) request.terminals.push(update.event);
        return;
      }
      if ('content' in update.event) request.text += update.event.content;
      if (isTerminalEvent(update.event)) request.terminals.push(update.event);
    } else {
      for (const request of order) request.cleared = true;
    }
  });
  const rss: number[] = [];
  let pending: Promise<unknown> | undefined;
  for (let i = 0; i < count; i++) {
    const question = `${SAMPLE_QUESTIONS[i % SAMPLE_QUESTIONS.length]} (${i})`;
    const action = rng();
    const asked = controller.ask(question);
    if (action < 0.3) {
      await asked;
    } else if (action < 0.6) {
      const after = 1 + Math.floor(rng() * 15);
      let seen = 0;
      const stopper = controller.onUpdate((update) => {
        if (update.type === 'event' && 'content' in update.event && ++seen === after) controller.stop();
      });
      await asked;
      stopper.dispose();
    } else if (action < 0.9) {
      // Superseded: the next loop turn asks while this one still streams.
      pending = asked;
      await delay(Math.floor(rng() * 40));
    } else {
      await delay(Math.floor(rng() * 40));
      await controller.newChat();
      await asked;
    }
    if ((i + 1) % sampleEvery === 0) {
      await pending;
      rss.push(rssMb(pidOf(harness)));
    }
  }
  await pending;
  await delay(200); // the last turn is written behind its answer
  return { requests: order, history: await harness.client.getHistory(), rss };
}

/** Megabytes per 100 questions, least squares over the samples. */
export function slopePer100(samples: number[], sampleEvery: number): number {
  const n = samples.length;
  if (n < 2) return NaN;
  const xs = samples.map((_, i) => (i + 1) * sampleEvery);
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = samples.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (samples[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return (num / den) * 100;
}

/** What the view showed for a request, as history keeps it (a stopped answer carries the marker). */
export function expectedAnswer(request: StormRequest): string {
  const terminal = request.terminals[0];
  if (terminal && 'cancelled' in terminal) return request.text ? `${request.text}\n\n${STOPPED_MARKER}` : STOPPED_MARKER;
  return request.text;
}
