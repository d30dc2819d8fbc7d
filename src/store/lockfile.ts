/**
 * An exclusive lock file beside an embedded (PGlite) data directory: PGlite is one process per
 * directory, and a second process opening it would corrupt it. The file holds the holder's pid
 * and command, so the second process can say who holds it. A lock left by a dead process (crash,
 * kill -9) is taken over, since crash recovery and startup are the same path.
 */
import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { StoreLockedError } from './errors.js';

export interface LockInfo {
  pid: number;
  command: string;
  started_at: string;
}

/** Whether a process with this pid exists on this host (EPERM: it exists, owned by another user). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lock file's holder, or null (no file, or unreadable: a holder that died mid-write). */
export function readLock(path: string): LockInfo | null {
  try {
    const info = JSON.parse(readFileSync(path, 'utf8')) as LockInfo;
    return Number.isInteger(info.pid) ? info : null;
  } catch {
    return null;
  }
}

export interface HeldLock {
  readonly path: string;
  release(): void;
}

export function acquireLock(path: string, command: string): HeldLock {
  for (let attempt = 0; attempt < 2; attempt++) {
    let fd: number;
    try {
      fd = openSync(path, 'wx', 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = readLock(path);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new StoreLockedError(path, holder.pid, holder.command);
      }
      // Stale (holder is dead) or unreadable (holder died mid-write): take it over.
      unlinkSync(path);
      continue;
    }
    const info: LockInfo = { pid: process.pid, command, started_at: new Date().toISOString() };
    writeSync(fd, JSON.stringify(info) + '\n');
    closeSync(fd);
    let released = false;
    return {
      path,
      release() {
        if (released) return;
        released = true;
        if (readLock(path)?.pid === process.pid) unlinkSync(path);
      },
    };
  }
  throw new Error(`could not take the lock file ${path}: it keeps reappearing; another process is starting on the same directory`);
}
