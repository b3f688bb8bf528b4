/**
 * What a page's main thread did during its slow frames, as the kernel saw it: time running
 * versus time runnable but waiting for a CPU (/proc/PID/schedstat; Linux only). A frame can
 * take 200 ms while its thread runs for 3: on two cores shared with the model generating,
 * code-server and the browser's other processes, that is time spent waiting for a core, not
 * rendering work, and Chromium reports it as a long task all the same.
 */
import * as fs from 'node:fs';

interface Sample {
  /** Epoch milliseconds (fractional), the clock of a page's timeOrigin + startTime. */
  at: number;
  runNs: number;
  waitNs: number;
}

/** How the thread spent a window of time, in ms; `span` is the window the samples around it give. */
export interface ThreadTime {
  ran: number;
  waited: number;
  span: number;
}

export const SAMPLE_EVERY_MS = 10;
const MIN_BUSY_RAN_MS = 50;

export class ThreadScheduling {
  private readonly samples: Sample[] = [];
  private readonly timer: NodeJS.Timeout;

  private constructor(readonly pid: number) {
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    this.sample();
  }

  /**
   * Starts sampling the main thread of the renderer that runs `busy` (a page task of a few
   * hundred ms of script): of the browser's renderers (`renderers`, pids), the one whose main
   * thread clearly ran most meanwhile. Undefined where /proc has no schedstat or none stood out.
   */
  static async start(renderers: number[], busy: () => Promise<unknown>): Promise<ThreadScheduling | undefined> {
    if (!fs.existsSync(`/proc/${process.pid}/schedstat`)) return undefined;
    const before = renderers.map((pid) => readSchedstat(pid)?.runNs ?? 0);
    await busy();
    const ran = renderers.map((pid, i) => ((readSchedstat(pid)?.runNs ?? 0) - before[i]) / 1e6);
    const [first, second = 0] = [...ran].sort((a, b) => b - a);
    // On a loaded machine the busy task gets only part of its time on a CPU.
    return first >= MIN_BUSY_RAN_MS && first > 2 * second ? new ThreadScheduling(renderers[ran.indexOf(first)]) : undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.sample();
  }

  /** Running and waiting time between two epoch times, widened to the samples around them. */
  during(from: number, to: number): ThreadTime {
    let first = this.samples[0];
    for (const sample of this.samples) if (sample.at <= from) first = sample;
    const last = this.samples.find((sample) => sample.at >= to) ?? this.samples.at(-1);
    if (!first || !last) return { ran: NaN, waited: NaN, span: NaN };
    return { ran: (last.runNs - first.runNs) / 1e6, waited: (last.waitNs - first.waitNs) / 1e6, span: last.at - first.at };
  }

  private sample(): void {
    const stat = readSchedstat(this.pid);
    if (stat) this.samples.push({ at: performance.timeOrigin + performance.now(), ...stat });
  }
}

/** The thread group leader's line: ns on a CPU, ns runnable and waiting for one, time slices. */
function readSchedstat(pid: number): { runNs: number; waitNs: number } | undefined {
  try {
    const [run, wait] = fs.readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { runNs: run, waitNs: wait };
  } catch {
    return undefined;
  }
}
