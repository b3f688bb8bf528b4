/**
 * Indexing from the editor: Index Workspace, Index This File, the watcher that keeps the
 * index current, and the status bar item that shows its state. The host says which files
 * (settings, or the ones the watcher reports) and reports progress; finding a workspace's
 * files, reading and indexing them happen in the pipeline process.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { FileRef, IndexFailure, IndexReport, IndexStatus, SearchMode } from '../protocol/indexing';
import { GitignoreRules, ignoredIn, type GitignoreChange } from './gitignore';
import type { Log } from './log';
import type { PipelineClient } from './pipelineClient';
import { checkFiles, describeSkip } from './fileChecks';
import { mapInSlices } from './slices';
import { TimeLeftEstimator, type TimeLeft } from './timeLeft';
import { findCandidates, includePattern, isExcluded, keepNotIgnored, toFileRef, workspaceScope } from './workspaceFiles';

/** Saves in a burst (a formatter, a branch switch) are indexed together. */
const WATCH_DEBOUNCE_MS = 500;
/** localRag.maxFiles' default (package.json holds the one the Settings editor shows). */
const DEFAULT_MAX_FILES = 50_000;
/** Names of left-out files a message shows. */
const LEFT_OUT_SHOWN = 5;

export class IndexController implements vscode.Disposable {
  private readonly statusItem = vscode.window.createStatusBarItem('localRag.index', vscode.StatusBarAlignment.Left, 10);
  private readonly gitignore = new GitignoreRules();
  private readonly subscriptions: vscode.Disposable[] = [this.statusItem, this.gitignore];
  private pendingChanges = new Map<string, vscode.Uri>();
  private pendingDeletes = new Set<string>();
  private watchTimer: NodeJS.Timeout | undefined;
  private tooltipLines: string[] = [];
  private status: IndexStatus = { files: 0, chunks: 0, failures: [] };
  private readonly statusChanged = new vscode.EventEmitter<IndexStatus>();
  /** After every refresh: what the index holds now (the chat view's empty state shows it). */
  readonly onDidChangeStatus = this.statusChanged.event;
  private running = 0;
  /** A file-watcher update is waiting for another window (or the CLI) to finish saving the index. */
  private watcherWaiting = false;
  /**
   * Files the host did not send to be read (links out of the workspace folder, FIFOs,
   * devices), by display path: the pipeline never saw them, so the summary lists them from here.
   */
  private readonly skipped = new Map<string, IndexFailure>();
  /** How many files the last Index Workspace left out past localRag.maxFiles, and the first few. */
  private leftOut: { count: number; first: string[] } = { count: 0, first: [] };
  private watcher: vscode.Disposable;

  constructor(
    private readonly client: PipelineClient,
    private readonly log: Log,
    /** Whether this workspace has an index yet; until then nothing starts the pipeline. */
    private hasIndex: () => boolean,
  ) {
    this.statusItem.name = 'Local RAG Index';
    this.statusItem.command = 'localRag.showIndexSummary';
    this.render();
    this.statusItem.show();
    this.watcher = this.watch();
    this.subscriptions.push(
      this.gitignore.onDidChange((change) => void this.applyGitignoreChange(change)),
      // A watcher's glob is fixed when it is made: a new localRag.include needs a new one.
      // (localRag.exclude needs none: each flush reads it.)
      vscode.workspace.onDidChangeConfiguration((event) => {
        if (!event.affectsConfiguration('localRag.include')) return;
        this.watcher.dispose();
        this.watcher = this.watch();
      }),
    );
  }

