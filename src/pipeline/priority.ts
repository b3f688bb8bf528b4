/**
 * The pipeline gives way to the editor for the CPU. While the model generates, its threads
 * take every core they are given; on a two-core laptop the editor's renderer thread — where
 * the chat view draws the answer — then waited 100 ms and more for a CPU at a time, while
 * running only a few ms (bench/chatRender.ts: 96 % of each long task spent waiting). Below
 * the editor's priority, the pipeline runs as fast as before on an idle machine and yields
 * whenever the editor has work.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';

/** A Unix nice value (10: below normal); on Windows, os.setPriority maps it to BELOW_NORMAL. */
export const PIPELINE_PRIORITY = os.constants.priority.PRIORITY_BELOW_NORMAL;

/**
 * Lowers this process's priority; returns why it could not, or undefined. On Linux a priority
 * belongs to one thread and new threads inherit their creator's, so every thread there is now
 * is lowered, and the model's threads, made later, inherit it.
 */
export function yieldCpuToEditor(): string | undefined {
  try {
    if (process.platform === 'linux') {
      for (const thread of fs.readdirSync('/proc/self/task')) os.setPriority(Number(thread), PIPELINE_PRIORITY);
    } else {
      os.setPriority(PIPELINE_PRIORITY);
    }
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
