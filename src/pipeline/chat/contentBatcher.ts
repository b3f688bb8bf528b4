/**
 * Coalesces answer tokens into `{content}` events, at most one per short window while the
 * stream is hot. A small model on a fast GPU streams near a thousand tokens a second; an
 * IPC message and a webview message per token would then cost the editor more than the
 * eye can see. A token after a quiet spell — the first token of an answer above all — goes
 * at once; at the 20–100 tokens a second of real models nearly every token travels alone.
 */
export const CONTENT_WINDOW_MS = 16;

export class ContentBatcher {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sendContent: (content: string) => void) {}

  add(content: string): void {
    this.pending += content;
    if (this.timer) return;
    this.send();
    this.timer = setTimeout(this.windowEnded, CONTENT_WINDOW_MS);
  }

  /** Sends what is pending now; called before any other event so order is kept. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.send();
  }

  /** What came during the window goes now, and opens another window; a quiet one closes it. */
  private readonly windowEnded = (): void => {
    this.timer = this.pending ? setTimeout(this.windowEnded, CONTENT_WINDOW_MS) : undefined;
    this.send();
  };

  private send(): void {
    if (!this.pending) return;
    const content = this.pending;
    this.pending = '';
    this.sendContent(content);
  }
}
