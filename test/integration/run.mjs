// Builds the integration suite and runs it with mocha inside a real VS Code (code-server).
import * as esbuild from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { REPO_ROOT, runExtensionTests } from '../vscode/codeServer.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outDir = path.join(REPO_ROOT, 'out', 'integration');

await esbuild.build({
  entryPoints: [path.join(here, 'suite', 'index.ts'), path.join(here, 'suite', '*.test.ts')],
  outdir: outDir,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  sourcemap: 'inline',
  external: ['vscode', 'mocha', '../../test/vscode/mochaSuite.cjs'],
  logLevel: 'warning',
});
const { createVsCodeFixture } = await tsImport('../support/vscodeFixtures.ts', import.meta.url);

const fixture = createVsCodeFixture();
let exitCode = 1;
try {
  ({ exitCode } = await runExtensionTests({
    workspace: fixture.workspace,
    extensionDevelopmentPath: REPO_ROOT,
    extensionTestsPath: path.join(outDir, 'index.js'),
    userSettings: fixture.userSettings,
    timeoutMs: 300_000,
  }));
} finally {
  fixture.dispose();
}
process.exit(exitCode);
