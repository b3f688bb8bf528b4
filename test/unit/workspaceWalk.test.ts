/**
 * Index Workspace's file list, found in the pipeline (workspaceWalk.ts) as the host's own
 * search found it: localRag.include and exclude with the package's defaults, files.exclude,
 * the folder's .gitignore, links followed only inside the folder, pipes reported unread,
 * several workspace folders, the search limit, Cancel; then a whole run through the real
 * WorkspaceIndex (runIndexWorkspace): files that became a link out leave the index, the cap
 * leaves files out and names the first.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { RequestToken } from '../../src/pipeline/cancellation';
import { runIndexWorkspace } from '../../src/pipeline/indexing/indexWorkspaceRun';
import { WorkspaceIndex } from '../../src/pipeline/indexing/workspaceIndex';
import { findWorkspaceFiles } from '../../src/pipeline/indexing/workspaceWalk';
import type { Logger } from '../../src/pipeline/log';
import type { WorkspaceScope } from '../../src/protocol/indexing';

const quiet: Logger = { log: () => {} };
const pkg = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../package.json'), 'utf8'));
const settings = pkg.contributes.configuration;
const properties = Array.isArray(settings) ? Object.assign({}, ...settings.map((part: { properties: object }) => part.properties)) : settings.properties;
const INCLUDE: string = properties['localRag.include'].default;
/** localRag.exclude's default plus files.exclude's `**\/.git` (VS Code's default), as the host sends them. */
const EXCLUDE: string[] = [...properties['localRag.exclude'].default, '**/.git'];

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'local-rag-walk-'));
const one = path.join(root, 'one');
const two = path.join(root, 'two');
const outside = path.join(root, 'outside');
const lock = { acquire: async () => () => {} };

function write(file: string, text = '# Note\n\nThe harbour crane lifts the gangway.\n'): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

function scope(overrides: Partial<WorkspaceScope> = {}): WorkspaceScope {
  return { folders: [{ name: 'one', path: one }], include: INCLUDE, exclude: EXCLUDE, maxFiles: 50_000, searchLimit: 100_000, ...overrides };
}

before(() => {
  write(path.join(one, 'README.md'));
  write(path.join(one, 'docs', 'guide.md'));
  write(path.join(one, 'docs', 'b', 'deep.ts'), 'export const a = 1;\n');
  write(path.join(one, 'docs', 'image.png'), 'not a document');
  write(path.join(one, '.github', 'notes.md'));
  write(path.join(one, 'node_modules', 'lib', 'readme.md'));
  write(path.join(one, 'pkg', 'node_modules', 'readme.md'));
  write(path.join(one, 'pkg', 'dist', 'bundle.js'));
  write(path.join(one, '.git', 'description.txt'));
  write(path.join(one, 'drafts', 'plan.md'));
  write(path.join(one, 'app.log.txt'));
  write(path.join(one, '.gitignore'), 'drafts/\n*.log.txt\n');
  write(path.join(outside, 'secret.md'), '# Secret\n\nThe vault code is zanzibar.\n');
  fs.symlinkSync('/etc/passwd', path.join(one, 'docs', 'passwd.md'));
  fs.symlinkSync(outside, path.join(one, 'docs', 'elsewhere'));
  fs.symlinkSync('/', path.join(one, 'docs', 'root'));
  fs.symlinkSync('guide.md', path.join(one, 'docs', 'alias.md'));
  fs.symlinkSync('b', path.join(one, 'docs', 'linked-b'));
  fs.symlinkSync('..', path.join(one, 'docs', 'loop'));
  execFileSync('mkfifo', [path.join(one, 'docs', 'pipe.md')]);
  write(path.join(two, 'other.md'));
  // A workspace folder inside another is walked as itself, under its own name.
  write(path.join(one, 'nested', 'inner.md'));
});

after(() => fs.rmSync(root, { recursive: true, force: true }));

