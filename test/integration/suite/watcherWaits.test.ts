/**
 * A file saved while another window (or the CLI) holds the index's lock: the watcher's
 * update waits for it in the open — the status bar says so — and saves the change as soon
 * as the other writer lets go.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';
import type { IndexReport } from '../../../src/protocol/indexing';
import { until } from '../../support/until';
import { searchDocs } from './searchDocs';

describe('a changed file while another writer saves', () => {
  const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const note = () => path.join(root(), 'docs', 'lock-wait.md');
  let lockFile = '';

  after(() => {
    fs.rmSync(lockFile, { force: true });
    fs.rmSync(note(), { force: true });
  });

  it('is indexed once the other writer lets go, and the status bar says it waits meanwhile', async () => {
    const local = await vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!.activate();
    const report = (await vscode.commands.executeCommand('localRag.indexWorkspace')) as IndexReport;
    assert.ok(report && !report.cancelled, JSON.stringify(report));
    const ready = local.indexing.statusText;

    // The lock as another live process on this machine holds it (this extension host's pid: alive, not the pipeline's).
    lockFile = path.join(local.indexDir, 'store.lock');
    fs.writeFileSync(lockFile, JSON.stringify({ pid: process.pid, hostname: os.hostname(), created: Date.now(), nonce: 'another-window' }));
    fs.writeFileSync(note(), '# Lock wait\n\nThe quokka ferry waits for the tide.\n');
    assert.ok(
      await until(() => /waiting for another window/.test(local.indexing.statusText), 20_000),
      `the status bar says the update waits: ${local.indexing.statusText}`,
    );

    fs.rmSync(lockFile);
    assert.ok(await until(() => !/waiting for another window/.test(local.indexing.statusText), 20_000), local.indexing.statusText);
    assert.ok(await until(async () => (await searchDocs(local, 'quokka ferry tide')).includes('docs/lock-wait.md'), 20_000, 500), 'the change is in the index');
    assert.equal(local.indexing.statusText.replace(/\d+ files/, 'N files'), ready.replace(/\d+ files/, 'N files'), 'the status bar is back to the file count');
  });
});
