/**
 * Runs one half of bench/scale.ts (building, measuring) in a child process and says how it
 * ended. A child that dies — out of memory at a million chunks, say — becomes a reason and
 * the memory it had reached, not a crash of the whole benchmark run: its peak RSS is sampled
 * from /proc while it runs, since a killed process reports nothing itself.
 */
import { fork } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

export type ChildOutcome = { ok: true; result: unknown; peakRssMb: number | undefined } | { ok: false; reason: string; peakRssMb: number | undefined };

const SAMPLE_MS = 250;
const STDERR_TAIL = 8000;

export function runChild(script: string, args: string[], heapMb: number, onMessage?: (message: unknown) => void): Promise<ChildOutcome> {
  return new Promise((resolve) => {
    const child = fork(path.join(__dirname, script), args, { execArgv: ['--import', 'tsx', `--max-old-space-size=${heapMb}`], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    let stderr = '';
    child.stderr!.on('data', (data: Buffer) => {
      process.stderr.write(data);
      stderr = (stderr + data.toString()).slice(-STDERR_TAIL);
    });
    let peakRssMb: number | undefined;
    const sample = () => {
      const now = highWaterMb(child.pid);
      if (now !== undefined) peakRssMb = Math.max(peakRssMb ?? 0, now);
    };
    const sampler = setInterval(sample, SAMPLE_MS);
    let result: unknown;
    child.on('message', (message) => {
      if (message && typeof message === 'object' && 'result' in message) result = message;
      onMessage?.(message);
    });
    child.once('exit', (code, signal) => {
      clearInterval(sampler);
      if (code === 0) return resolve({ ok: true, result, peakRssMb });
      const how = signal ? `killed by ${signal}${signal === 'SIGKILL' ? ' (the out-of-memory killer?)' : ''}` : `exited with ${code}`;
      const said = lastWord(stderr);
      resolve({ ok: false, reason: `${script} ${how}${said ? `: ${said}` : ''}`, peakRssMb });
    });
  });
}

/** What a dying process last said that explains it (V8's "FATAL ERROR: … heap out of memory", an Error), not its stack. */
function lastWord(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const telling = lines.filter((line) => /FATAL ERROR|Error\b|out of memory/i.test(line));
  return (telling.at(-1) ?? lines.at(-1) ?? '').trim();
}

/** The process's peak resident memory so far (VmHWM), MB; undefined once it is gone or off Linux. */
function highWaterMb(pid: number | undefined): number | undefined {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}
