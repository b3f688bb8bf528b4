/** Earlier conversations of a workspace, as listed for reopening (pipeline → host → webview). */
export interface ConversationSummary {
  id: string;
  /** The first question asked in it. */
  title: string;
  /** Epoch milliseconds of the first question. */
  startedAt: number;
  turns: number;
}
