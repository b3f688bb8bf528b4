/**
 * A real llama.cpp `llama-server` on 127.0.0.1, serving the tiny generated GGUF: the
 * OpenAI-compatible server the tests talk to. It is built from the llama.cpp source
 * node-llama-cpp ships (scripts/build-llama-server.sh, run by scripts/install-test-tools.sh)
 * into .tools/llama-server/<bundle commit>/.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import * as os from 'node:os';
import { buildTinyGguf } from '../fixtures/tinyGguf';

const ROOT = path.resolve(__dirname, '../..');
const BUNDLE = path.join(ROOT, 'node_modules/node-llama-cpp/llama/gitRelease.bundle');

export interface LlamaServer {
  /** `http://127.0.0.1:PORT` (the OpenAI API is under `/v1`). */
  url: string;
  /** What the server printed, for a failing test's message and for log assertions. */
  output(): string;
  slots(): Promise<Slot[]>;
  stop(): Promise<void>;
}

export interface Slot {
  id: number;
  is_processing: boolean;
}

export interface LlamaServerOptions {
  /** Slots: requests served at once (`--parallel`), default 2. */
  parallel?: number;
  /** Serve `/v1/embeddings` only (`--embeddings`). */
  embeddings?: boolean;
  /**
   * Serve `/v1/rerank` (`--reranking`). The tiny chat model has no classification head, so
   * every passage gets the same score (its first token's state): the wire format is real,
   * the ranking is not.
   */
  reranking?: boolean;
  /** Require this key (`--api-key`). */
  apiKey?: string;
  /** The model's name in `/v1/models` (`--alias`). */
  alias?: string;
  /** Prompt tokens per step (`-b`/`-ub`); small makes a long prompt take many steps. */
  batchSize?: number;
}

/** The built binary, or undefined when it is not there (the test then says how to build it). */
export function llamaServerBinary(): string | undefined {
  const fromEnv = process.env.LOCAL_RAG_LLAMA_SERVER;
  if (fromEnv) return fromEnv;
  let commit: string;
  try {
    commit = execFileSync('git', ['ls-remote', BUNDLE, 'HEAD'], { encoding: 'utf8' }).split('\t')[0]?.trim() ?? '';
  } catch {
    return undefined;
  }
  const binary = path.join(ROOT, '.tools/llama-server', commit, 'llama-server');
  return fs.existsSync(binary) ? binary : undefined;
}

export const MISSING_SERVER = 'llama-server is not built: run scripts/install-test-tools.sh (or scripts/build-llama-server.sh)';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Tokens each slot holds: room for a ~3,000-token prompt with its sources, and an answer. */
const SLOT_CONTEXT = 8192;

/**
 * The tiny generated model, trained (so it says) on 8,192 tokens: llama-server caps a slot's
 * context at the model's trained size, and the default tiny model says 2,048.
 */
function tinyServerModel(): string {
  const file = path.join(os.tmpdir(), 'local-rag-fixtures', `tiny-llama-ctx${SLOT_CONTEXT}.gguf`);
  const data = buildTinyGguf({ contextLength: SLOT_CONTEXT });
  const existing = fs.existsSync(file) ? fs.readFileSync(file) : undefined;
  if (!existing?.equals(data)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  }
  return file;
}

/** Starts llama-server on the tiny model and waits until `/health` says it is ready. */
export async function startLlamaServer(options: LlamaServerOptions = {}): Promise<LlamaServer> {
  const binary = llamaServerBinary();
  if (!binary) throw new Error(MISSING_SERVER);
  const model = tinyServerModel();
  const port = await freePort();
  const parallel = options.parallel ?? 2;
  const args = ['-m', model, '--host', '127.0.0.1', '--port', String(port), '--parallel', String(parallel)];
  args.push('-c', String(SLOT_CONTEXT * parallel), '--no-warmup', '-t', '1', '--no-webui');
  // Mean pooling: the tiny chat model has no pooling of its own, and /v1/embeddings needs one.
  if (options.embeddings) args.push('--embeddings', '--pooling', 'mean');
  if (options.reranking) args.push('--reranking');
  if (options.apiKey) args.push('--api-key', options.apiKey);
  if (options.alias) args.push('--alias', options.alias);
  if (options.batchSize) args.push('-b', String(options.batchSize), '-ub', String(options.batchSize));
  // The .so files lie beside the binary.
  const child = spawn(binary, args, {
    env: { ...process.env, LD_LIBRARY_PATH: [path.dirname(binary), process.env.LD_LIBRARY_PATH].filter(Boolean).join(':') },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (data: Buffer) => (output += data.toString()));
  child.stderr?.on('data', (data: Buffer) => (output += data.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    await waitHealthy(url, child, () => output);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const headers: Record<string, string> = options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {};
  return {
    url,
    output: () => output,
    async slots() {
      const response = await fetch(`${url}/slots`, { headers });
      if (!response.ok) throw new Error(`/slots answered ${response.status}`);
      return (await response.json()) as Slot[];
    },
    async stop() {
      await stopChild(child, exited);
    },
  };
}

async function waitHealthy(url: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`llama-server exited with ${child.exitCode}:\n${output().slice(-3000)}`);
    try {
      const response = await fetch(`${url}/health`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`llama-server did not become healthy in 60 s:\n${output().slice(-3000)}`);
}

async function stopChild(child: ChildProcess, exited: Promise<void>): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}
