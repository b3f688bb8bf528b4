/**
 * Chat history of one workspace, kept in memory and written behind the caller's back
 * (atomically: a temp file, then a rename) so that saving a stopped answer never delays
 * the `{cancelled}` event.
 *
 * Two files: `chat-history.json` is the current conversation, a plain array of turns (the
 * format every earlier version wrote, so old files load unchanged); the conversations left
 * by New Chat go to `chat-conversations.json` next to it, newest last, to be reopened.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ConversationSummary } from '../../protocol/conversations';
import type { ChatTurn } from '../../protocol/events';
import { describeError, type Logger } from '../log';

const MAX_TURNS = 500;
/** Older conversations beyond this are forgotten, so the file stays small. */
const MAX_CONVERSATIONS = 100;
const ARCHIVE_VERSION = 1;

interface Conversation {
  id: string;
  turns: ChatTurn[];
}

export class ChatHistory {
  private turns: ChatTurn[] = [];
  private earlier: Conversation[] = [];
  private writing: Promise<void> = Promise.resolve();

  private constructor(
    private readonly file: string | undefined,
    private readonly logger: Logger,
  ) {}

  /** `file` undefined keeps history in memory only (the CLI without a store). */
  static async open(file: string | undefined, logger: Logger): Promise<ChatHistory> {
    const history = new ChatHistory(file, logger);
    if (file) {
      const current = await readJson(file, logger);
      if (Array.isArray(current)) history.turns = current.filter(isTurn);
      const archive = (await readJson(archiveFile(file), logger)) as { conversations?: unknown } | undefined;
      if (archive && Array.isArray(archive.conversations)) history.earlier = archive.conversations.filter(isConversation);
      // A crash between the two writes can leave the current conversation in both files.
      const first = history.turns[0]?.askedAt;
      if (first !== undefined) history.earlier = history.earlier.filter((c) => c.turns[0].askedAt !== first);
    }
    return history;
  }

  /** The current conversation. */
  all(): ChatTurn[] {
    return this.turns.slice();
  }

  add(turn: ChatTurn): void {
    this.turns.push(turn);
    if (this.turns.length > MAX_TURNS) this.turns.splice(0, this.turns.length - MAX_TURNS);
    this.scheduleWrite(false);
  }

  /** Regenerate: the new answer takes the place of the last one. */
  replaceLast(turn: ChatTurn): void {
    this.turns.pop();
    this.add(turn);
  }

  /** New Chat: the current conversation is kept among the earlier ones, and a fresh one begins. */
  startNew(): void {
    if (this.turns.length === 0) return;
    this.archiveCurrent();
    this.turns = [];
    this.scheduleWrite(true);
  }

  /** Earlier conversations, newest first. */
  list(): ConversationSummary[] {
    return this.earlier
      .map((c) => ({ id: c.id, title: c.turns[0].question, startedAt: typeof c.turns[0].askedAt === 'number' ? c.turns[0].askedAt : 0, turns: c.turns.length }))
      .reverse();
  }

  /**
   * Makes an earlier conversation the current one (the current one, if any, is kept among
   * the earlier ones); the next question continues it. Undefined when there is no such id.
   */
  reopen(id: string): ChatTurn[] | undefined {
    const index = this.earlier.findIndex((c) => c.id === id);
    if (index < 0) return undefined;
    const [chosen] = this.earlier.splice(index, 1);
    this.archiveCurrent();
    this.turns = chosen.turns;
    this.scheduleWrite(true);
    return this.all();
  }

  /** Resolves when everything added so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private archiveCurrent(): void {
    if (this.turns.length === 0) return;
    this.earlier.push({ id: randomUUID(), turns: this.turns });
    if (this.earlier.length > MAX_CONVERSATIONS) this.earlier.splice(0, this.earlier.length - MAX_CONVERSATIONS);
  }

  private scheduleWrite(withArchive: boolean): void {
    const file = this.file;
    if (!file) return;
    this.writing = this.writing.then(async () => {
      try {
        await fs.mkdir(path.dirname(file), { recursive: true });
        // The archive first: a crash in between duplicates a conversation (dropped on load), never loses one.
        if (withArchive) await writeAtomically(archiveFile(file), { version: ARCHIVE_VERSION, conversations: this.earlier });
        await writeAtomically(file, this.turns);
      } catch (error) {
        this.logger.log('error', `Chat history could not be saved to ${file}: ${describeError(error)}`);
      }
    });
  }
}

function archiveFile(file: string): string {
  return path.join(path.dirname(file), 'chat-conversations.json');
}

async function readJson(file: string, logger: Logger): Promise<unknown> {
  try {
    return JSON.parse(await fs.readFile(file, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      logger.log('warn', `Chat history ${file} could not be read (${describeError(error)}); starting a new one.`);
    }
    return undefined;
  }
}

async function writeAtomically(file: string, value: unknown): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await fs.writeFile(temp, JSON.stringify(value));
  await fs.rename(temp, file);
}

function isConversation(value: unknown): value is Conversation {
  const conversation = value as Conversation;
  if (typeof conversation !== 'object' || conversation === null || typeof conversation.id !== 'string' || !Array.isArray(conversation.turns)) return false;
  conversation.turns = conversation.turns.filter(isTurn);
  return conversation.turns.length > 0;
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
