/**
 * withShortLease on both engines: a write under a lease another writer holds waits with backoff and
 * goes through once the lease is free; a lease that stays busy fails after attempts_max with exit
 * 75 naming the stream; an error of the write itself is not retried; the lease is released after
 * every attempt (the next writer gets it at once).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEngines } from '../../test/support/engines.js';
import { EventStore } from './event-store.js';
import { withShortLease } from './short-lease.js';

const STREAM = 'audit:test';
const FAST = { ttl_ms: 60_000, attempts_max: 3, backoff_ms_first: 5, backoff_ms_max: 20 };

describeEngines('short lease on a shared audit stream', (ctx) => {
  test('a free stream: written at once, the lease released after', async () => {
    const store = new EventStore(await ctx.freshDb());
    const seq = await withShortLease(store, STREAM, 'writer-a', FAST, async (lease) => (await store.append(lease, 0, [{ type: 'x.y', time_ms: 1, payload: {} }]))[0]!.seq);
    assert.equal(seq, 1);
    const next = await store.acquireLease(STREAM, 'writer-b', 60_000); // not held any more
    assert.equal(next.owner, 'writer-b');
  });

  test('a lease that stays busy: exit 75 after attempts_max tries, naming the stream; nothing written', async () => {
    const store = new EventStore(await ctx.freshDb());
    await store.acquireLease(STREAM, 'holder', 60_000);
    let calls = 0;
    await assert.rejects(
      withShortLease(store, STREAM, 'writer-a', FAST, async () => { calls++; }),
      (e: Error & { exitCode?: number }) => e.exitCode === 75 && e.message.startsWith(`${STREAM}: could not write after 3 attempts`),
    );
    assert.equal(calls, 0);
    assert.equal((await store.head(STREAM))?.seq ?? 0, 0);
  });

  test('a lease freed while waiting: the write goes through on a later attempt', async () => {
    const store = new EventStore(await ctx.freshDb());
    const held = await store.acquireLease(STREAM, 'holder', 60_000);
    setTimeout(() => void store.releaseLease(held), 15);
    const seq = await withShortLease(store, STREAM, 'writer-a', { ...FAST, attempts_max: 50 }, async (lease) => (await store.append(lease, 0, [{ type: 'x.y', time_ms: 1, payload: {} }]))[0]!.seq);
    assert.equal(seq, 1);
  });

  test('an error of the write itself is thrown at once, not retried, and the lease is released', async () => {
    const store = new EventStore(await ctx.freshDb());
    let calls = 0;
    await assert.rejects(withShortLease(store, STREAM, 'writer-a', FAST, async () => {
      calls++;
      throw new RangeError('bad payload');
    }), RangeError);
    assert.equal(calls, 1);
    assert.equal((await store.acquireLease(STREAM, 'writer-b', 60_000)).owner, 'writer-b');
  });
});
