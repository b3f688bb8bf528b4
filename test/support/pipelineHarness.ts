/** Starts the real pipeline process (dist/pipeline.js) on the tiny generated model. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { CancellationTokenSource } from 'vscode-jsonrpc';
import { PipelineClient } from '../../src/host/pipelineClient';
import { DEFAULT_PIPELINE_SETTINGS, type PipelineSettings } from '../../src/protocol/settings';
import type { ChatEvent, TerminalEvent } from '../../src/protocol/events';
import type { LogLevel } from '../../src/protocol/rpc';
import { ensureTinyGguf } from '../fixtures/tinyGguf';

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

export async function startHarness(overrides: Partial<PipelineSettings> = {}): Promise<Harness> {
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
