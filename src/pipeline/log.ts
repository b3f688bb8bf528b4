import type { LogLevel, LogParams } from '../protocol/rpc';

/** What a log line may carry for the host to act on (a kept-aside file is shown to the user). */
export type LogDetails = Pick<LogParams, 'keptAside'>;

/** Where pipeline code writes its log: the host's output channel, or stderr in the CLI. */
export interface Logger {
  log(level: LogLevel, message: string, details?: LogDetails): void;
}

/** The CLI's log: trace lines (timings) only when LOCAL_RAG_TRACE is set. */
export const stderrLogger: Logger = {
  log(level, message) {
    if (level === 'trace' && !process.env.LOCAL_RAG_TRACE) return;
    process.stderr.write(`[${level}] ${message}\n`);
  },
};

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
