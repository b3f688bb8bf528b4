import * as os from 'node:os';

/**
 * Generation threads from the real core count. llama.cpp's default of at least four
 * threads oversubscribes small machines: on two cores it made generation ~1000× slower.
 * One core is left to the editor and the rest of the pipeline.
 */
export function chooseThreads(requested: number, cpuMathCores?: number): number {
  if (Number.isInteger(requested) && requested > 0) return requested;
  const cores = os.availableParallelism();
  const usable = Math.min(cores, cpuMathCores && cpuMathCores > 0 ? cpuMathCores : cores);
  return Math.max(1, cores <= 2 ? 1 : usable - 1);
}
