/**
 * The chrome around an answer: the live phase line with its elapsed time, the outcome
 * badges ("Stopped"), and the buttons (Retry on an error; Regenerate and Copy on the last
 * answer). Buttons carry a data-action; main.ts handles clicks on them all in one place.
 */
import { button, element } from './dom';
import { fmt, s } from './strings';

export type TurnAction = 'retry' | 'regenerate' | 'copy' | 'indexAndAsk';

/** Shows "<status> 1.2 s" while a request runs; the seconds tick without being announced. */
export class PhaseClock {
  private readonly status: HTMLElement;
  private readonly clockText: HTMLElement;
  private readonly startedAt = performance.now();
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(private readonly line: HTMLElement) {
    this.status = element('span', 'phase-status');
    this.clockText = element('span', 'phase-elapsed');
    // Screen readers hear each new phase once, not every tenth of a second.
    this.clockText.setAttribute('aria-hidden', 'true');
    line.replaceChildren(this.status, this.clockText);
  }

  set(status: string): void {
    this.status.textContent = status;
    this.line.hidden = false;
    this.tick();
    this.timer ??= setInterval(() => this.tick(), 100);
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Seconds since the request started, as the line shows them. */
  get elapsed(): string {
    return ((performance.now() - this.startedAt) / 1000).toFixed(1);
  }

  private tick(): void {
    this.clockText.textContent = ` ${this.elapsed} s`;
  }
}

/**
 * The answer's text ends with "[Stopped]" (what history and Copy carry); the badge adds what
 * the text does not say: how long the answer ran before Stop. Known only live, so a stopped
 * answer reopened from history shows the text marker alone.
 */
export function addStoppedBadge(answer: HTMLElement, elapsedSeconds: string): void {
  if (answer.querySelector('.badge-stopped')) return;
  const badge = element('div', 'badge badge-stopped', fmt(s.stoppedAfter, elapsedSeconds));
  badge.setAttribute('aria-label', fmt(s.stoppedAfterLabel, elapsedSeconds));
  badge.title = fmt(s.stoppedAfterLabel, elapsedSeconds);
  answer.prepend(badge);
}

export function addRetry(answer: HTMLElement): void {
  const bar = actionBar(answer, 'error-actions');
  bar.append(actionButton('retry', s.retry, s.retryLabel));
}

/** Asked before anything was indexed: one button indexes the workspace, then answers in place. */
export function addIndexAndAnswer(answer: HTMLElement): void {
  const bar = actionBar(answer, 'error-actions');
  const node = actionButton('indexAndAsk', s.indexAndAnswer, s.indexAndAnswerLabel);
  node.classList.replace('secondary', 'primary');
  bar.append(node);
}

/** Regenerate and Copy belong to the last answer only; every other turn loses them. */
export function moveLastAnswerActions(messages: HTMLElement, busy: boolean): void {
  messages.querySelectorAll('.answer-actions').forEach((bar) => bar.remove());
  if (busy) return;
  const last = Array.from(messages.querySelectorAll<HTMLElement>('.turn')).at(-1);
  const answer = last?.querySelector<HTMLElement>('.answer');
  if (!last || !answer || last.classList.contains('error')) return;
  const bar = actionBar(answer, 'answer-actions');
  bar.append(
    actionButton('regenerate', s.regenerate, s.regenerateLabel),
    actionButton('copy', s.copy, s.copyLabel),
  );
}

function actionBar(answer: HTMLElement, className: string): HTMLElement {
  const bar = element('div', `turn-actions ${className}`);
  bar.setAttribute('role', 'toolbar');
  bar.setAttribute('aria-label', s.answerActions);
  answer.append(bar);
  return bar;
}

function actionButton(action: TurnAction, text: string, label: string): HTMLButtonElement {
  const node = button(`secondary action-${action}`, text, label);
  node.dataset.action = action;
  return node;
}
