import * as os from 'node:os';

export interface ThreadChoice {
  threads: number;
  /** Set when the setting asked for more than the machine has: the line for the log. */
  clamped?: string;
}

/**
 * Generation threads from the real core count. llama.cpp's default of at least four
 * threads oversubscribes small machines: on two cores it made generation ~1000× slower.
 * One core is left to the editor and the rest of the pipeline.
 *
 * A requested count is honoured up to the machine's parallelism and no further: more
 * threads than cores only make them wait on each other (64 on two cores made a 20-token
 * answer 12× slower), and 100000 asks llama.cpp for a thread pool the process cannot hold.
 */
export function chooseThreads(requested: number, cpuMathCores?: number, cores = os.availableParallelism()): ThreadChoice {
  if (Number.isInteger(requested) && requested > 0) {
    if (requested <= cores) return { threads: requested };
    return { threads: cores, clamped: `localRag.threads ${requested} is more than this machine's ${cores} cores; using ${cores}.` };
  }
  const usable = Math.min(cores, cpuMathCores && cpuMathCores > 0 ? cpuMathCores : cores);
  return { threads: Math.max(1, cores <= 2 ? 1 : usable - 1) };
}
