import * as fs from 'node:fs';

/** One stall of this thread: how long it lasted, and how much of it the thread spent on a CPU. */
export interface Stall {
  atMs: number;
  wallMs: number;
  /** Running: our code, the editor's, or the garbage collector. */
  cpuMs: number;
  /** Runnable but waiting for a CPU: other processes had them (the scheduler's doing, not ours). */
  waitMs: number;
}

const SCHEDSTAT = '/proc/thread-self/schedstat';

/**
 * Watches this thread for stalls longer than `thresholdMs` (a 2 ms timer that fires late) and
 * splits each into time on a CPU and time waiting for one, from Linux's per-thread
 * scheduler statistics. A delay made of waiting says the machine is busy; a delay made of
 * running says some code held the thread. Elsewhere than Linux the split reads as zero.
 */
export function watchStalls(thresholdMs = 12): { stop(): Stall[] } {
  const available = fs.existsSync(SCHEDSTAT);
  // First two fields: ns on a CPU, ns waiting on a run queue.
  const read = () => (available ? fs.readFileSync(SCHEDSTAT, 'utf8').split(' ').map(Number) : [0, 0]);
  const stalls: Stall[] = [];
  const start = performance.now();
  let last = start;
  let lastSched = read();
  const timer = setInterval(() => {
    const now = performance.now();
    const sched = read();
    if (now - last > thresholdMs) {
      stalls.push({ atMs: last - start, wallMs: now - last, cpuMs: (sched[0] - lastSched[0]) / 1e6, waitMs: (sched[1] - lastSched[1]) / 1e6 });
    }
    last = now;
    lastSched = sched;
  }, 2);
  return {
    stop() {
      clearInterval(timer);
      return stalls;
    },
  };
}
