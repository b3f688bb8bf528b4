/**
 * A cross-process lock on a path, for files several processes write (the index store, model
 * downloads, chat history): two VS Code windows, the CLI and the extension may all run on
 * one folder. The lock is a file created exclusively ('wx') holding who holds it
 * ({pid, hostname, created, nonce}); the kernel decides who creates it first.
 *
 *   const lock = await acquireLock(path.join(dir, 'store.lock'), { token, onWaiting });
 *   try { ...write... } finally { await lock.release(); }
 *
 * or `withLock(file, options, async () => ...)`.
 *
 * A lock left by a holder that died is taken over: on this host, a pid that no longer
 * exists (or our own pid without our nonce: a pid reused after a restart, common in
 * containers) marks it stale; an empty or unparsable lock file (its writer died between
 * creating and filling it) is stale once it is older than `HALF_WRITTEN_GRACE_MS`. A lock
 * held from another host (a shared network folder) is never judged stale: we cannot see
 * its processes; waiting ends only by the timeout or the token.
 *
 * Not re-entrant: a second acquire in the same process waits for the first release. The
 * lock file's folder must exist.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs/promises';
import * as os from 'node:os';
import { CancelledError, type RequestToken } from './cancellation';

/** What a lock file holds. */
export interface LockHolder {
  pid: number;
  hostname: string;
  /** When it was taken (ms since the epoch). */
  created: number;
  /** Tells our own locks from a dead process's that had our pid. */
  nonce: string;
}

export interface AcquireOptions {
  /** Cancels the wait (throws CancelledError); a lock already taken is unaffected. */
  token?: RequestToken;
  /** Gives up after this long (throws LockTimeoutError). Default: wait as long as it takes. */
  timeoutMs?: number;
  /**
   * Called once, when the lock is first found held by someone else (so a caller can say
   * "waiting for another window"); `holder` is undefined while the file is unreadable.
   */
  onWaiting?: (holder: LockHolder | undefined) => void;
}

/** A lock file that cannot be read is being written for at most this long before it counts as stale. */
export const HALF_WRITTEN_GRACE_MS = 5_000;
/** The stale-lock guard is held for a few file operations; older than this, its holder died. */
const GUARD_STALE_MS = 10_000;
const FIRST_POLL_MS = 20;
const MAX_POLL_MS = 500;

export class LockTimeoutError extends Error {
  constructor(
    readonly lockPath: string,
    readonly holder: LockHolder | undefined,
  ) {
    super(`Timed out waiting for ${lockPath}${holder ? ` (held by process ${holder.pid} on ${holder.hostname})` : ''}`);
    this.name = 'LockTimeoutError';
  }
}

/** Nonces of the locks this process holds now, to tell them from a dead process's with our pid. */
const heldHere = new Set<string>();

export class FileLock {
  private released = false;

  constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {}

  /**
   * Removes the lock file if it is still ours (a lock judged stale and taken over by
   * another process is left alone). Idempotent.
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    heldHere.delete(this.holder.nonce);
    const current = await readHolder(this.path);
    if (current.kind === 'held' && current.holder.nonce === this.holder.nonce) await fs.rm(this.path, { force: true });
  }
}

/** Takes the lock at `lockPath`, waiting (polling with backoff) while another process holds it. */
export async function acquireLock(lockPath: string, options: AcquireOptions = {}): Promise<FileLock> {
  const { token, timeoutMs, onWaiting } = options;
  const deadline = timeoutMs === undefined ? Infinity : Date.now() + timeoutMs;
  let delay = FIRST_POLL_MS;
  let told = false;
  for (;;) {
    token?.throwIfCancelled();
    const lock = await tryCreate(lockPath);
    if (lock) return lock;
    const current = await readHolder(lockPath);
    if (current.kind === 'gone') continue;
    if (isStale(current)) {
      await removeStale(lockPath, current);
      continue;
    }
    if (!told) {
      told = true;
      onWaiting?.(current.kind === 'held' ? current.holder : undefined);
    }
    if (Date.now() >= deadline) throw new LockTimeoutError(lockPath, current.kind === 'held' ? current.holder : undefined);
    await sleep(Math.min(delay * (0.75 + Math.random() * 0.5), deadline - Date.now()), token);
    delay = Math.min(delay * 1.5, MAX_POLL_MS);
  }
}

/** Runs `fn` holding the lock, and releases it however `fn` ends. */
export async function withLock<T>(lockPath: string, options: AcquireOptions, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(lockPath, options);
  try {
    return await fn();
  } finally {
    await lock.release();
  }
}

async function tryCreate(lockPath: string): Promise<FileLock | undefined> {
  const holder: LockHolder = { pid: process.pid, hostname: os.hostname(), created: Date.now(), nonce: randomBytes(8).toString('hex') };
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return undefined;
    throw error;
  }
  heldHere.add(holder.nonce);
  try {
    await handle.writeFile(JSON.stringify(holder));
  } catch (error) {
    heldHere.delete(holder.nonce);
    await handle.close().catch(() => {});
    await fs.rm(lockPath, { force: true });
    throw error;
  } finally {
    await handle.close().catch(() => {});
  }
  return new FileLock(lockPath, holder);
}

