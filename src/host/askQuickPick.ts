/**
 * Ask About Workspace Docs from the command palette: the question is typed into a quick-pick;
 * on Enter the answer streams into the chat view while the passages it draws on appear as
 * the quick-pick's items, and picking one opens it. Dismissing the quick-pick (Esc) while
 * the answer is still coming stops it, through the CancellationToken the question was
 * asked with. Editing the text and pressing Enter again asks the new question.
 *
 * Each session is announced on `onDidShow` with its QuickPick, so a test drives the real
 * widget (sets its value, runs VS Code's accept and close commands) as a user would.
 */
import * as vscode from 'vscode';
import type { ChatEvent, Source, TerminalEvent } from '../protocol/events';
import { plainExcerpt } from '../protocol/plainText';
import type { ChatController } from './chatController';
import type { ChatViewProvider } from './chatViewProvider';
import type { Log } from './log';
import { openSource } from './openSource';

const title = () => vscode.l10n.t('Ask About Workspace Docs');
const EXCERPT_CHARS = 160;

export interface PassageItem extends vscode.QuickPickItem {
  source: Source;
}

export interface AskSession {
  readonly quickPick: vscode.QuickPick<PassageItem>;
  /**
   * Settles when the session is over: with the last question's terminal event once it has
   * ended, or undefined when the quick-pick was dismissed before any question.
   */
  readonly done: Promise<TerminalEvent | undefined>;
}

export class AskQuickPick implements vscode.Disposable {
  private readonly shown = new vscode.EventEmitter<AskSession>();
  /** Fires as each quick-pick opens. */
  readonly onDidShow = this.shown.event;

  constructor(
    private readonly controller: ChatController,
    private readonly view: ChatViewProvider,
    private readonly log: Log,
  ) {}

  async show(): Promise<TerminalEvent | undefined> {
    // The chat view is shown first: revealing it later would take the focus away from
    // the quick-pick while the user types.
    await this.view.show();
    const session = this.open();
    this.shown.fire(session);
    return session.done;
  }

  dispose(): void {
    this.shown.dispose();
  }

  private open(): AskSession {
    const quickPick = vscode.window.createQuickPick<PassageItem>();
    quickPick.title = title();
    quickPick.placeholder = vscode.l10n.t('Ask a question about the documents in this workspace, then press Enter');
    // Clicking into the chat view to read the answer must not dismiss (and so stop) it.
    quickPick.ignoreFocusOut = true;
    quickPick.matchOnDescription = true;
    quickPick.matchOnDetail = true;

    let asked: string | undefined;
    let cancel: vscode.CancellationTokenSource | undefined;
    let last: Promise<TerminalEvent> | undefined;
    let picked = false;
    let finish!: (result: TerminalEvent | undefined) => void;
    const done = new Promise<TerminalEvent | undefined>((resolve) => (finish = resolve));

    const ask = (question: string) => {
      cancel?.cancel();
      cancel?.dispose();
      const source = new vscode.CancellationTokenSource();
      cancel = source;
      asked = question;
      quickPick.items = [];
      quickPick.busy = true;
      quickPick.title = `${title()}: ${question}`;
      quickPick.placeholder = vscode.l10n.t('Starting…');
      const onEvent = (event: ChatEvent) => {
        if (source !== cancel) return;
        if ('status' in event) quickPick.placeholder = vscode.l10n.t('{0} The answer is written in the chat view.', event.status);
        else if ('sources' in event) {
          // alwaysShow: the question stays in the input, and would otherwise filter the passages out.
          quickPick.items = event.sources.map((passage, i) => toItem(passage, i));
        }
      };
      last = this.controller.ask(question, source.token, onEvent).then((terminal) => {
        if (source === cancel) {
          quickPick.busy = false;
          quickPick.placeholder = describeEnd(terminal, quickPick.items.length);
        }
        return terminal;
      });
    };

    quickPick.onDidAccept(() => {
      const question = quickPick.value.trim();
      const [active] = quickPick.activeItems;
      if (question && question !== asked) {
        ask(question);
      } else if (active) {
        // The answer keeps streaming into the chat view: opening a passage does not stop it.
        picked = true;
        quickPick.hide();
        void open(active.source, this.log);
      }
    });
    quickPick.onDidHide(() => {
      if (!picked) cancel?.cancel();
      quickPick.dispose();
      void (last ?? Promise.resolve(undefined)).then((terminal) => {
        cancel?.dispose();
        finish(terminal);
      });
    });
    quickPick.show();
    return { quickPick, done };
  }
}

function toItem(source: Source, index: number): PassageItem {
  const where = source.page !== undefined ? vscode.l10n.t('page {0}', source.page) : source.startLine !== undefined ? vscode.l10n.t('lines {0}–{1}', source.startLine, source.endLine ?? source.startLine) : '';
  // Quick-pick rows show no Markdown: headings go to the description as a path.
  const excerpt = plainExcerpt(source.excerpt, source.heading);
  return {
    label: `$(file) [${index + 1}] ${source.path}`,
    description: [where, source.heading].filter(Boolean).join(' · '),
    detail: excerpt.length > EXCERPT_CHARS ? `${excerpt.slice(0, EXCERPT_CHARS)}…` : excerpt,
    alwaysShow: true,
    source,
  };
}

function describeEnd(terminal: TerminalEvent, passages: number): string {
  if ('cancelled' in terminal) return vscode.l10n.t('Stopped. Edit the question and press Enter to ask again.');
  if ('error' in terminal) return terminal.error;
  return passages > 0
    ? vscode.l10n.t('The answer is in the chat view. Pick a passage to open it, or edit the question and press Enter.')
    : vscode.l10n.t('No passage matched; the chat view says so. Edit the question and press Enter to ask again.');
}

async function open(source: Source, log: Log): Promise<void> {
  try {
    const problem = await openSource(source);
    if (problem) void vscode.window.showWarningMessage(problem);
  } catch (error) {
    log.error(`Opening ${source.path} failed: ${error instanceof Error ? error.message : String(error)}`);
    void vscode.window.showErrorMessage(vscode.l10n.t('Local RAG could not open {0}.', source.path));
  }
}
