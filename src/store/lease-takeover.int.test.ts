/**
 * The writer lease of a dead runtime on both engines. On PGlite (one process per store, behind
 * the lock file) a live lease whose owner is "<this host>:<pid>" with no such process is taken
 * over at once, so a restart after kill -9 does not wait out the ttl; a live pid, another host or
 * an owner of another form still gets LeaseError. On PostgreSQL (many processes, maybe many hosts
 * or pid namespaces) nothing is taken over before the ttl expires.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { describeEngines } from '../../test/support/engines.js';
import { EventStore } from './event-store.js';
import { LeaseError } from './errors.js';

const STREAM = 'book:main';

/** The pid of a process that has exited (reaped: no process has it until the kernel reuses it). */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  assert.ok(r.pid && r.pid > 0);
  return r.pid;
}

describeEngines('writer lease of a dead process', (ctx) => {
  test('a dead pid of this host: taken over at once on PGlite only; the epoch fences it', async () => {
    const store = new EventStore(await ctx.freshDb());
    const dead = await store.acquireLease(STREAM, `${hostname()}:${deadPid()}`, 60_000);
    const me = `${hostname()}:${process.pid}`;
    if (ctx.engine === 'pglite') {
      const lease = await store.acquireLease(STREAM, me, 60_000);
      assert.equal(lease.epoch, dead.epoch + 1);
      await assert.rejects(store.append(dead, 0, [{ type: 'x.y', time_ms: 1, payload: {} }]), LeaseError);
    } else {
      await assert.rejects(store.acquireLease(STREAM, me, 60_000), (e: Error) => e instanceof LeaseError && e.message.includes(dead.owner));
    }
  });

  test('a live pid, another host or another owner form: LeaseError on both engines', async () => {
    for (const owner of [`${hostname()}:${process.ppid}`, `another-host-${hostname()}:${deadPid()}`, `warden backtest (${hostname()}:${deadPid()})`]) {
      const store = new EventStore(await ctx.freshDb());
      await store.acquireLease(STREAM, owner, 60_000);
      await assert.rejects(store.acquireLease(STREAM, `${hostname()}:${process.pid}`, 60_000), (e: Error) => e instanceof LeaseError && e.message.includes(owner), owner);
    }
  });
});
