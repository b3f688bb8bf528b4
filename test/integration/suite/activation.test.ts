/**
 * Activation in the real extension host: in a workspace without an index (and with
 * localRag.indexOnOpen off) VS Code activates only the small entry point, and the host loads
 * at the first command. This file runs first (mocha takes the files in name order): nothing
 * before it may touch the extension's API.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';

describe('Activation', () => {
  it('loads only the entry point in a workspace without an index, and the host at the first command', async () => {
    const extension = vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag');
    assert.ok(extension, 'local-rag.local-rag is installed');
    const hostLoaded = () => path.join(extension.extensionPath, 'dist', 'host.js') in require.cache;
    const api = await extension.activate();
    assert.equal(extension.isActive, true);
    assert.equal(hostLoaded(), false, 'the host is not loaded before anything needs it');
    assert.ok((await vscode.commands.getCommands(true)).includes('localRag.showIndexSummary'), 'the commands are there before the host');
    await vscode.commands.executeCommand('localRag.showLog');
    assert.equal(hostLoaded(), true, 'a command loads the host');
    assert.equal(typeof api.indexing.indexWorkspace, 'function', 'the API is the host once loaded');
  });
});
