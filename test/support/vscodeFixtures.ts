/** What the VS Code suites (integration, e2e) share: a sample workspace and the tiny model. */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeTinyGguf } from '../fixtures/tinyGguf';
import { writeTinyEmbedder } from '../fixtures/tinyOnnx';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const EXTENSION_ID = 'local-rag.local-rag';

export interface VsCodeFixture {
  workspace: string;
  modelPath: string;
  /** A tiny ONNX embedding model, for tests that turn vector search on. */
  embedderDir: string;
  userSettings: Record<string, unknown>;
  dispose(): void;
}

/**
 * A workspace with a couple of documents and user settings pointing at a freshly written
 * tiny model. `contextLength` lets UI tests make answers long enough to press Stop.
 */
export function createVsCodeFixture(options: { contextLength?: number; maxAnswerTokens?: number } = {}): VsCodeFixture {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-vscode-'));
  const workspace = path.join(root, 'workspace');
  fs.mkdirSync(path.join(workspace, 'docs'), { recursive: true });
  fs.writeFileSync(path.join(workspace, 'docs', 'stop.md'), '# Stop\n\nThe Stop button ends an answer at once and keeps what was written.\n');
  fs.writeFileSync(path.join(workspace, 'docs', 'huong-dan.md'), '# Hướng dẫn\n\nNhấn nút Dừng để dừng câu trả lời.\n');
  const contextLength = options.contextLength ?? 2048;
  const modelPath = path.join(root, 'models', 'tiny-llama.gguf');
  writeTinyGguf(modelPath, { contextLength });
  const embedderDir = writeTinyEmbedder(path.join(root, 'models', 'tiny-embedder')).dir;
  return {
    workspace,
    modelPath,
    embedderDir,
    userSettings: {
      'localRag.chatModel': modelPath,
      'localRag.gpuLayers': 0,
      'localRag.threads': 1,
      'localRag.contextSize': contextLength,
      'localRag.maxAnswerTokens': options.maxAnswerTokens ?? Math.min(1500, contextLength - 400),
      // Off, not the downloadable default: no suite may wait on a download prompt.
      'localRag.embeddingModel': '',
    },
    dispose: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
