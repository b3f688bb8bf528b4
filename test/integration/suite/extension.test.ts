/**
 * The extension in a real VS Code (code-server's extension host), asking real questions of
 * the real pipeline process on the tiny generated model.
 */
import assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { LocalRagApi } from '../../../src/extension';
import type { AskSession } from '../../../src/host/askQuickPick';
import type { ChatUpdate } from '../../../src/host/chatController';
import type { Source, TerminalEvent } from '../../../src/protocol/events';
import type { IndexReport } from '../../../src/protocol/indexing';
import { until } from '../../support/until';

const EXTENSION_ID = 'local-rag.local-rag';

async function api(): Promise<LocalRagApi> {
  const extension = vscode.extensions.getExtension<LocalRagApi>(EXTENSION_ID);
  assert.ok(extension, `${EXTENSION_ID} is installed`);
  return extension.activate();
}

/** Collects the chat's updates; `act` sees each one after it is collected (to press Stop mid-stream, say). */
function collect(local: LocalRagApi, act?: (updates: ChatUpdate[], update: ChatUpdate) => void): { updates: ChatUpdate[]; dispose(): void } {
  const updates: ChatUpdate[] = [];
  const subscription = local.controller.onUpdate((update) => {
    updates.push(update);
    act?.(updates, update);
  });
  return { updates, dispose: () => subscription.dispose() };
}

/** The sources the chat cites for a question (the answer itself is stopped once they are in). */
async function sourcesFor(local: LocalRagApi, question: string): Promise<Source[]> {
  let sources: Source[] = [];
  const source = new vscode.CancellationTokenSource();
  await local.controller.ask(question, source.token, (event) => {
    if ('sources' in event) {
      sources = event.sources;
      source.cancel();
    }
  });
  source.dispose();
  return sources;
}

/** `until` every half second: a check often asks the pipeline a question. */
const eventually = (check: () => Promise<boolean> | boolean, timeoutMs = 15_000) => until(check, timeoutMs, 500);

/** The last turn was stopped with its partial answer kept (matching `answer`), and nothing runs any more. */
async function lastTurnStopped(local: LocalRagApi, answer: RegExp) {
  const turn = (await local.controller.history()).at(-1);
  assert.equal(turn?.outcome, 'cancelled', JSON.stringify(turn));
  assert.match(turn.answer, answer);
  assert.equal(local.controller.isBusy, false);
  return turn;
}

function contentCount(updates: ChatUpdate[]): number {
  return updates.filter((update) => update.type === 'event' && 'content' in update.event).length;
}

/** Indexed before the questions: an answer needs passages that share its words (else "nothing found"). */
const STORY = [
  '# A long story',
  '',
  'The docs tell a long story of a stop on the road, and the answer keeps going until then.',
  'Another answer comes back after the stop; hello again, the story goes on and keeps going.',
].join('\n');

