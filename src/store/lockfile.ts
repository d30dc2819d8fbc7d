/**
 * An exclusive lock file beside an embedded (PGlite) data directory: PGlite is one process per
 * directory, and a second process opening it would corrupt it. The file holds the holder's pid
 * and command, so the second process can say who holds it. A lock left by a dead process (crash,
 * kill -9) is taken over, since crash recovery and startup are the same path.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import { StoreLockedError, StoreUnavailableError } from './errors.js';

/** Limits: a lock file holds one short JSON line; a pid is 1..PID_MAX (Linux's pid_max ceiling). */
export const LOCK_BYTES_MAX = 4096;
export const PID_MAX = 4_194_304;

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

/**
 * The holder named by the lock file, or null when it names none (unreadable, half-written, or a
 * pid that is no process: 0 and -1 would make kill(pid, 0) probe a whole process group).
 */
export function readLock(path: string): LockInfo | null {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch {
    return null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(LOCK_BYTES_MAX);
    const n = readSync(fd, buf, 0, LOCK_BYTES_MAX, 0);
    const info = JSON.parse(buf.subarray(0, n).toString('utf8')) as LockInfo | null;
    const pid = info?.pid;
    return typeof pid === 'number' && Number.isInteger(pid) && pid >= 1 && pid <= PID_MAX ? { ...info!, command: String(info!.command).slice(0, 200) } : null;
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** The lock path must be a regular file (or absent) for a stale one to be taken over. */
function checkLockPath(path: string): void {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return; // gone meanwhile: the next attempt creates it
  }
  if (!st.isFile()) {
    throw new StoreUnavailableError(`the embedded store's lock ${path} is ${st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; Warden writes a regular file there. Remove it, then run again.`);
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
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw new StoreUnavailableError(`cannot create the embedded store's lock ${path}: ${code ?? (e as Error).message}`);
      checkLockPath(path);
      const holder = readLock(path);
      if (holder && holder.pid !== process.pid && isAlive(holder.pid)) {
        throw new StoreLockedError(path, holder.pid, holder.command);
      }
      // Stale (holder is dead) or unreadable (holder died mid-write): take it over.
      try {
        unlinkSync(path);
      } catch (e2) {
        if ((e2 as NodeJS.ErrnoException).code !== 'ENOENT') throw new StoreUnavailableError(`cannot take over the stale lock ${path}: ${(e2 as NodeJS.ErrnoException).code ?? (e2 as Error).message}`);
      }
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
  throw new StoreLockedError(path, 0, 'unknown: the lock file keeps reappearing; another process is starting on the same directory');
}
