/**
 * The cross-process lock (src/pipeline/fileLock.ts) against real second processes: one
 * holder at a time, a killed holder's lock taken over, a wait that can be cancelled or
 * time out, and a release that never removes someone else's lock.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { RequestToken, CancelledError } from '../../src/pipeline/cancellation';
import { acquireLock, HALF_WRITTEN_GRACE_MS, LockTimeoutError, withLock, type LockHolder } from '../../src/pipeline/fileLock';

function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'lock-'));
}

/** A real process holding the lock; resolves once it holds it. */
async function holdInChild(lockPath: string): Promise<ChildProcess> {
  const child = fork(path.join(__dirname, '../support/lockHolder.ts'), [lockPath], { execArgv: ['--import', 'tsx'], stdio: 'ignore' });
  await new Promise<void>((resolve, reject) => {
    child.once('message', (message) => (message === 'held' ? resolve() : reject(new Error(String(message)))));
    child.once('exit', (code) => reject(new Error(`holder exited (${code})`)));
  });
  return child;
}

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}

describe('file lock', () => {
  test('a second process holding the lock makes us wait (told once, with its pid) until it releases', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    const child = await holdInChild(lockPath);
    try {
      const told: (LockHolder | undefined)[] = [];
      let acquired = false;
      const waiting = acquireLock(lockPath, { onWaiting: (holder) => told.push(holder) }).then((lock) => {
        acquired = true;
        return lock;
      });
      await new Promise((resolve) => setTimeout(resolve, 400));
      assert.equal(acquired, false, 'the lock was taken while another process held it');
      assert.equal(told.length, 1);
      assert.equal(told[0]?.pid, child.pid);
      child.send('release');
      const lock = await waiting;
      assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, process.pid);
      await lock.release();
      assert.equal(fs.existsSync(lockPath), false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('the lock of a killed holder is stale and taken over at once', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    const child = await holdInChild(lockPath);
    child.kill('SIGKILL');
    await exited(child);
    assert.equal(fs.existsSync(lockPath), true, 'the killed holder left its lock file');
    const started = Date.now();
    const lock = await acquireLock(lockPath, { timeoutMs: 3000 });
    assert.ok(Date.now() - started < 1000, 'a dead holder was waited for');
    assert.equal(lock.holder.pid, process.pid);
    await lock.release();
  });

  test('a lock left by a dead process that had our pid (pid reuse) is stale', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    fs.writeFileSync(lockPath, JSON.stringify({ pid: process.pid, hostname: os.hostname(), created: Date.now() - 60_000, nonce: 'not-ours' }));
    const lock = await acquireLock(lockPath, { timeoutMs: 1000 });
    await lock.release();
  });

  test('cancelling the token ends the wait with CancelledError and leaves the holder its lock', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    const child = await holdInChild(lockPath);
    try {
      const token = new RequestToken('index-1');
      let waitingSeen!: () => void;
      const seen = new Promise<void>((resolve) => (waitingSeen = resolve));
      const waiting = acquireLock(lockPath, { token, onWaiting: () => waitingSeen() });
      await seen;
      const cancelledAt = Date.now();
      token.cancel();
      await assert.rejects(waiting, CancelledError);
      assert.ok(Date.now() - cancelledAt < 100, 'cancel did not end the wait at once');
      assert.equal(JSON.parse(fs.readFileSync(lockPath, 'utf8')).pid, child.pid);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a timeout names the holder', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    const child = await holdInChild(lockPath);
    try {
      await assert.rejects(acquireLock(lockPath, { timeoutMs: 300 }), (error: unknown) => {
        assert.ok(error instanceof LockTimeoutError);
        assert.equal(error.holder?.pid, child.pid);
        assert.match(error.message, new RegExp(`process ${child.pid}`));
        return true;
      });
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('an empty lock file (writer died while creating it) is respected while young, stale once old', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    fs.writeFileSync(lockPath, '');
    await assert.rejects(acquireLock(lockPath, { timeoutMs: 200 }), LockTimeoutError);
    const old = (Date.now() - HALF_WRITTEN_GRACE_MS - 1000) / 1000;
    fs.utimesSync(lockPath, old, old);
    const lock = await acquireLock(lockPath, { timeoutMs: 1000 });
    await lock.release();
  });

  test('release leaves alone a lock that is no longer ours', async () => {
    const lockPath = path.join(tempDir(), 'store.lock');
    const lock = await acquireLock(lockPath);
    const other = { pid: 1, hostname: 'elsewhere', created: Date.now(), nonce: 'theirs' };
    fs.writeFileSync(lockPath, JSON.stringify(other));
    await lock.release();
    assert.deepEqual(JSON.parse(fs.readFileSync(lockPath, 'utf8')), other);
  });

  test('writers in several processes and this one never overlap inside withLock', async () => {
    const dir = tempDir();
    const lockPath = path.join(dir, 'store.lock');
    const marker = path.join(dir, 'inside');
    const children: ChildProcess[] = [];
    try {
      // Children take and release the lock in turns with this process.
      for (let round = 0; round < 3; round++) {
        const child = await holdInChild(lockPath);
        children.push(child);
        const ours = withLock(lockPath, {}, async () => {
          assert.equal(fs.existsSync(marker), false);
          fs.writeFileSync(marker, 'x');
          await new Promise((resolve) => setTimeout(resolve, 20));
          fs.rmSync(marker);
        });
        await new Promise((resolve) => setTimeout(resolve, 50));
        assert.equal(fs.existsSync(marker), false, 'entered while a child held the lock');
        child.send('release');
        await ours;
      }
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  });
});
