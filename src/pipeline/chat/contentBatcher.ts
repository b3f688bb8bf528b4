/**
 * Coalesces answer tokens that arrive within one short window into one `{content}` event.
 * A small model on a fast GPU streams near a thousand tokens a second; an IPC message and
 * a webview message per token would then cost the editor more than the eye can see. At
 * the 20–100 tokens a second of real models nearly every token still travels alone.
 */
export const CONTENT_WINDOW_MS = 16;

export class ContentBatcher {
  private pending = '';
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly sendContent: (content: string) => void) {}

  add(content: string): void {
    this.pending += content;
    this.timer ??= setTimeout(() => this.flush(), CONTENT_WINDOW_MS);
  }

  /** Sends what is pending now; called before any other event so order is kept. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending) return;
    const content = this.pending;
    this.pending = '';
    this.sendContent(content);
  }
}
