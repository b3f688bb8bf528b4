/**
 * The time left of a run that goes item by item, from the rate so far. Kept free of `vscode`
 * so unit tests reach it; the caller localizes the words.
 */

/** Too early a rate swings wildly (the pipeline's start, the first files' read-ahead): none shown before both. */
const MIN_ELAPSED_MS = 2000;
const MIN_DONE_FRACTION = 0.01;

export type TimeLeft = { minutes: number } | { seconds: number };

/**
 * Estimates what is left of a run started at `startedAt` that has done `done` of `total`
 * items at `now`; undefined until the rate means something. Seconds are rounded up to 5 under
 * a minute (a countdown by the second would jitter), whole minutes above.
 */
export function estimateTimeLeft(done: number, total: number, startedAt: number, now: number): TimeLeft | undefined {
  const elapsed = now - startedAt;
  if (total <= 0 || done <= 0 || done >= total) return undefined;
  if (elapsed < MIN_ELAPSED_MS || done / total < MIN_DONE_FRACTION) return undefined;
  const leftMs = ((total - done) * elapsed) / done;
  if (leftMs < 60_000) return { seconds: Math.max(5, Math.ceil(leftMs / 5000) * 5) };
  return { minutes: Math.round(leftMs / 60_000) };
}
