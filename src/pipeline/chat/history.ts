/**
 * Chat history of one workspace, kept in memory and written behind the caller's back so
 * that saving a stopped answer never delays the `{cancelled}` event.
 *
 * Two files: `chat-history.json` is the current conversation, a plain array of turns (the
 * format every earlier version wrote, so old files load unchanged and older versions still
 * read it); the other conversations go to `chat-conversations.json` next to it, with the
 * current one's id, to be reopened.
 *
 * Several processes share these files (two windows on one folder, the CLI), so every save
 * takes the folder's lock (fileLock.ts), re-reads both files, merges them with what this
 * process holds — by conversation id, and by turn within a conversation both changed — and
 * writes the result durably (temp file, fsync, rename, fsync of the folder). A file that
 * cannot be read is moved aside (`<name>.corrupt-<time>`), never overwritten, and the user
 * is told which file was kept.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import type { ConversationSummary } from '../../protocol/conversations';
import type { ChatTurn } from '../../protocol/events';
import type { FileRef } from '../../protocol/indexing';
import { moveAside, writeFileDurably } from '../durableFile';
import { acquireLock, type FileLock } from '../fileLock';
import { describeError, type Logger } from '../log';

const MAX_TURNS = 500;
/** Older conversations beyond this are forgotten, so the file stays small. */
const MAX_CONVERSATIONS = 100;
const ARCHIVE_VERSION = 1;
const ARCHIVE_NAME = 'chat-conversations.json';
const LOCK_NAME = 'chat-history.lock';
/** A window that holds the lock longer than this is hung; the save is retried with the next change. */
const LOCK_TIMEOUT_MS = 15_000;

interface Conversation {
  id: string;
  turns: ChatTurn[];
  /** When a turn was last added or replaced (ms); the newer copy of a conversation wins a merge. */
  updatedAt: number;
}

interface Archive {
  version: number;
  conversations: Conversation[];
  /** The conversation `chat-history.json` holds (absent in files of earlier versions). */
  current?: { id: string; updatedAt: number };
}

/** What the two files hold, as read under the lock. */
interface OnDisk {
  current?: Conversation;
  conversations: Conversation[];
}

