/**
 * Files that are not files and links out of the workspace, in a real VS Code: Index
 * Workspace (VS Code's file search follows symbolic links), the watcher (a `git pull` that
 * brings a link to /dev/zero or a FIFO), Index This File and Ask About This File, through
 * the real host and pipeline process. Every command runs under a deadline: on the code
 * before these checks a FIFO blocked the pipeline for ever and /dev/zero grew it until it
 * died, which must fail a test, not hang the suite.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';
import type { Source } from '../../../src/protocol/events';
import type { IndexReport } from '../../../src/protocol/indexing';
import { until } from '../../support/until';

const EXTENSION_ID = 'local-rag.local-rag';
const DEADLINE_MS = 20_000;

async function api(): Promise<LocalRagApi> {
  const extension = vscode.extensions.getExtension<LocalRagApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

async function within<T>(what: string, work: Thenable<T>, ms = DEADLINE_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} was still running after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve(work), deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function sourcesFor(local: LocalRagApi, question: string): Promise<Source[]> {
  let sources: Source[] = [];
  const source = new vscode.CancellationTokenSource();
  await within(
    `the question "${question}"`,
    local.controller.ask(question, source.token, (event) => {
      if ('sources' in event) {
        sources = event.sources;
        source.cancel();
      }
    }),
  );
  source.dispose();
  return sources;
}


describe('Files that are not files, and links out of the workspace', () => {
  const folder = () => vscode.workspace.workspaceFolders![0].uri;
  const links = () => path.join(folder().fsPath, 'links');
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-outside-'));

  before(async () => {
    await api();
    fs.writeFileSync(path.join(outside, 'secret.md'), '# Secret\n\nThe vault code is zanzibar.\n');
    fs.mkdirSync(links(), { recursive: true });
    fs.symlinkSync('/etc/passwd', path.join(links(), 'passwd.md'));
    fs.symlinkSync(outside, path.join(links(), 'outside'));
    fs.writeFileSync(path.join(links(), 'harbour.md'), '# Harbour\n\nThe quayside crane lifts the ferry gangway.\n');
    // Inside the folder: still indexed, under the link's name.
    fs.symlinkSync('harbour.md', path.join(links(), 'alias.md'));
  });

  after(async () => {
    await vscode.workspace.getConfiguration('localRag').update('maxFiles', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(links(), { recursive: true, force: true });
    fs.rmSync(path.join(folder().fsPath, 'docs', 'zero.md'), { force: true });
    fs.rmSync(path.join(folder().fsPath, 'docs', 'pipe.md'), { force: true });
    fs.rmSync(outside, { recursive: true, force: true });
  });

  it('Index Workspace indexes only files whose real path is inside the folder; the others are listed with why', async () => {
    const local = await api();
    const report = (await within('Index Workspace', vscode.commands.executeCommand('localRag.indexWorkspace'))) as IndexReport;
    assert.ok(report && !report.cancelled, JSON.stringify(report));
    const skipped = Object.fromEntries((report.skipped ?? []).map((skip) => [skip.path, skip.reason]));
    assert.equal(skipped['links/passwd.md'], 'outsideWorkspace', JSON.stringify(report.skipped));
    assert.equal(skipped['links/outside/'], 'outsideWorkspace', 'one entry for the linked folder, not one per file under it');
    assert.match(
      report.skipped!.find((skip) => skip.path === 'links/outside/')!.message,
      /links\/outside links outside the workspace folder \(to .+\); it was not indexed/,
    );
    assert.deepEqual(report.failed, [], 'not failures of the pipeline: never sent to it');
    const summary = local.indexing.skippedFiles();
    assert.match(summary.find((skip) => skip.path === 'links/passwd.md')?.message ?? '', /links outside the workspace folder \(to \/etc\/passwd\)/);
    assert.equal((await sourcesFor(local, 'vault code zanzibar')).length, 0, 'nothing from outside the folder is in the index');
    const cited = (await sourcesFor(local, 'quayside crane gangway')).map((source) => source.path);
    assert.ok(cited.includes('links/harbour.md') && cited.includes('links/alias.md'), `a link inside the folder is followed: ${cited.join(', ')}`);
  });

  it('a linked folder that leads to a large tree outside (links/share -> /usr/share) is one entry in the summary, and none of its files is read', async () => {
    const local = await api();
    const share = path.join(links(), 'share');
    fs.symlinkSync('/usr/share', share);
    try {
      const report = (await within('Index Workspace', vscode.commands.executeCommand('localRag.indexWorkspace'), 60_000)) as IndexReport;
      const underShare = (report.skipped ?? []).filter((skip) => skip.path.startsWith('links/share'));
      assert.deepEqual(
        underShare.map((skip) => [skip.path, skip.reason]),
        [['links/share/', 'outsideWorkspace']],
      );
      assert.match(underShare[0].message, /to \/usr\/share\); it was not indexed/);
      assert.ok(report.indexed + report.unchanged < 50, `only the workspace's own files were sent: ${report.indexed} indexed, ${report.unchanged} unchanged`);
      assert.ok(local.indexing.skippedFiles().some((skip) => skip.path === 'links/share/'), 'listed for Show Index Summary');
    } finally {
      fs.rmSync(share, { force: true });
    }
  });

  it('Index This File on a link out of the workspace folder refuses it and says why', async () => {
    const report = (await within(
      'Index This File',
      vscode.commands.executeCommand('localRag.indexFile', vscode.Uri.file(path.join(links(), 'passwd.md'))),
    )) as IndexReport;
    assert.equal(report.indexed, 0, JSON.stringify(report));
    assert.equal(report.skipped?.[0]?.reason, 'outsideWorkspace', JSON.stringify(report));
  });

  it('the watcher leaves a new link to /dev/zero and a new FIFO unread, lists them, and the pipeline keeps answering', async () => {
    const local = await api();
    fs.symlinkSync('/dev/zero', path.join(folder().fsPath, 'docs', 'zero.md'));
    execFileSync('mkfifo', [path.join(folder().fsPath, 'docs', 'pipe.md')]);
    const reasons = () => Object.fromEntries(local.indexing.skippedFiles().map((skip) => [skip.path, skip.reason]));
    assert.ok(
      await until(() => reasons()['docs/zero.md'] === 'outsideWorkspace' && reasons()['docs/pipe.md'] === 'notAFile'),
      `both listed: ${JSON.stringify(local.indexing.skippedFiles())}`,
    );
    const pid = local.pipelinePid();
    // Answered (what the index holds is other tests' business): not stuck on the FIFO, not killed by /dev/zero.
    const source = new vscode.CancellationTokenSource();
    const terminal = await within('a question after the watcher saw them', local.controller.ask('quayside crane gangway', source.token));
    source.dispose();
    assert.ok(!('error' in terminal), `the pipeline still answers: ${JSON.stringify(terminal)}`);
    assert.equal(local.pipelinePid(), pid, 'the same pipeline process: nothing read it to death');
  });

  it('Ask About This File on a FIFO is refused at once with a message', async () => {
    const fifo = vscode.Uri.file(path.join(folder().fsPath, 'docs', 'pipe.md'));
    const result = await within('Ask About This File', vscode.commands.executeCommand('localRag.askAboutFile', fifo, 'What is in it?'));
    assert.equal(result, undefined, 'no question was sent to the pipeline');
  });

  it('localRag.maxFiles caps Index Workspace and reports how many were left out', async () => {
    await vscode.workspace.getConfiguration('localRag').update('maxFiles', 2, vscode.ConfigurationTarget.Global);
    const report = (await within('Index Workspace', vscode.commands.executeCommand('localRag.indexWorkspace'))) as IndexReport;
    assert.equal(report.indexed + report.unchanged + report.failed.length, 2, JSON.stringify(report));
    assert.ok((report.leftOut ?? 0) > 0, JSON.stringify(report));
  });
});
