/**
 * The event store's typed reads and inbox wake-up, on both engines: readTypes pages through only
 * the asked types after a seq (what the directives read model streams), and inboxAppend notifies
 * INBOX_NOTIFY_CHANNEL with the stream only when its row commits (the runtime LISTENs).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { withRollback } from '../../test/support/rollback.js';
import type { NewEvent } from '../core/events/index.js';
import { EventStore, INBOX_NOTIFY_CHANNEL } from './event-store.js';

const STREAM = 'book:types';
const at = (i: number) => 1_700_000_000_000 + i * 3_600_000;
/** seq i: every third event is a.gov, every fifth b.gov, the rest noise. */
const ev = (i: number): NewEvent => ({ type: i % 3 === 0 ? 'a.gov' : i % 5 === 0 ? 'b.gov' : 'noise', time_ms: at(i), payload: { i } });

/** Waits (bounded) until `got` has `n` entries or the bound passes; returns what arrived. */
async function settle(got: string[], n: number, ms = 3_000): Promise<string[]> {
  const until = Date.now() + ms;
  while (got.length < n && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  return got;
}

describeEngines('event store typed reads and inbox notify', (ctx) => {
  test('readTypes returns only the asked types after a seq, a page at a time; readTypesPaged walks them all', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'w', 60_000);
    await store.append(lease, 0, Array.from({ length: 40 }, (_, k) => ev(k + 1)));
    const want = Array.from({ length: 40 }, (_, k) => k + 1).filter((i) => i % 3 === 0 || i % 5 === 0);
    const page = await store.readTypes(STREAM, ['a.gov', 'b.gov'], 0, 4);
    assert.deepEqual(page.map((e) => e.seq), want.slice(0, 4));
    assert.deepEqual(page[0]!.payload, { i: 3 });
    assert.equal(page[0]!.type, 'a.gov');
    const next = await store.readTypes(STREAM, ['a.gov', 'b.gov'], page[3]!.seq, 4);
    assert.deepEqual(next.map((e) => e.seq), want.slice(4, 8));
    const onlyB = await store.readTypes(STREAM, ['b.gov'], 0, 100);
    assert.deepEqual(onlyB.map((e) => e.seq), [5, 10, 20, 25, 35, 40]);
    const all: number[] = [];
    let pages = 0;
    for await (const p of store.readTypesPaged(STREAM, ['a.gov', 'b.gov'], { pageSize: 5 })) {
      assert.ok(p.length <= 5);
      pages++;
      all.push(...p.map((e) => e.seq));
    }
    assert.deepEqual(all, want);
    assert.equal(pages, Math.ceil(want.length / 5));
    assert.deepEqual(await store.readTypes(STREAM, ['nothing.here'], 0, 10), []);
    assert.deepEqual(await store.readTypes('book:other', ['a.gov'], 0, 10), []);
  });

  test('readTypes refuses bad arguments naming them', async () => {
    const store = new EventStore(await ctx.freshDb());
    await assert.rejects(store.readTypes(STREAM, [], 0, 10), /1\.\.64 event types, got 0/);
    await assert.rejects(store.readTypes(STREAM, ["x'; DROP"], 0, 10), /event type "x'; DROP" must match/);
    await assert.rejects(store.readTypes(STREAM, ['a.gov'], -1, 10), /afterSeq must be an integer >= 0, got -1/);
    await assert.rejects(store.readTypes(STREAM, ['a.gov'], 0, 0), /limit must be 1\.\.10000, got 0/);
  });

  test('inboxAppend notifies the stream on commit, and not for a rolled-back row', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const got: string[] = [];
    // The channel is database-wide on PostgreSQL (other tests' schemas notify it too): keep this test's streams.
    const unlisten = await db.listen(INBOX_NOTIFY_CHANNEL, (p) => (p === STREAM || p === 'book:rolled') && got.push(p));
    try {
      await withRollback(db, (view) => new EventStore(view).inboxAppend('book:rolled', 'book.pause', {}, 'operator:alice'));
      const id = await store.inboxAppend(STREAM, 'book.pause', { reason: 'x' }, 'operator:alice');
      assert.ok(id > 0);
      assert.deepEqual(await settle(got, 1), [STREAM]);
      await new Promise((r) => setTimeout(r, 100)); // a late notification of the rolled-back row would show here
      assert.deepEqual(got, [STREAM]);
      assert.deepEqual((await store.inboxRead('book:rolled')).length, 0);
    } finally {
      await unlisten();
    }
    await store.inboxAppend(STREAM, 'book.resume', {}, 'operator:alice');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(got, [STREAM], 'nothing after unlisten');
  });

  test('listen refuses a channel name that is not an identifier', async () => {
    const db = await ctx.freshDb();
    await assert.rejects(db.listen('bad-name; x', () => undefined), /channel name "bad-name; x" must match/);
  });
});