export class ChatHistory {
  private current: Conversation = { id: randomUUID(), turns: [], updatedAt: 0 };
  private earlier: Conversation[] = [];
  /** Turns this process replaced (Regenerate) since its last save: a merge must not bring them back. */
  private readonly replaced = new Set<string>();
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
        await history.underLock(async () => {
          const disk = await history.readDisk();
          if (disk.current) history.current = disk.current;
          history.merge(disk);
          await removeStaleTemps(file);
        });
      } catch (error) {
        logger.log('error', `Chat history ${file} could not be opened (${describeError(error)}); this window starts a new conversation and will merge it on the next save.`);
      }
    }
    return history;
  }

  /** The current conversation. */
  all(): ChatTurn[] {
    return this.current.turns.slice();
  }

  add(turn: ChatTurn): void {
    this.current.turns.push(turn);
    if (this.current.turns.length > MAX_TURNS) this.current.turns.splice(0, this.current.turns.length - MAX_TURNS);
    this.current.updatedAt = Date.now();
    this.scheduleWrite();
  }

  /** Regenerate: the new answer takes the place of the last one. */
  replaceLast(turn: ChatTurn): void {
    const last = this.current.turns.pop();
    if (last) this.replaced.add(turnKey(last));
    this.add(turn);
  }

  /** New Chat: the current conversation is kept among the earlier ones, and a fresh one begins. */
  startNew(): void {
    if (this.current.turns.length === 0) return;
    this.archiveCurrent();
    this.current = { id: randomUUID(), turns: [], updatedAt: 0 };
    this.scheduleWrite();
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
    this.current = chosen;
    this.scheduleWrite();
    return this.all();
  }

  /** Resolves when everything added so far is on disk. */
  flush(): Promise<void> {
    return this.writing;
  }

  private archiveCurrent(): void {
    if (this.current.turns.length === 0) return;
    this.earlier.push(this.current);
    if (this.earlier.length > MAX_CONVERSATIONS) this.earlier.splice(0, this.earlier.length - MAX_CONVERSATIONS);
  }

  private scheduleWrite(): void {
    if (!this.file) return;
    this.writing = this.writing.then(() => this.save());
  }

  private async save(): Promise<void> {
    const file = this.file!;
    try {
      await fs.mkdir(path.dirname(file), { recursive: true });
      await this.underLock(async () => {
        // Another window may have saved since: its conversations are merged in, never overwritten.
        this.merge(await this.readDisk());
        // Both files from one moment: a New Chat during the writes below must not pair this
        // conversation's id with the next one's turns.
        const archive: Archive = {
          version: ARCHIVE_VERSION,
          conversations: this.earlier,
          current: { id: this.current.id, updatedAt: this.current.updatedAt },
        };
        const archiveText = JSON.stringify(archive);
        const currentText = JSON.stringify(this.current.turns);
        const replaced = [...this.replaced];
        // The archive first: a kill in between leaves the current conversation in both files
        // (merged again on load), never in neither.
        await writeFileDurably(archiveFile(file), archiveText);
        await writeFileDurably(file, currentText);
        for (const key of replaced) this.replaced.delete(key);
      });
    } catch (error) {
      this.logger.log('error', `Chat history could not be saved to ${file}: ${describeError(error)}. It is kept in memory and saved with the next change.`);
    }
  }

  private async underLock(fn: () => Promise<void>): Promise<void> {
    const file = this.file!;
    await fs.mkdir(path.dirname(file), { recursive: true });
    let lock: FileLock;
    try {
      lock = await acquireLock(path.join(path.dirname(file), LOCK_NAME), { timeoutMs: LOCK_TIMEOUT_MS });
    } catch (error) {
      throw new Error(`another Local RAG window holds ${LOCK_NAME} (${describeError(error)})`);
    }
    try {
      await fn();
    } finally {
      await lock.release();
    }
  }

  /** Both files as they are now; a file that cannot be understood is moved aside (and the user told). */
  private async readDisk(): Promise<OnDisk> {
    const file = this.file!;
    const turnsValue = await this.readJson(file, (value) => Array.isArray(value));
    const archiveValue = (await this.readJson(archiveFile(file), (value) => isRecord(value) && Array.isArray(value.conversations))) as
      | Partial<Archive>
      | undefined;
    const conversations = (archiveValue?.conversations ?? []).filter(isConversation);
    const turns = Array.isArray(turnsValue) ? turnsValue.filter(isTurn) : [];
    if (turns.length === 0) return { conversations };
    const recorded = archiveValue?.current;
    if (recorded && typeof recorded.id === 'string') {
      return { conversations, current: { id: recorded.id, turns, updatedAt: typeof recorded.updatedAt === 'number' ? recorded.updatedAt : 0 } };
    }
    // A file of an earlier version (no id recorded): the conversation it holds may also be
    // archived already (a crash between the two writes); it takes that copy's id then.
    const twin = conversations.find((c) => turnKey(c.turns[0]) === turnKey(turns[0]));
    return { conversations, current: { id: twin?.id ?? randomUUID(), turns, updatedAt: twin?.updatedAt ?? 0 } };
  }

  private async readJson(file: string, isWellFormed: (value: unknown) => boolean): Promise<unknown> {
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      // Unreadable (permissions, a folder in its place): it cannot be moved aside safely either,
      // and writing would replace it, so this save fails and says why.
      throw new Error(`${file} cannot be read (${describeError(error)})`);
    }
    let reason: string;
    try {
      const value = JSON.parse(text) as unknown;
      if (isWellFormed(value)) return value;
      reason = 'not the expected format';
    } catch (error) {
      reason = text.trim() === '' ? 'empty' : describeError(error);
    }
    const movedTo = await moveAside(file);
    if (movedTo) {
      this.logger.log('warn', `Chat history ${file} could not be read (${reason}); it was kept as ${movedTo} and a new one was started.`, {
        keptAside: { file, movedTo },
      });
    }
    return undefined;
  }

  /**
   * Takes in what the disk holds: a conversation this process does not have is added; one
   * it has too keeps the turns of both (the newer copy's order, replaced turns left out).
   */
  private merge(disk: OnDisk): void {
    const theirs = [...disk.conversations, ...(disk.current ? [disk.current] : [])];
    for (const conversation of theirs) {
      if (conversation.id === this.current.id) {
        this.current = mergeConversation(this.current, conversation, this.replaced);
        continue;
      }
      const index = this.earlier.findIndex((c) => c.id === conversation.id);
      if (index >= 0) this.earlier[index] = mergeConversation(this.earlier[index], conversation, this.replaced);
      else this.earlier.push(conversation);
    }
    // Oldest first (list() shows them newest first); a stable sort keeps this window's order on ties.
    this.earlier.sort((a, b) => a.updatedAt - b.updatedAt);
    if (this.earlier.length > MAX_CONVERSATIONS) this.earlier.splice(0, this.earlier.length - MAX_CONVERSATIONS);
  }
}

