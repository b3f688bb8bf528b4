/**
 * Which files Index Workspace takes, in a real VS Code, now that the pipeline process walks
 * the folders: the user's localRag.include and localRag.exclude, files.exclude and the
 * folder's .gitignore all still decide, as VS Code's own file search did in the host.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';
import type { IndexReport } from '../../../src/protocol/indexing';
import { searchDocs } from './searchDocs';

const WORD = 'periwinkle';

/** The display paths under scope/ that the index holds passages of, through the #docs tool. */
async function indexedUnderScope(local: LocalRagApi): Promise<string[]> {
  const text = await searchDocs(local, WORD, { k: 50, path: 'scope/**' });
  return [...new Set(text.match(/scope\/[\w./-]+\.\w+/g) ?? [])].sort();
}

describe('Index Workspace follows include, exclude, files.exclude and .gitignore', () => {
  const root = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
  const scope = () => path.join(root(), 'scope');
  const write = (relative: string) => {
    const file = path.join(scope(), relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `# ${relative}\n\nThe ${WORD} shell of ${relative} is blue.\n`);
  };

  before(() => {
    for (const file of ['kept.md', 'deep/kept.txt', 'vendor/lib.md', 'generated/out.md', 'drafts/plan.md', 'notes.log', 'orgs/agenda.org']) write(file);
    fs.writeFileSync(path.join(root(), '.gitignore'), 'scope/drafts/\n');
  });

  after(async () => {
    const config = vscode.workspace.getConfiguration();
    await config.update('localRag.exclude', undefined, vscode.ConfigurationTarget.Global);
    await config.update('localRag.include', undefined, vscode.ConfigurationTarget.Global);
    await config.update('files.exclude', undefined, vscode.ConfigurationTarget.Global);
    fs.rmSync(path.join(root(), '.gitignore'), { force: true });
    fs.rmSync(scope(), { recursive: true, force: true });
  });

  it('indexes only what the settings and .gitignore let in', async () => {
    const extension = vscode.extensions.getExtension<LocalRagApi>('local-rag.local-rag')!;
    const local = await extension.activate();
    const config = vscode.workspace.getConfiguration();
    const defaults = config.inspect<string[]>('localRag.exclude')!.defaultValue!;
    await config.update('localRag.exclude', [...defaults, '**/vendor'], vscode.ConfigurationTarget.Global);
    await config.update('localRag.include', config.inspect<string>('localRag.include')!.defaultValue!.replace(/}$/, ',org}'), vscode.ConfigurationTarget.Global);
    await config.update('files.exclude', { '**/generated': true }, vscode.ConfigurationTarget.Global);
    const report = (await vscode.commands.executeCommand('localRag.indexWorkspace')) as IndexReport;
    assert.ok(report && !report.cancelled, JSON.stringify(report));
    assert.deepEqual(await indexedUnderScope(local), ['scope/deep/kept.txt', 'scope/kept.md', 'scope/orgs/agenda.org']);
  });
});
