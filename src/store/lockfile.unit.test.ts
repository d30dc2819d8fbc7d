/**
 * The embedded store's lock file ([F10] classes): a lock naming pid 0 or -1 (which kill(pid, 0)
 * would report alive: a process group, every process) is stale and taken over, not a store
 * blocked forever; a lock path that is a directory is refused (69) naming it, not an internal
 * error; a lock that cannot be created is 69 too.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { StoreLockedError, StoreUnavailableError } from './errors.js';
import { acquireLock } from './lockfile.js';

const dir = mkdtempSync(join(tmpdir(), 'warden-lock-'));

test('a lock naming pid 0, -1, a huge or a non-integer pid is stale: taken over', () => {
  for (const pid of [0, -1, 2 ** 31, 1.5, '"1"', null]) {
    const path = join(dir, `p${String(pid)}.lock`);
    writeFileSync(path, `{"pid":${String(pid)},"command":"x","started_at":"x"}\n`);
    const lock = acquireLock(path, 'test');
    assert.equal((JSON.parse(readFileSync(path, 'utf8')) as { pid: number }).pid, process.pid);
    lock.release();
  }
});

test('a live holder is still named (75)', () => {
  const path = join(dir, 'live.lock');
  writeFileSync(path, `{"pid":1,"command":"init","started_at":"x"}\n`); // pid 1 always exists
  assert.throws(() => acquireLock(path, 'test'), (e: unknown) => e instanceof StoreLockedError && e.exitCode === 75 && /pid 1 \(init\)/.test(e.message));
});

test('a lock path that is a directory, or where no file can be made, is 69 naming it', () => {
  const path = join(dir, 'd.lock');
  mkdirSync(path);
  assert.throws(() => acquireLock(path, 'test'), (e: unknown) => e instanceof StoreUnavailableError && e.exitCode === 69 && /d\.lock is a directory/.test(e.message));
  assert.throws(() => acquireLock('/proc/warden-x.lock', 'test'), (e: unknown) => e instanceof StoreUnavailableError && e.exitCode === 69 && /cannot create the embedded store's lock \/proc\/warden-x\.lock/.test(e.message));
});