describe('Local RAG in VS Code', () => {
  before(async () => {
    await api();
    const story = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'notes', 'story.md');
    await vscode.workspace.fs.writeFile(story, Buffer.from(STORY));
    const report = (await vscode.commands.executeCommand('localRag.indexFile', story)) as IndexReport;
    assert.equal(report.indexed, 1, JSON.stringify(report));
  });

  it('activates and contributes its commands', async () => {
    await api();
    const commands = await vscode.commands.getCommands(true);
    for (const id of ['localRag.ask', 'localRag.stop', 'localRag.newChat', 'localRag.showLog']) {
      assert.ok(commands.includes(id), `${id} is registered`);
    }
  });

  it('localRag.ask streams an answer into the chat', async () => {
    const local = await api();
    const seen = collect(local);
    try {
      const result = (await vscode.commands.executeCommand('localRag.ask', 'What do the docs say about Stop?')) as TerminalEvent;
      assert.ok('done' in result, `answer finished: ${JSON.stringify(result)}`);
      assert.ok(contentCount(seen.updates) > 10, 'tokens streamed');
      const phases = seen.updates.flatMap((u) => (u.type === 'event' && 'phase' in u.event ? [u.event.phase] : []));
      assert.deepEqual(phases, ['ANALYSIS', 'RETRIEVAL', 'GENERATION']);
      const history = await local.controller.history();
      assert.equal(history.at(-1)?.question, 'What do the docs say about Stop?');
      assert.equal(history.at(-1)?.outcome, 'done');
    } finally {
      seen.dispose();
    }
  });

  it('cancelling the token of localRag.ask stops the pipeline, keeping the partial answer', async () => {
    const local = await api();
    const source = new vscode.CancellationTokenSource();
    const seen = collect(local, (updates) => {
      if (contentCount(updates) === 20) source.cancel();
    });
    try {
      const result = (await vscode.commands.executeCommand('localRag.ask', 'Tell me a long story.', source.token)) as TerminalEvent;
      assert.ok('cancelled' in result, `stopped: ${JSON.stringify(result)}`);
      await lastTurnStopped(local, /\S\s*\[Stopped\]$/);
    } finally {
      seen.dispose();
      source.dispose();
    }
  });

  it('localRag.stop stops the running question', async () => {
    const local = await api();
    const seen = collect(local, (updates) => {
      if (contentCount(updates) === 10) void vscode.commands.executeCommand('localRag.stop');
    });
    try {
      const result = (await vscode.commands.executeCommand('localRag.ask', 'Another long answer, please.')) as TerminalEvent;
      assert.ok('cancelled' in result, `stopped: ${JSON.stringify(result)}`);
    } finally {
      seen.dispose();
    }
  });

  it('a killed pipeline process ends the question with an error, and the next question works', async () => {
    const local = await api();
    const seen = collect(local, (updates) => {
      const pid = local.pipelinePid();
      if (contentCount(updates) === 10 && pid) process.kill(pid, 'SIGKILL');
    });
    let oldPid: number | undefined;
    try {
      oldPid = local.pipelinePid();
      const failed = (await vscode.commands.executeCommand('localRag.ask', 'Keep going.')) as TerminalEvent;
      assert.ok('error' in failed, `error after the crash: ${JSON.stringify(failed)}`);
      assert.equal(failed.code, 'pipelineExited');
    } finally {
      seen.dispose();
    }
    const next = (await vscode.commands.executeCommand('localRag.ask', 'Are you back?')) as TerminalEvent;
    assert.ok('done' in next, `the next question works: ${JSON.stringify(next)}`);
    assert.notEqual(local.pipelinePid(), oldPid);
  });

  it('without a chat model, the answer quotes the passages and says how to get a model', async () => {
    const local = await api();
    const config = vscode.workspace.getConfiguration('localRag');
    const previous = config.inspect<string>('chatModel')?.globalValue;
    await config.update('chatModel', '', vscode.ConfigurationTarget.Global);
    try {
      const result = (await vscode.commands.executeCommand('localRag.ask', 'Hello, what does the story say?')) as TerminalEvent;
      assert.ok('done' in result, JSON.stringify(result));
      const answer = (await local.controller.history()).at(-1)?.answer ?? '';
      assert.match(answer, /\[1\]/, 'the quoted passage is cited');
      assert.match(answer, /localRag\.selectModel|Download Models/, 'the way to a model is named');
      assert.equal(local.controller.isBusy, false);
    } finally {
      await config.update('chatModel', previous, vscode.ConfigurationTarget.Global);
    }
  });

  it('Index This File (the explorer context-menu command) makes the file a cited source', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    assert.ok(folder, 'a workspace is open');
    const file = vscode.Uri.joinPath(folder, 'docs', 'stop.md');
    const report = (await vscode.commands.executeCommand('localRag.indexFile', file)) as IndexReport;
    assert.equal(report.indexed, 1, JSON.stringify(report));
    const sources = await sourcesFor(local, 'What does the Stop button keep?');
    assert.equal(sources[0]?.path, 'docs/stop.md');
    assert.equal(sources[0]?.startLine, 1);
  });

  it('Index Workspace indexes the documents of the workspace and reports each one', async () => {
    const local = await api();
    const report = (await vscode.commands.executeCommand('localRag.indexWorkspace')) as IndexReport;
    assert.ok(report && !report.cancelled, JSON.stringify(report));
    assert.deepEqual(report.failed, []);
    assert.equal(report.indexed + report.unchanged, 3, 'docs/stop.md, docs/huong-dan.md and notes/story.md');
    const sources = await sourcesFor(local, 'huong dan dung');
    assert.equal(sources[0]?.path, 'docs/huong-dan.md', 'found without typing the accents');
  });

  it('the watcher re-indexes a saved edit within seconds', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const file = vscode.Uri.joinPath(folder, 'docs', 'stop.md');
    await vscode.workspace.fs.writeFile(file, Buffer.from('# Stop\n\nPressing Stop also releases the quasar buffers.\n'));
    const indexed = async () => (await sourcesFor(local, 'quasar buffers')).some((source) => source.path === 'docs/stop.md' && /quasar/.test(source.excerpt));
    assert.ok(await eventually(indexed), 'the edit was indexed');
  });

  it('the watcher leaves files in excluded folders (localRag.exclude) out of the index', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'dist', 'bundle-notes.md'), Buffer.from('# Build\n\nThe zeppelin bundle was built.\n'));
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'docs', 'airship.md'), Buffer.from('# Airship\n\nThe zeppelin docs were written.\n'));
    const cites = async (file: string) => (await sourcesFor(local, 'zeppelin')).some((source) => source.path === file);
    assert.ok(await eventually(() => cites('docs/airship.md')), 'the file outside the excluded folders was indexed');
    assert.ok(!(await cites('dist/bundle-notes.md')), 'the file under dist/ (excluded by default) was not');
  });

  it('a new localRag.include is followed: a file it now takes in is indexed when saved', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const config = vscode.workspace.getConfiguration('localRag');
    const include = config.inspect<string>('include')!.defaultValue!;
    const file = vscode.Uri.joinPath(folder, 'docs', 'tides.org');
    await config.update('include', include.replace(/}$/, ',org}'), vscode.ConfigurationTarget.Global);
    try {
      await vscode.workspace.fs.writeFile(file, Buffer.from('* Tides\n\nThe narwhal tide table is printed weekly.\n'));
      const cited = async () => (await sourcesFor(local, 'narwhal tide table')).some((source) => source.path === 'docs/tides.org');
      assert.ok(await eventually(cited), 'the .org file saved after the change was indexed by the watcher');
    } finally {
      await vscode.workspace.fs.delete(file).then(undefined, () => {});
      await config.update('include', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('editing .gitignore drops newly ignored files from the index and takes back un-ignored ones', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const gitignore = vscode.Uri.joinPath(folder, '.gitignore');
    await vscode.workspace.fs.writeFile(vscode.Uri.joinPath(folder, 'drafts', 'plan.md'), Buffer.from('# Plan\n\nThe xylophonic plan stays a draft.\n'));
    const cited = async () => (await sourcesFor(local, 'xylophonic plan')).some((source) => source.path === 'drafts/plan.md');
    const notCited = async () => !(await cited());
    assert.ok(await eventually(cited), 'the new file was indexed by the watcher');

    await vscode.workspace.fs.writeFile(gitignore, Buffer.from('drafts/\n'));
    assert.ok(await eventually(notCited), 'a new .gitignore that ignores drafts/ removed drafts/plan.md from the index');
    await vscode.workspace.fs.writeFile(gitignore, Buffer.from('*.log\n'));
    assert.ok(await eventually(cited), 'an edit that no longer ignores drafts/ brought drafts/plan.md back');
    await vscode.workspace.fs.writeFile(gitignore, Buffer.from('*.log\ndrafts/plan.md\n'));
    assert.ok(await eventually(notCited), 'an edit that ignores the file removed it again');
    await vscode.workspace.fs.delete(gitignore);
    assert.ok(await eventually(cited), 'deleting .gitignore brought it back');
  });

  it('with localRag.embeddingModel set, search also finds by meaning (vectors fused with BM25)', async () => {
    const local = await api();
    const embedder = process.env.LOCAL_RAG_TEST_EMBEDDER;
    assert.ok(embedder, 'the harness passes the tiny embedder');
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const garden = vscode.Uri.joinPath(folder, 'docs', 'garden.md');
    await vscode.workspace.fs.writeFile(garden, Buffer.from('# Garden\n\nThe garden has apple trees and a small house.\n'));
    await vscode.commands.executeCommand('localRag.indexFile', garden);
    assert.ok(!(await sourcesFor(local, 'gardening')).some((s) => s.path === 'docs/garden.md'), 'keywords alone miss "gardening"');
    const config = vscode.workspace.getConfiguration('localRag');
    await config.update('embeddingModel', embedder, vscode.ConfigurationTarget.Global);
    try {
      const found = await eventually(async () => (await sourcesFor(local, 'gardening'))[0]?.path === 'docs/garden.md', 20_000);
      assert.ok(found, 'the embedding model was loaded, the index embedded, and vector search found the passage');
    } finally {
      await config.update('embeddingModel', '', vscode.ConfigurationTarget.Global);
    }
  });

  it('a Hugging Face id in localRag.embeddingModel is downloaded by Download Models, then used', async () => {
    const local = await api();
    const id = process.env.LOCAL_RAG_TEST_HUB_ID;
    assert.ok(id && process.env.LOCAL_RAG_MODEL_HOST, 'the harness serves the tiny embedder as a hub model');
    const config = vscode.workspace.getConfiguration('localRag');
    await config.update('embeddingModel', id, vscode.ConfigurationTarget.Global);
    try {
      await until(() => local.models.pending.some((model) => model.id === id), 10_000, 200);
      assert.deepEqual(local.models.pending, [{ role: 'embedding', id }], 'the pipeline waits for the download');
      // Search fell back to keywords: the index item says so, with the way out.
      assert.ok(await eventually(async () => /the embedding model .* is not downloaded/.test(local.indexing.tooltipText)), local.indexing.tooltipText);
      assert.match(local.indexing.tooltipText, /\[Download Models: localRag\.downloadModels\]/);
      assert.match(local.indexing.statusText, /keywords only/);
      await vscode.commands.executeCommand('localRag.downloadModels');
      const found = await eventually(async () => (await sourcesFor(local, 'gardening'))[0]?.path === 'docs/garden.md', 20_000);
      assert.ok(found, 'the downloaded model was loaded and vector search found the passage');
      assert.deepEqual(local.models.pending, []);
      await local.indexing.refresh();
      assert.match(local.indexing.tooltipText, /Search: keywords and meaning \(tiny-org\/tiny-embedder\)/);
      assert.doesNotMatch(local.indexing.statusText, /keywords only/);
    } finally {
      await config.update('embeddingModel', '', vscode.ConfigurationTarget.Global);
    }
  });

  it('a new localRag.chunkSize re-indexes the workspace: sources cite tighter line ranges', async () => {
    const local = await api();
    const folder = vscode.workspace.workspaceFolders![0].uri;
    const lines = Array.from({ length: 60 }, (_, i) => (i === 44 ? 'Line 45 says the albatross nests on the cliff.' : `Line ${i + 1} is filler about the harbour.`));
    const file = vscode.Uri.joinPath(folder, 'docs', 'long.md');
    await vscode.workspace.fs.writeFile(file, Buffer.from(lines.join('\n')));
    await vscode.commands.executeCommand('localRag.indexFile', file);
    const span = async () => {
      const cited = (await sourcesFor(local, 'albatross nests')).find((source) => source.path === 'docs/long.md');
      return cited?.startLine !== undefined && cited.endLine !== undefined ? cited.endLine - cited.startLine + 1 : Infinity;
    };
    const before = await span();
    assert.ok(before >= 20 && before < Infinity, `with 1200-character chunks the passage spans ${before} lines`);
    const config = vscode.workspace.getConfiguration('localRag');
    await config.update('chunkSize', 200, vscode.ConfigurationTarget.Global);
    try {
      assert.ok(await eventually(async () => (await span()) <= 6, 20_000), 'with 200-character chunks the cited range is a few lines');
    } finally {
      await config.update('chunkSize', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  it('Select Model lists the configured model, switches to an hf: model, downloads it, and the next answer uses it', async () => {
    const local = await api();
    const uri = process.env.LOCAL_RAG_TEST_CHAT_URI;
    assert.ok(uri && process.env.LOCAL_RAG_MODEL_HOST, 'the harness serves the tiny GGUF as a hub model file');
    const original = vscode.workspace.getConfiguration('localRag').inspect<string>('chatModel')?.globalValue;
    const offered = await local.modelPicker.choices();
    assert.deepEqual(
      offered.filter((choice) => choice.current).map((choice) => choice.value),
      [original],
      'the configured model is listed and marked',
    );
    assert.ok(offered.some((choice) => choice.action === 'download') && offered.some((choice) => choice.action === 'browse'));
    try {
      assert.equal(await vscode.commands.executeCommand('localRag.selectModel', uri), uri);
      assert.equal(vscode.workspace.getConfiguration('localRag').inspect<string>('chatModel')?.globalValue, uri, 'saved in the user settings');
      assert.ok(
        await eventually(async () => local.models.pending.some((model) => model.role === 'chat' && model.id === uri), 10_000),
        'the pipeline waits for the download',
      );
      await vscode.commands.executeCommand('localRag.downloadModels');
      assert.ok(await eventually(async () => local.models.pending.length === 0, 10_000));
      const listed = (await local.modelPicker.choices()).find((choice) => choice.current);
      assert.equal(listed?.value, uri, 'the downloaded model is listed as the current one');
      const result = (await vscode.commands.executeCommand('localRag.ask', 'What does Stop do?')) as TerminalEvent;
      assert.ok('done' in result, JSON.stringify(result));
      assert.equal(local.modelStatus.device?.modelPath, listed?.detail, 'the pipeline loaded the downloaded file');
      assert.match(local.modelStatus.tooltip, /Running on CPU, 1 CPU thread/);
      assert.match(local.modelStatus.text, /local-rag-tiny-llama · CPU/, 'the model by its own name (GGUF general.name), and where it runs');
    } finally {
      await vscode.workspace.getConfiguration('localRag').update('chatModel', original, vscode.ConfigurationTarget.Global);
    }
  });

  it('New Chat clears the history', async () => {
    const local = await api();
    assert.ok((await local.controller.history()).length > 0);
    await vscode.commands.executeCommand('localRag.newChat');
    assert.equal((await local.controller.history()).length, 0);
  });
});

describe('Attached files and the quick-pick', () => {
  /** Phases in the order entered, repeated status lines of one phase counted once. */
  const phasesOf = (updates: ChatUpdate[]) =>
    updates
      .flatMap((u) => (u.type === 'event' && 'phase' in u.event ? [u.event.phase] : []))
      .filter((phase, i, all) => phase !== all[i - 1]);
  const sourcesOf = (updates: ChatUpdate[]) => updates.flatMap((u) => (u.type === 'event' && 'sources' in u.event ? u.event.sources : []));

  async function harbourFile(): Promise<vscode.Uri> {
    const file = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'notes', 'harbour.md');
    await vscode.workspace.fs.writeFile(file, Buffer.from('# Harbour\n\nThe harbour opens at dawn.\n\n## Lighthouse\n\nThe keeper logs every passing albatross.\n'));
    return file;
  }

  /** Opens `localRag.ask`'s quick-pick and hands over the live session, as VS Code shows it. */
  async function openAskQuickPick(local: LocalRagApi): Promise<{ session: AskSession; result: Thenable<TerminalEvent | undefined> }> {
    const shown = new Promise<AskSession>((resolve) => {
      const subscription = local.askQuickPick.onDidShow((session) => {
        subscription.dispose();
        resolve(session);
      });
    });
    const result = vscode.commands.executeCommand<TerminalEvent | undefined>('localRag.ask');
    const session = await shown;
    // The widget lives in the workbench: let show() reach it before driving it.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return { session, result };
  }

  /** What a user does by typing a question and pressing Enter. */
  async function typeAndAccept(quickPick: vscode.QuickPick<vscode.QuickPickItem>, question: string): Promise<void> {
    quickPick.value = question;
    await new Promise((resolve) => setTimeout(resolve, 200));
    await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
  }

  it('Ask About This File on the active editor: reads, summarizes, then answers from the file in the chat', async () => {
    const local = await api();
    const file = await harbourFile();
    await vscode.window.showTextDocument(file);
    const seen = collect(local);
    try {
      const result = (await vscode.commands.executeCommand('localRag.askAboutFile', undefined, 'What does the keeper log?')) as TerminalEvent;
      assert.ok('done' in result, JSON.stringify(result));
      const started = seen.updates.find((u) => u.type === 'started');
      assert.equal(started?.type === 'started' && started.attachment?.displayPath, 'notes/harbour.md', 'the chat shows which file was attached');
      assert.deepEqual(phasesOf(seen.updates), ['FILE_EXTRACTION', 'SUMMARIZATION', 'ANALYSIS', 'RETRIEVAL', 'GENERATION']);
      const sources = sourcesOf(seen.updates);
      assert.ok(sources.length >= 2 && sources.every((source) => source.path === 'notes/harbour.md'), JSON.stringify(sources));
      assert.ok(sources.some((source) => /albatross/.test(source.excerpt)), 'the passage with the question’s words is cited');
      const turn = (await local.controller.history()).at(-1);
      assert.equal(turn?.question, 'What does the keeper log?');
      assert.equal(turn?.attachment?.displayPath, 'notes/harbour.md', 'the turn keeps its file, for Retry and Regenerate');
      assert.match(turn?.answer ?? '', /^Summary of notes\/harbour\.md:\n\S/);
    } finally {
      seen.dispose();
    }
  });

  it('Ask About This File from the explorer, cancelled by its token while summarizing, keeps the partial summary', async () => {
    const local = await api();
    const file = await harbourFile();
    const source = new vscode.CancellationTokenSource();
    const seen = collect(local, (updates, update) => {
      if (update.type === 'event' && 'content' in update.event && phasesOf(updates).at(-1) === 'SUMMARIZATION') source.cancel();
    });
    try {
      const result = (await vscode.commands.executeCommand('localRag.askAboutFile', file, 'Summarize it.', source.token)) as TerminalEvent;
      assert.ok('cancelled' in result, JSON.stringify(result));
      assert.deepEqual(phasesOf(seen.updates), ['FILE_EXTRACTION', 'SUMMARIZATION']);
      await lastTurnStopped(local, /^Summary of notes\/harbour\.md:\n[\s\S]*\[Stopped\]$/);
    } finally {
      seen.dispose();
      source.dispose();
    }
  });

  it('the quick-pick: a typed question lists its passages while the answer streams to the chat; picking one opens it', async () => {
    const local = await api();
    const stop = vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'docs', 'stop.md');
    await vscode.workspace.fs.writeFile(stop, Buffer.from('# Stop\n\nThe Stop button ends an answer at once and keeps what was written.\n'));
    await vscode.commands.executeCommand('localRag.indexFile', stop);
    const seen = collect(local);
    try {
      const { session, result } = await openAskQuickPick(local);
      const { quickPick } = session;
      await typeAndAccept(quickPick, 'What does the Stop button keep of the written answer?');
      assert.ok(await eventually(async () => quickPick.items.length > 0, 20_000), 'the passages appear as items');
      const [first] = quickPick.items;
      assert.equal(first.source.path, 'docs/stop.md');
      assert.match(first.label, /\[1\] docs\/stop\.md/);
      assert.match(first.description ?? '', /lines 1–/);
      assert.equal(first.detail, 'The Stop button ends an answer at once and keeps what was written.', 'the excerpt is plain text: no "# Stop" heading mark in front');
      assert.ok(await eventually(async () => contentCount(seen.updates) > 5, 20_000), 'the answer streams into the chat view');

      quickPick.activeItems = [first];
      await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
      assert.ok(
        await eventually(async () => vscode.window.activeTextEditor?.document.uri.fsPath === stop.fsPath),
        'the picked passage opened in an editor',
      );
      assert.equal(vscode.window.activeTextEditor?.selection.start.line, (first.source.startLine ?? 1) - 1, 'at its first line');
      const terminal = await result;
      assert.ok(terminal && 'done' in terminal, `opening a passage does not stop the answer: ${JSON.stringify(terminal)}`);
      assert.equal((await local.controller.history()).at(-1)?.question, 'What does the Stop button keep of the written answer?');
    } finally {
      seen.dispose();
    }
  });

  it('dismissing the quick-pick while the answer streams stops it through its CancellationToken', async () => {
    const local = await api();
    const seen = collect(local);
    try {
      const { session, result } = await openAskQuickPick(local);
      await typeAndAccept(session.quickPick, 'Tell me a long story about the Stop button.');
      assert.ok(await eventually(async () => contentCount(seen.updates) >= 5, 20_000), 'the answer is streaming');
      await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
      const terminal = await result;
      assert.ok(terminal && 'cancelled' in terminal, JSON.stringify(terminal));
      const turn = await lastTurnStopped(local, /\[Stopped\]$/);
      assert.equal(turn.question, 'Tell me a long story about the Stop button.');
    } finally {
      seen.dispose();
    }
  });

  it('dismissing the quick-pick before asking asks nothing', async () => {
    const local = await api();
    const before = (await local.controller.history()).length;
    const { result } = await openAskQuickPick(local);
    await vscode.commands.executeCommand('workbench.action.closeQuickOpen');
    assert.equal(await result, undefined);
    assert.equal((await local.controller.history()).length, before);
  });
});
