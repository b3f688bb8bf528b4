// Builds the integration suite and runs it with mocha inside a real VS Code (code-server).
// `node test/integration/run.mjs modelServer.test.ts` runs one file of the suite.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { require as tsRequire } from 'tsx/cjs/api';
import { tsImport } from 'tsx/esm/api';
import { buildExtensionSuite } from '../vscode/buildSuite.mjs';
import { REPO_ROOT, runExtensionTests } from '../vscode/codeServer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(REPO_ROOT, 'out', 'integration');

// Emptied first: a file built by an earlier, wider run would run too.
fs.rmSync(outDir, { recursive: true, force: true });
const extensionTestsPath = await buildExtensionSuite({ sourceDir: path.join(here, 'suite'), pattern: process.argv[2] ?? '*.test.ts', outDir });
const { createVsCodeFixture } = await tsImport('../support/vscodeFixtures.ts', import.meta.url);

const { startModelHost } = await tsImport('../support/modelHost.ts', import.meta.url);

const fixture = createVsCodeFixture();
// The tiny embedder served as a Hugging Face model from 127.0.0.1 (hub exports ship int8 weights).
const HUB_ID = 'tiny-org/tiny-embedder';
// The tiny GGUF served as a chat model file of a hub repository, for Select Model's download.
const CHAT_REPO = 'tiny-org/Tiny-Chat-GGUF';
const modelHost = await startModelHost(
  { [HUB_ID]: fixture.embedderDir, [CHAT_REPO]: path.dirname(fixture.modelPath) },
  { aliases: { 'onnx/model_quantized.onnx': 'onnx/model.onnx' } },
);
// The model server the suite's openaiCompatible answers come from: a real llama-server that
// refuses requests without its key (the key is set through Local RAG's command, never in settings).
// Required as CommonJS: it finds its binary from __dirname, which tsImport's ESM loading does not keep.
const { startLlamaServer } = tsRequire('../support/llamaServer.ts', import.meta.url);
const SERVER_KEY = `sk-local-rag-test-${process.pid}-${Date.now()}`;
const llamaServer = await startLlamaServer({ parallel: 2, apiKey: SERVER_KEY, alias: 'tiny-server-model' });
// code-server's folders (its logs among them), kept until the end: the suite looks for the key there.
const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-cs-'));
let exitCode = 1;
try {
  ({ exitCode } = await runExtensionTests({
    workspace: fixture.workspace,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath,
    userSettings: fixture.userSettings,
    dataDir,
    env: {
      LOCAL_RAG_TEST_LLAMA_SERVER: llamaServer.url,
      LOCAL_RAG_TEST_LLAMA_SERVER_KEY: SERVER_KEY,
      LOCAL_RAG_TEST_DATA_DIR: dataDir,
      LOCAL_RAG_TEST_EMBEDDER: fixture.embedderDir, LOCAL_RAG_MODEL_HOST: modelHost.url, LOCAL_RAG_TEST_HUB_ID: HUB_ID, LOCAL_RAG_TEST_CHAT_URI: `hf:${CHAT_REPO}/${path.basename(fixture.modelPath)}` },
    timeoutMs: 420_000,
  }));
} finally {
  await llamaServer.stop();
  fs.rmSync(dataDir, { recursive: true, force: true });
  await modelHost.close();
  fixture.dispose();
}
process.exit(exitCode);