describe('the files Index Workspace finds, in the pipeline', () => {
  test('include, exclude (a folder it covers is not entered), .gitignore, links inside followed, in code-unit order', async () => {
    const found = await findWorkspaceFiles(scope(), new RequestToken('walk'));
    assert.deepEqual(
      found.files.map((file) => file.displayPath),
      ['.github/notes.md', 'README.md', 'docs/alias.md', 'docs/b/deep.ts', 'docs/guide.md', 'docs/linked-b/deep.ts', 'nested/inner.md'],
    );
    assert.equal(found.searchCut, false);
  });

  test('links out are reported once (a linked folder is never walked), a pipe is reported unread, and the index drops them', async () => {
    const found = await findWorkspaceFiles(scope(), new RequestToken('walk'));
    assert.deepEqual(found.skipped, [
      { path: 'docs/elsewhere/', reason: 'outsideWorkspace', target: fs.realpathSync(outside) },
      { path: 'docs/passwd.md', reason: 'outsideWorkspace', target: '/etc/passwd' },
      { path: 'docs/pipe.md', reason: 'notAFile' },
      { path: 'docs/root/', reason: 'outsideWorkspace', target: '/' },
    ]);
    assert.deepEqual(found.dropped.sort(), ['docs/passwd.md', 'docs/pipe.md']);
    assert.deepEqual(found.droppedFolders.sort(), ['docs/elsewhere/', 'docs/root/']);
    assert.ok(!found.files.some((file) => file.displayPath.includes('secret') || file.absPath.startsWith(outside)));
  });

  test('several workspace folders: display paths under each folder’s name; a nested folder is listed once, as itself', async () => {
    const folders = [
      { name: 'one', path: one },
      { name: 'two', path: two },
      { name: 'nested', path: path.join(one, 'nested') },
    ];
    const names = (await findWorkspaceFiles(scope({ folders }), new RequestToken('walk'))).files.map((file) => file.displayPath);
    assert.ok(names.includes('two/other.md') && names.includes('one/README.md'), names.join(', '));
    assert.deepEqual(
      names.filter((name) => name.endsWith('inner.md')),
      ['nested/inner.md'],
    );
  });

  test('a custom include and exclude are followed', async () => {
    const found = await findWorkspaceFiles(scope({ include: 'docs/**/*.ts', exclude: [] }), new RequestToken('walk'));
    assert.deepEqual(
      found.files.map((file) => file.displayPath),
      ['docs/b/deep.ts', 'docs/linked-b/deep.ts'],
    );
    const excluded = await findWorkspaceFiles(scope({ exclude: [...EXCLUDE, 'docs'] }), new RequestToken('walk'));
    assert.ok(!excluded.files.some((file) => file.displayPath.startsWith('docs/')));
  });

  test('the search limit stops the walk and says so; a cancelled walk throws', async () => {
    const cut = await findWorkspaceFiles(scope({ searchLimit: 3 }), new RequestToken('walk'));
    assert.equal(cut.searchCut, true);
    assert.ok(cut.files.length + cut.skipped.length <= 3);
    const token = new RequestToken('walk');
    token.cancel();
    await assert.rejects(findWorkspaceFiles(scope(), token));
  });
});

describe('a whole Index Workspace run in the pipeline', () => {
  test('indexes the files found, forgets what became a link out, leaves files past maxFiles out and names the first', async () => {
    const index = await WorkspaceIndex.open(undefined, quiet);
    // Indexed before docs/elsewhere became a link out of the folder.
    await index.indexFiles([{ absPath: path.join(outside, 'secret.md'), displayPath: 'docs/elsewhere/secret.md' }], new RequestToken('before'));
    assert.equal(index.status().files, 1);
    const progress: number[] = [];
    const report = await runIndexWorkspace({ index, indexLock: lock }, scope({ maxFiles: 5 }), new RequestToken('run'), (p) => progress.push(p.done));
    assert.equal(report.cancelled, false);
    assert.equal(report.indexed, 5);
    assert.equal(report.found, 7);
    assert.equal(report.leftOut, 2);
    assert.deepEqual(report.leftOutFirst, ['docs/linked-b/deep.ts', 'nested/inner.md']);
    assert.equal(report.skippedFound.length, 4);
    assert.equal(progress.at(-1), 5, 'the last progress says all were done');
    assert.equal(index.pathsUnder('docs/elsewhere/').length, 0, 'what the linked-out folder held left the index');
    assert.equal(index.search('zanzibar vault', 5).length, 0);
    await index.close();
  });

  test('Cancel before the walk ends: nothing is read, the run says cancelled', async () => {
    const index = await WorkspaceIndex.open(undefined, quiet);
    const token = new RequestToken('run');
    token.cancel();
    const report = await runIndexWorkspace({ index, indexLock: lock }, scope(), token, () => {});
    assert.equal(report.cancelled, true);
    assert.equal(index.status().files, 0);
    await index.close();
  });
});
