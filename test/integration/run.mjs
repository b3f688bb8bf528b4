// Builds the integration suite and runs it with mocha inside a real VS Code (code-server).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { buildExtensionSuite } from '../vscode/buildSuite.mjs';
import { REPO_ROOT, runExtensionTests } from '../vscode/codeServer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(REPO_ROOT, 'out', 'integration');

const extensionTestsPath = await buildExtensionSuite({ sourceDir: path.join(here, 'suite'), pattern: '*.test.ts', outDir });
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
let exitCode = 1;
try {
  ({ exitCode } = await runExtensionTests({
    workspace: fixture.workspace,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath,
    userSettings: fixture.userSettings,
    env: { LOCAL_RAG_TEST_EMBEDDER: fixture.embedderDir, LOCAL_RAG_MODEL_HOST: modelHost.url, LOCAL_RAG_TEST_HUB_ID: HUB_ID, LOCAL_RAG_TEST_CHAT_URI: `hf:${CHAT_REPO}/${path.basename(fixture.modelPath)}` },
    timeoutMs: 300_000,
  }));
} finally {
  await modelHost.close();
  fixture.dispose();
}
process.exit(exitCode);
