import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface EventLoopRuns {
  /** Largest delay of each run while the work ran, in ms. */
  busyMax: number[];
  busyP99: number[];
  /** Largest delay of one idle second before each run: the machine's own noise. */
  idleMax: number[];
}

/**
 * The event-loop delay of this process while `work` runs, `runs` times, each beside an
 * idle second. This machine is shared and noisy: one run's largest delay says more about
 * the neighbours than about us, so callers report medians over runs beside the idle ones.
 */
export async function sampleEventLoop(runs: number, work: (run: number) => Promise<void>): Promise<EventLoopRuns> {
  const result: EventLoopRuns = { busyMax: [], busyP99: [], idleMax: [] };
  for (let i = 0; i < runs; i++) {
    const idle = monitorEventLoopDelay({ resolution: 1 });
    idle.enable();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    idle.disable();
    result.idleMax.push(idle.max / 1e6);

    const busy = monitorEventLoopDelay({ resolution: 1 });
    busy.enable();
    await work(i);
    busy.disable();
    result.busyMax.push(busy.max / 1e6);
    result.busyP99.push(busy.percentile(99) / 1e6);
  }
  return result;
}

export function describeRuns(runs: EventLoopRuns): string {
  const list = (values: number[]) => values.map((v) => v.toFixed(1)).join(', ');
  return `per run: ${list(runs.busyMax)}; idle baseline per run: ${list(runs.idleMax)}`;
}
