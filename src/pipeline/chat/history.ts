/**
 * Chat history of one workspace, kept in memory and written behind the caller's back
 * (atomically: a temp file, then a rename) so that saving a stopped answer never delays
 * the `{cancelled}` event.
 */
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ChatTurn } from '../../protocol/events';
import { describeError, type Logger } from '../log';

const MAX_TURNS = 500;

export class ChatHistory {
  private turns: ChatTurn[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** `file` undefined keeps history in memory only (the CLI without a store). */
  static async open(file: string | undefined, logger: Logger): Promise<ChatHistory> {
    const history = new ChatHistory(file, logger);
    if (file) {
      try {
        const parsed: unknown = JSON.parse(await fs.readFile(file, 'utf8'));
        if (Array.isArray(parsed)) history.turns = parsed.filter(isTurn);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          logger.log('warn', `Chat history ${file} could not be read (${describeError(error)}); starting a new one.`);
        }
      }
    }
    return history;
  }

  all(): ChatTurn[] {
    return this.turns.slice();
  }

  add(turn: ChatTurn): void {
    this.turns.push(turn);
    if (this.turns.length > MAX_TURNS) this.turns.splice(0, this.turns.length - MAX_TURNS);
    this.scheduleWrite();
  }

  clear(): void {
    this.turns = [];
    this.scheduleWrite();
  }

  /** Resolves when everything added so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private scheduleWrite(): void {
    const file = this.file;
    if (!file) return;
    this.writing = this.writing.then(async () => {
      const temp = `${file}.${process.pid}.tmp`;
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        await fs.writeFile(temp, JSON.stringify(this.turns));
        await fs.rename(temp, file);
      } catch (error) {
        this.logger.log('error', `Chat history could not be saved to ${file}: ${describeError(error)}`);
      }
    });
  }
}

function isTurn(value: unknown): value is ChatTurn {
  const turn = value as ChatTurn;
  return (
    typeof turn === 'object' &&
    turn !== null &&
    typeof turn.question === 'string' &&
    typeof turn.answer === 'string' &&
    (turn.outcome === 'done' || turn.outcome === 'cancelled' || turn.outcome === 'error') &&
    Array.isArray(turn.sources)
  );
}
