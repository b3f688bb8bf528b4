/**
 * The time left of a run that goes item by item, from its recent rate. Kept free of `vscode`
 * so unit tests reach it; the caller localizes the words.
 */

/** Too early a rate swings wildly (the pipeline's start, the first files' read-ahead): none shown before both. */
const MIN_ELAPSED_MS = 2000;
const MIN_DONE_FRACTION = 0.01;
/**
 * The rate is taken over about the last 10 s, not the whole run: a run's first files are
 * often unchanged ones, checked many times faster than files read, and a rate that
 * remembered them would promise the end far too soon.
 */
const WINDOW_MS = 10_000;
const SAMPLE_EVERY_MS = 500;

export type TimeLeft = { minutes: number } | { seconds: number };

export class TimeLeftEstimator {
  private readonly samples: { at: number; done: number }[];

  constructor(private readonly startedAt: number) {
    this.samples = [{ at: startedAt, done: 0 }];
  }

  /**
   * What is left once `done` of `total` items are done at `now`; undefined until the rate
   * means something. Seconds are rounded up to 5 under a minute (a countdown by the second
   * would jitter), whole minutes above.
   */
  update(done: number, total: number, now: number): TimeLeft | undefined {
    if (now - this.samples[this.samples.length - 1].at >= SAMPLE_EVERY_MS) this.samples.push({ at: now, done });
    while (this.samples.length > 2 && now - this.samples[1].at >= WINDOW_MS) this.samples.shift();
    if (total <= 0 || done <= 0 || done >= total) return undefined;
    if (now - this.startedAt < MIN_ELAPSED_MS || done / total < MIN_DONE_FRACTION) return undefined;
    const oldest = this.samples[0];
    if (done <= oldest.done || now <= oldest.at) return undefined;
    const leftMs = ((total - done) * (now - oldest.at)) / (done - oldest.done);
    if (leftMs < 60_000) return { seconds: Math.max(5, Math.ceil(leftMs / 5000) * 5) };
    return { minutes: Math.round(leftMs / 60_000) };
  }
}