type Observed =
  | { kind: 'gone' }
  | { kind: 'held'; holder: LockHolder; ino: number; mtimeMs: number }
  | { kind: 'unreadable'; ino: number; mtimeMs: number };

async function readHolder(lockPath: string): Promise<Observed> {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(lockPath, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'gone' };
    throw error;
  }
  try {
    // Stat and read through one handle, so the inode and the content belong to one file.
    const stat = await handle.stat();
    const text = await handle.readFile('utf8');
    const holder = parseHolder(text);
    return holder ? { kind: 'held', holder, ino: stat.ino, mtimeMs: stat.mtimeMs } : { kind: 'unreadable', ino: stat.ino, mtimeMs: stat.mtimeMs };
  } finally {
    await handle.close();
  }
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockHolder>;
    if (typeof value.pid === 'number' && typeof value.hostname === 'string' && typeof value.created === 'number' && typeof value.nonce === 'string') {
      return value as LockHolder;
    }
  } catch {
    // Half-written or damaged: judged by its age instead.
  }
  return undefined;
}

function isStale(observed: Observed): boolean {
  if (observed.kind === 'unreadable') return Date.now() - observed.mtimeMs > HALF_WRITTEN_GRACE_MS;
  if (observed.kind !== 'held') return false;
  const { holder } = observed;
  if (holder.hostname !== os.hostname()) return false;
  if (holder.pid === process.pid) return !heldHere.has(holder.nonce);
  return !processExists(holder.pid);
}

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

/**
 * Removes a stale lock file, unless it changed since it was judged. Two waiters judging the
 * same stale lock must not both remove "it": the second could remove the fresh lock the
 * first just created. So removal happens under a short-lived guard file, after checking the
 * lock file is still the very file (inode) that was judged stale.
 */
async function removeStale(lockPath: string, judged: Observed & { ino: number }): Promise<void> {
  const guard = `${lockPath}.stale-guard`;
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(guard, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another waiter is removing it; a guard left by a process that died in here is removed by age.
    const stat = await fs.stat(guard).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > GUARD_STALE_MS) await fs.rm(guard, { force: true });
    else await sleep(FIRST_POLL_MS);
    return;
  }
  await handle.close();
  try {
    const now = await readHolder(lockPath);
    if (now.kind !== 'gone' && now.ino === judged.ino && isStale(now)) await fs.rm(lockPath, { force: true });
  } finally {
    await fs.rm(guard, { force: true });
  }
}

function sleep(ms: number, token?: RequestToken): Promise<void> {
  return new Promise((resolve, reject) => {
    const onCancel = (): void => {
      clearTimeout(timer);
      reject(new CancelledError(token!.requestId, token!.phase));
    };
    const timer = setTimeout(() => {
      token?.unregisterCallback(onCancel);
      resolve();
    }, Math.max(0, ms));
    token?.registerCallback(onCancel);
  });
}