function mergeConversation(mine: Conversation, theirs: Conversation, replaced: ReadonlySet<string>): Conversation {
  const [newer, older] = theirs.updatedAt > mine.updatedAt ? [theirs, mine] : [mine, theirs];
  const seen = new Set(newer.turns.map(turnKey));
  const missing = older.turns.filter((turn) => !seen.has(turnKey(turn)) && !replaced.has(turnKey(turn)));
  if (missing.length === 0 && newer === mine) return mine;
  let turns = [...newer.turns.filter((turn) => !replaced.has(turnKey(turn))), ...missing];
  if (turns.every((turn) => typeof turn.askedAt === 'number')) turns = turns.sort((a, b) => a.askedAt - b.askedAt);
  if (turns.length > MAX_TURNS) turns = turns.slice(turns.length - MAX_TURNS);
  return { id: mine.id, turns, updatedAt: Math.max(mine.updatedAt, theirs.updatedAt) };
}

/** One question asked at one moment: the same turn in two windows' copies of a conversation. */
function turnKey(turn: ChatTurn): string {
  return `${turn.askedAt ?? ''}\u0000${turn.question}`;
}

/** A temp file this old was left by a process killed while writing (writes take milliseconds). */
const STALE_TEMP_MS = 60_000;

/**
 * Removes the temp files of both history files that a kill left behind. Called under the
 * lock, so no live writer is mid-write, and only old ones, in case a writer skipped the lock.
 */
async function removeStaleTemps(file: string): Promise<void> {
  const dir = path.dirname(file);
  const bases = [path.basename(file), ARCHIVE_NAME];
  const names = await fs.readdir(dir).catch(() => [] as string[]);
  const now = Date.now();
  for (const name of names) {
    if (!bases.some((base) => name.startsWith(`${base}.`) && name.endsWith('.tmp'))) continue;
    const stat = await fs.stat(path.join(dir, name)).catch(() => undefined);
    if (stat && now - stat.mtimeMs > STALE_TEMP_MS) await fs.rm(path.join(dir, name), { force: true });
  }
}

function archiveFile(file: string): string {
  return path.join(path.dirname(file), ARCHIVE_NAME);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isConversation(value: unknown): value is Conversation {
  if (!isRecord(value) || typeof value.id !== 'string' || !Array.isArray(value.turns)) return false;
  const conversation = value as unknown as Conversation;
  conversation.turns = conversation.turns.filter(isTurn);
  if (typeof conversation.updatedAt !== 'number') conversation.updatedAt = 0;
  return conversation.turns.length > 0;
}

function isTurn(value: unknown): value is ChatTurn {
  const turn = value as ChatTurn;
  const valid =
    typeof turn === 'object' &&
    turn !== null &&
    typeof turn.question === 'string' &&
    typeof turn.answer === 'string' &&
    (turn.outcome === 'done' || turn.outcome === 'cancelled' || turn.outcome === 'error') &&
    Array.isArray(turn.sources);
  // A damaged attachment costs only the file to ask again with, not the turn.
  if (valid && turn.attachment !== undefined && !isFileRef(turn.attachment)) delete turn.attachment;
  return valid;
}

function isFileRef(value: unknown): value is FileRef {
  return isRecord(value) && typeof value.absPath === 'string' && typeof value.displayPath === 'string';
}