  /** Queues what is saved, created or deleted under localRag.include as it is now. */
  private watch(): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(includePattern());
    return vscode.Disposable.from(
      watcher,
      watcher.onDidChange((uri) => this.queue(uri)),
      watcher.onDidCreate((uri) => this.queue(uri)),
      watcher.onDidDelete((uri) => this.queueDelete(uri)),
    );
  }

  /** Reads the pipeline's saved index state into the status bar. */
  async refresh(): Promise<void> {
    if (!this.hasIndex() && !this.running) {
      this.render();
      return;
    }
    try {
      this.status = await this.client.indexStatus();
      this.statusChanged.fire(this.status);
    } catch (error) {
      this.log.warn(`Index status unavailable: ${error instanceof Error ? error.message : String(error)}`);
    }
    this.render();
  }

  async indexWorkspace(): Promise<IndexReport | undefined> {
    const folders = vscode.workspace.workspaceFolders ?? [];
    if (folders.length === 0) {
      void vscode.window.showInformationMessage(vscode.l10n.t('Open a folder to index its documents.'));
      return undefined;
    }
    return this.run(vscode.l10n.t('Indexing workspace'), async (token, report) => {
      report({ message: vscode.l10n.t('Finding files…') });
      await this.gitignore.reloadAll();
      const maxFiles = maxFilesSetting();
      // Progress comes per file; the notification is redrawn at most every 100 ms.
      let shown = 0;
      let lastDraw = 0;
      let timeLeft: TimeLeftEstimator | undefined;
      // The pipeline finds the files and keeps the list: over 50,000 files, finding them
      // here (VS Code's search, .gitignore, the link checks, the sort) held this thread for seconds.
      const indexed = await this.client.indexWorkspace(workspaceScope(maxFiles, searchLimit(maxFiles)), token, ({ done, total, current, waitingForStore }) => {
        if (waitingForStore) {
          report({ message: vscode.l10n.t('Waiting for another Local RAG window to finish saving the index…') });
          return;
        }
        const now = Date.now();
        timeLeft ??= new TimeLeftEstimator(now);
        if (now - lastDraw < 100 && done < total) return;
        lastDraw = now;
        const parts = [`${done}/${total}`, describeTimeLeft(timeLeft.update(done, total, now)), current].filter(Boolean);
        report({ message: parts.join(' — '), increment: total ? ((done - shown) * 100) / total : 0 });
        shown = done;
      });
      const skipped = indexed.skippedFound.map(describeSkip);
      this.skipped.clear();
      this.noteSkipped(skipped);
      this.leftOut = { count: indexed.leftOut ?? 0, first: indexed.leftOutFirst };
      if (indexed.searchCut) this.warnSearchCut(searchLimit(maxFiles));
      if (this.leftOut.count) this.warnLeftOut(maxFiles, indexed.found);
      const { skippedFound: _skippedFound, found: _found, leftOutFirst: _leftOutFirst, searchCut: _searchCut, ...result } = indexed;
      return { ...result, skipped, leftOut: this.leftOut.count };
    });
  }

  async indexFile(uri: vscode.Uri | undefined): Promise<IndexReport | undefined> {
    const target = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
    if (!target || target.scheme !== 'file') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Choose a file on disk to index (in the explorer or an open editor).'));
      return undefined;
    }
    return this.run(vscode.l10n.t('Indexing {0}', path.basename(target.fsPath)), async (token) => {
      const { files, skipped, dropped } = await checkFiles([toFileRef(target)]);
      this.forgetSkipped(files);
      this.noteSkipped(skipped);
      if (skipped.length) {
        await this.client.removeFiles(dropped);
        void vscode.window.showWarningMessage(vscode.l10n.t('Local RAG: {0}', skipped[0].message));
        return { indexed: 0, unchanged: 0, failed: [], cancelled: false, skipped };
      }
      return this.client.indexFiles(files, token);
    });
  }

  /** What was found but not sent to be read, and why (Show Index Summary lists them). */
  skippedFiles(): IndexFailure[] {
    return [...this.skipped.values()];
  }

  async showSummary(): Promise<void> {
    await this.refresh();
    const { files, chunks, failures, storeProblems = [] } = this.status;
    const items: vscode.QuickPickItem[] = [
      { label: `$(database) ${vscode.l10n.t('{0} files, {1} chunks indexed', files, chunks)}`, description: this.running ? vscode.l10n.t('indexing…') : vscode.l10n.t('ready') },
      { label: `$(refresh) ${vscode.l10n.t('Index Workspace')}`, description: vscode.l10n.t('find new and changed files') },
      ...failures.map((failure) => ({ label: `$(warning) ${failure.path}`, detail: failure.message })),
    ];
    if (storeProblems.length) {
      items.push(
        { label: vscode.l10n.t('The saved index'), kind: vscode.QuickPickItemKind.Separator },
        ...storeProblems.map((problem) => ({ label: `$(error) ${vscode.l10n.t('The saved index had a problem')}`, detail: problem })),
      );
    }
    const skipped = this.skippedFiles();
    if (skipped.length) {
      items.push(
        { label: vscode.l10n.t('Skipped: links outside the workspace folder, pipes and devices'), kind: vscode.QuickPickItemKind.Separator },
        ...skipped.map((skip) => ({ label: `$(circle-slash) ${skip.path}`, detail: skip.message })),
      );
    }
    if (this.leftOut.count) {
      items.push({
        label: `$(info) ${vscode.l10n.t('{0} file(s) left out past localRag.maxFiles', this.leftOut.count)}`,
        detail: leftOutNames(this.leftOut),
      });
    }
    const notIndexed = failures.length + skipped.length;
    const picked = await vscode.window.showQuickPick(items, {
      title: notIndexed ? vscode.l10n.t('Local RAG index — {0} file(s) could not be indexed', notIndexed) : vscode.l10n.t('Local RAG index'),
      matchOnDetail: true,
    });
    if (picked?.label.startsWith('$(refresh)')) await vscode.commands.executeCommand('localRag.indexWorkspace');
    else if (picked?.label.startsWith('$(info)')) await vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.maxFiles');
    else if (picked?.label.startsWith('$(warning)')) {
      const failure = failures[items.indexOf(picked) - 2];
      const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
      if (failure && folder) await vscode.commands.executeCommand('revealInExplorer', vscode.Uri.joinPath(folder, failure.path));
    }
  }

  dispose(): void {
    this.statusChanged.dispose();
    clearTimeout(this.watchTimer);
    this.watcher.dispose();
    this.subscriptions.forEach((subscription) => subscription.dispose());
  }

  private async run(
    title: string,
    work: (token: vscode.CancellationToken, report: (value: { message?: string; increment?: number }) => void) => Promise<IndexReport>,
  ): Promise<IndexReport | undefined> {
    this.running++;
    this.render();
    try {
      const report = await vscode.window.withProgress(
        { location: vscode.ProgressLocation.Notification, title: `Local RAG: ${title}`, cancellable: true },
        (progress, token) => work(token, (value) => progress.report(value)),
      );
      this.summarize(report);
      return report;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.log.error(`Indexing failed: ${message}`);
      void vscode.window.showErrorMessage(vscode.l10n.t('Local RAG could not index: {0}', message), vscode.l10n.t('Show Log')).then((choice) => choice && this.log.show());
      return undefined;
    } finally {
      // Asked while the run still counts: a first run cancelled before its save has no
      // manifest yet, and refresh() would not ask, though the files it read are indexed.
      await this.refresh();
      this.running--;
      this.render();
    }
  }

  private summarize(report: IndexReport): void {
    const parts = [`${report.indexed} indexed`, `${report.unchanged} unchanged`];
    if (report.failed.length) parts.push(`${report.failed.length} could not be indexed`);
    if (report.skipped?.length) parts.push(`${report.skipped.length} skipped (links outside the workspace folder, pipes, devices)`);
    if (report.leftOut) parts.push(`${report.leftOut} left out past localRag.maxFiles`);
    this.log.info(`Indexing ${report.cancelled ? 'stopped' : 'done'}: ${parts.join(', ')}.`);
    for (const skip of report.skipped ?? []) this.log.warn(skip.message);
    const notIndexed = report.failed.length + (report.skipped?.length ?? 0);
    if (notIndexed) {
      void vscode.window
        .showWarningMessage(vscode.l10n.t('Local RAG: {0} file(s) could not be indexed.', notIndexed), vscode.l10n.t('Show Details'))
        .then((choice) => choice && vscode.commands.executeCommand('localRag.showIndexSummary'));
    }
  }

  // Whether there is an index to update is asked once per flush, not per event: a branch
  // switch brings thousands of events in one turn, and the question costs a file system call.
  private queue(uri: vscode.Uri): void {
    if (uri.scheme !== 'file') return;
    this.pendingDeletes.delete(uri.fsPath);
    this.pendingChanges.set(uri.fsPath, uri);
    this.schedule();
  }

  private queueDelete(uri: vscode.Uri): void {
    this.pendingChanges.delete(uri.fsPath);
    this.pendingDeletes.add(uri.fsPath);
    this.schedule();
  }

  /**
   * A .gitignore was edited: files it now ignores leave the index and files it no longer
   * ignores come in, through the same queue as the watcher's changes.
   */
  private async applyGitignoreChange({ folder, before, after }: GitignoreChange): Promise<void> {
    if (!this.hasIndex()) return;
    try {
      const candidates = await findCandidates(undefined, folder);
      await mapInSlices(candidates, (uri) => {
        const was = ignoredIn(before, folder, uri.fsPath);
        const is = ignoredIn(after, folder, uri.fsPath);
        if (is && !was) this.queueDelete(uri);
        else if (was && !is) this.queue(uri);
        return undefined;
      });
    } catch (error) {
      this.log.warn(`Applying the edited .gitignore failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private schedule(): void {
    clearTimeout(this.watchTimer);
    this.watchTimer = setTimeout(() => void this.flushWatched(), WATCH_DEBOUNCE_MS);
  }

  private async flushWatched(): Promise<void> {
    const changed = [...this.pendingChanges.values()];
    const deleted = [...this.pendingDeletes];
    this.pendingChanges.clear();
    this.pendingDeletes.clear();
    // Until Index Workspace (or Index This File) made one, nothing starts the pipeline.
    if (!this.hasIndex()) return;
    try {
      if (deleted.length) {
        const folders = vscode.workspace.workspaceFolders ?? [];
        const gone = await mapInSlices(deleted, (fsPath) => toFileRef(vscode.Uri.file(fsPath), folders).displayPath);
        for (const displayPath of gone) this.skipped.delete(displayPath);
        await this.client.removeFiles(gone);
      }
      const { files: wanted, skipped, dropped } = await checkFiles(
        await keepNotIgnored(
          this.gitignore,
          changed.filter((uri) => !isExcluded(uri)),
        ),
      );
      this.forgetSkipped(wanted);
      this.noteSkipped(skipped);
      // A file a pull turned into a link out, or into a FIFO, leaves the index unread.
      if (dropped.length) await this.client.removeFiles(dropped);
      if (wanted.length) {
        const source = new vscode.CancellationTokenSource();
        try {
          // Said in the status bar, not silently waited for: another window may save for a while.
          await this.client.indexFiles(wanted, source.token, ({ waitingForStore }) => {
            if (!waitingForStore || this.watcherWaiting) return;
            this.watcherWaiting = true;
            this.render();
          });
        } finally {
          this.watcherWaiting = false;
          source.dispose();
        }
      }
    } catch (error) {
      this.log.warn(`Updating the index after file changes failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    await this.refresh();
  }

  private noteSkipped(skipped: IndexFailure[]): void {
    for (const skip of skipped) this.skipped.set(skip.path, skip);
  }

  /** Files sent to be read again are no longer skipped (a link replaced by a real file). */
  private forgetSkipped(files: FileRef[]): void {
    for (const file of files) this.skipped.delete(file.displayPath);
  }

  private warnSearchCut(limit: number): void {
    this.log.warn(`The file search stopped at ${limit} matching files; some files of the workspace were not seen.`);
    void vscode.window.showWarningMessage(
      vscode.l10n.t(
        'Local RAG: the file search stopped at {0} matching files, so some files of the workspace were not seen. Narrow localRag.include, exclude folders in localRag.exclude, or raise localRag.maxFiles.',
        limit,
      ),
    );
  }

  private warnLeftOut(maxFiles: number, found: number): void {
    const names = leftOutNames(this.leftOut);
    this.log.warn(`Index Workspace found ${found} files; the first ${maxFiles} are indexed (localRag.maxFiles), ${this.leftOut.count} left out: ${names}`);
    const openSettings = vscode.l10n.t('Open Settings');
    void vscode.window
      .showWarningMessage(
        vscode.l10n.t(
          'Local RAG: {0} files were found; only the first {1} are indexed. {2} left out ({3}). Raise localRag.maxFiles to index them all.',
          found,
          maxFiles,
          this.leftOut.count,
          names,
        ),
        openSettings,
      )
      .then((choice) => choice && vscode.commands.executeCommand('workbench.action.openSettings', 'localRag.maxFiles'));
  }

  private render(): void {
    const { files, chunks, failures, search } = this.status;
    const lines: string[] = [];
    const tooltip = new vscode.MarkdownString();
    // Only our own commands can be run from the tooltip's links.
    tooltip.isTrusted = { enabledCommands: ['localRag.downloadModels', 'localRag.showLog'] };
    if (this.running) {
      this.statusItem.text = `$(sync~spin) ${vscode.l10n.t('Local RAG: indexing')}`;
      lines.push(vscode.l10n.t('Local RAG is indexing; click for the index summary'));
    } else if (this.watcherWaiting) {
      this.statusItem.text = `$(sync~spin) ${vscode.l10n.t('Local RAG: waiting for another window')}`;
      lines.push(vscode.l10n.t('Another Local RAG window (or the local-rag command) is saving the index; your changed files are saved right after it.'));
    } else {
      const degraded = search?.kind === 'keywords' && (search.reason === 'notDownloaded' || search.reason === 'failed');
      const mode = degraded ? ` · ${vscode.l10n.t('keywords only')}` : '';
      this.statusItem.text = `${failures.length ? '$(warning)' : '$(database)'} ${vscode.l10n.t('Local RAG: {0} files', files)}${mode}`;
      lines.push(
        failures.length
          ? vscode.l10n.t('{0} files, {1} chunks indexed; {2} could not be indexed. Click for details.', files, chunks, failures.length)
          : vscode.l10n.t('{0} files, {1} chunks indexed. Click for details.', files, chunks),
      );
    }
    if (search) lines.push(describeSearch(search));
    tooltip.appendText(lines.join('\n\n'));
    const action =
      search?.kind !== 'keywords'
        ? undefined
        : search.reason === 'notDownloaded'
          ? { label: vscode.l10n.t('Download Models'), command: 'localRag.downloadModels' }
          : search.reason === 'failed'
            ? { label: vscode.l10n.t('Show Log'), command: 'localRag.showLog' }
            : undefined;
    if (action) tooltip.appendMarkdown(` [${action.label}](command:${action.command})`);
    this.tooltipLines = action ? [...lines.slice(0, -1), `${lines.at(-1)} [${action.label}: ${action.command}]`] : lines;
    this.statusItem.tooltip = tooltip;
  }

  /** The status bar item's text (tests read what a user reads). */
  get statusText(): string {
    return this.statusItem.text;
  }

  /** The status bar item's tooltip as the text a user reads, with each link's label and command. */
  get tooltipText(): string {
    return this.tooltipLines.join('\n\n');
  }
}

/** What a search uses now, in a sentence: "Search: keywords only — the embedding model … is not downloaded." */
export function describeSearch(search: SearchMode): string {
  const reranked = search.reranker ? ` ${vscode.l10n.t('Results are reranked by {0}.', search.reranker)}` : '';
  if (search.kind === 'hybrid') return vscode.l10n.t('Search: keywords and meaning ({0}).', search.embeddingModel) + reranked;
  const model = search.embeddingModel ?? '';
  switch (search.reason) {
    case 'off':
      return vscode.l10n.t('Search: keywords only (no embedding model is set in localRag.embeddingModel).') + reranked;
    case 'notDownloaded':
      return vscode.l10n.t('Search: keywords only — the embedding model {0} is not downloaded.', model) + reranked;
    case 'failed':
      return vscode.l10n.t('Search: keywords only — the embedding model {0} could not be loaded (the log says why).', model) + reranked;
    case 'embedding':
      return vscode.l10n.t('Search: keywords only until {0} has embedded the index.', model) + reranked;
  }
}

/** "about 40 s left", or nothing while there is no estimate yet. */
function describeTimeLeft(left: TimeLeft | undefined): string | undefined {
  if (!left) return undefined;
  return 'minutes' in left ? vscode.l10n.t('about {0} min left', left.minutes) : vscode.l10n.t('about {0} s left', left.seconds);
}

/** The first few left-out files' names, "…" when there are more. */
function leftOutNames({ count, first }: { count: number; first: string[] }): string {
  return first.slice(0, LEFT_OUT_SHOWN).join(', ') + (count > LEFT_OUT_SHOWN ? ', …' : '');
}

/** localRag.maxFiles, a whole number of at least 1. */
function maxFilesSetting(): number {
  const value = vscode.workspace.getConfiguration('localRag').get<number>('maxFiles') ?? DEFAULT_MAX_FILES;
  return Number.isInteger(value) && value >= 1 ? value : DEFAULT_MAX_FILES;
}

/**
 * How many matches the file search may return: room for the cap plus links out and ignored
 * files, yet bounded when a link leads to a whole disk.
 */
function searchLimit(maxFiles: number): number {
  return Math.max(2 * maxFiles, maxFiles + 10_000);
}
