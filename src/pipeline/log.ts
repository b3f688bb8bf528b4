import type { LogLevel } from '../protocol/rpc';

/** Where pipeline code writes its log: the host's output channel, or stderr in the CLI. */
export interface Logger {
  log(level: LogLevel, message: string): void;
}

export const stderrLogger: Logger = {
  log(level, message) {
    process.stderr.write(`[${level}] ${message}\n`);
  },
};

export function describeError(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
