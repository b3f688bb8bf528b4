/** Starts the real pipeline process (dist/pipeline.js) on the tiny generated model. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { PipelineClient } from '../../src/host/pipelineClient';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../src/protocol/settings';
import type { ChatEvent, TerminalEvent } from '../../src/protocol/events';
import type { FileRef } from '../../src/protocol/indexing';
import type { LogLevel } from '../../src/protocol/rpc';
import { ensureTinyGguf } from '../fixtures/tinyGguf';

export { until } from './until';

// Overridable so a bundled benchmark (bench/deviceCheck.ts) can run from another folder.
export const PIPELINE_SCRIPT = process.env.LOCAL_RAG_PIPELINE_SCRIPT ?? path.resolve(__dirname, '../../dist/pipeline.js');

export interface Harness {
  client: PipelineClient;
  storageDir: string;
  settings: PipelineSettings;
  logs: { level: LogLevel; message: string }[];
  dispose(): Promise<void>;
}

/** Settings for the tiny model on the CPU with one thread (the default thread count crawls on 2 cores). */
export function tinyModelSettings(modelPath: string, overrides: Partial<PipelineSettings> = {}): PipelineSettings {
  return { ...DEFAULT_PIPELINE_SETTINGS, chatModel: modelPath, gpuLayers: 0, threads: 1, contextSize: 2048, ...overrides };
}

/** `env`: extra environment for the pipeline process (LOCAL_RAG_MODEL_HOST, say). */
export async function startHarness(overrides: Partial<PipelineSettings> = {}, env?: NodeJS.ProcessEnv): Promise<Harness> {
  if (!fs.existsSync(PIPELINE_SCRIPT)) throw new Error('Run `npm run build` first: dist/pipeline.js is missing.');
  const modelPath = await ensureTinyGguf();
  const storageDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-test-'));
  const settings = tinyModelSettings(modelPath, { maxAnswerTokens: 1500, ...overrides });
  const logs: Harness['logs'] = [];
  const client = new PipelineClient({
    pipelineScript: PIPELINE_SCRIPT,
    storageDir,
    settings: () => settings,
    log: (level, message) => logs.push({ level, message }),
    env,
  });
  return {
    client,
    storageDir,
    settings,
    logs,
    async dispose() {
      await client.dispose();
      fs.rmSync(storageDir, { recursive: true, force: true });
    },
  };
}

export interface Collected {
  events: ChatEvent[];
  terminal: TerminalEvent;
  text: string;
}

/** Asks one question and collects its events; `onEvent` may act mid-stream (press Stop, say). */
export async function ask(
  client: PipelineClient,
  requestId: string,
  question: string,
  onEvent: (event: ChatEvent, events: ChatEvent[], source: CancellationTokenSource) => void = () => {},
  source = new CancellationTokenSource(),
): Promise<Collected> {
  const events: ChatEvent[] = [];
  const terminal = await client.chat({ requestId, question }, source.token, (event) => {
    events.push(event);
    onEvent(event, events, source);
  });
  return { events, terminal, text: contentOf(events) };
}

export function contentOf(events: ChatEvent[]): string {
  return events.map((event) => ('content' in event ? event.content : '')).join('');
}

/**
 * A few small Markdown documents for questions that should reach the model: since retrieval
 * answers "nothing found" without the model when no passage holds a key word of the
 * question, a test or benchmark that wants tokens streamed indexes these first and asks
 * one of SAMPLE_QUESTIONS (or anything else naming their words: Stop, cancellation, index…).
 */
export const SAMPLE_DOCS: Readonly<Record<string, string>> = {
  'stop.md':
    '# Stopping an answer\n\n' +
    'Press the Stop button to end an answer at once. The model stops generating, and the partial answer ' +
    'is kept in the chat history, marked as stopped. A stopped answer can be asked again.\n',
  'cancellation.md':
    '# Cancellation\n\n' +
    'Every request carries a cancellation token. Cancelling it ends the current phase: analysis, retrieval ' +
    'or generation. A newer question cancels the one still running, and closing the window cancels everything.\n',
  'index.md':
    '# The index\n\n' +
    'Indexing reads the workspace documents, splits them into chunks and keeps a keyword index on disk. ' +
    'Unchanged files are skipped when the index is built again; deleted files are removed from it.\n',
  'huong-dan.md':
    '# Hướng dẫn\n\n' +
    'Nhấn nút Dừng để dừng câu trả lời ngay lập tức. Phần câu trả lời đã viết được giữ lại trong lịch sử trò chuyện.\n',
};

/** Questions that each share key words with SAMPLE_DOCS, so retrieval finds passages and the model answers. */
export const SAMPLE_QUESTIONS: readonly string[] = [
  'How does the Stop button end an answer?',
  'What does cancellation do to a running request?',
  'How is the index built from the workspace documents?',
  'What happens to the partial answer after Stop?',
  'Làm sao để dừng câu trả lời?',
];

/** Writes SAMPLE_DOCS into `folder` (created if needed); returns their paths, as the pipeline takes them. */
export function writeSampleDocs(folder: string): FileRef[] {
  fs.mkdirSync(folder, { recursive: true });
  return Object.entries(SAMPLE_DOCS).map(([name, text]) => {
    const absPath = path.join(folder, name);
    fs.writeFileSync(absPath, text);
    return { absPath, displayPath: name };
  });
}

/** Writes SAMPLE_DOCS under the harness's storage folder and indexes them through its client. */
export async function indexSampleDocs(harness: Pick<Harness, 'client' | 'storageDir'>): Promise<void> {
  const files = writeSampleDocs(path.join(harness.storageDir, 'sample-docs'));
  const report = await harness.client.indexFiles(files, new CancellationTokenSource().token);
  if (report.cancelled || report.failed.length > 0 || report.indexed + report.unchanged !== files.length) {
    throw new Error(`Indexing the sample documents failed: ${JSON.stringify(report)}`);
  }
}

/** Whether a process is still there (signal 0 checks without sending anything). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
