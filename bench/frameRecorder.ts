/**
 * One recorder of frame gaps and long tasks for the chat view benchmarks (bench/chatRender.ts
 * in the workbench, bench/chatViewLayout.ts on the view's own page). It runs in the page as a
 * string: tsx would wrap a function's inner functions in a helper the page does not have.
 */

/** A gap between two animation frames, and a long task as Chromium reports it (page times, ms). */
export interface FrameRecord {
  /** performance.timeOrigin of the page: page times plus this are epoch milliseconds. */
  timeOrigin: number;
  gaps: { at: number; gap: number }[];
  /** `name` says whose work it was: `self` (this frame) or an ancestor (the workbench around it). */
  long: { type: string; start: number; duration: number; name: string }[];
  /** Whether this Chromium reports long tasks or long animation frames at all. */
  observed: boolean;
}

/** Starts recording in the page (window.__frameRecord); every gap is kept, with the time its frame began. */
export const START_FRAME_RECORDER = `(() => {
  const record = { gaps: [], long: [], stopped: false };
  window.__frameRecord = record;
  let last = 0;
  function tick(now) {
    if (last) record.gaps.push({ at: last, gap: now - last });
    last = now;
    if (!record.stopped) requestAnimationFrame(tick);
  }
  requestAnimationFrame(tick);
  for (const type of ['long-animation-frame', 'longtask']) {
    if (!PerformanceObserver.supportedEntryTypes.includes(type)) continue;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) record.long.push({ type, start: entry.startTime, duration: entry.duration, name: entry.name });
    }).observe({ type, buffered: false });
  }
})()`;

/** Stops recording and returns what was recorded. */
export const STOP_FRAME_RECORDER = `(() => {
  const record = window.__frameRecord;
  record.stopped = true;
  const types = PerformanceObserver.supportedEntryTypes;
  return { timeOrigin: performance.timeOrigin, gaps: record.gaps, long: record.long, observed: types.includes('long-animation-frame') || types.includes('longtask') };
})()`;

/** Whether the page's observer sees a long task at all: 120 ms of script in a frame, then a look. */
export const LONG_TASK_SELF_CHECK = `new Promise((resolve) => {
  const before = window.__frameRecord.long.length;
  requestAnimationFrame(() => {
    const until = performance.now() + 120;
    while (performance.now() < until) {}
    setTimeout(() => resolve(window.__frameRecord.long.length > before), 1000);
  });
})`;
