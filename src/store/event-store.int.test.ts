/** Event store behaviour on both engines: chain, concurrency, fencing, append-only, snapshots, inbox. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { chainEvents, chainHash, GENESIS_PREV_HASH, type NewEvent, type StoredEvent } from '../core/events/index.js';
import { toHex } from '../core/canonical/hash.js';
import { ConcurrencyError, IntegrityError, LeaseError } from './errors.js';
import { EventStore } from './event-store.js';
import type { Db } from './db.js';

const STREAM = 'book:test';
const ev = (i: number): NewEvent => ({ type: 'test.tick', time_ms: 1_700_000_000_000 + i * 3_600_000, payload: { i, close: `${42000 + i}.5` } });
const evs = (from: number, n: number) => Array.from({ length: n }, (_, k) => ev(from + k));

async function countEvents(db: Db): Promise<number> {
  const [r] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
  return r!.n;
}

async function expectSqlError(p: Promise<unknown>, re: RegExp): Promise<void> {
  await assert.rejects(p, (e: Error) => {
    assert.match(e.message, re);
    return true;
  });
}

describeEngines('event store', (ctx) => {
  test('append assigns seqs and chains hashes; read returns the same bytes; verify passes', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'writer-a', 60_000);
    const first = await store.append(lease, 0, evs(1, 3));
    const second = await store.append(lease, 3, evs(4, 2));
    assert.deepEqual([...first, ...second].map((e) => e.seq), [1, 2, 3, 4, 5]);
    assert.equal(toHex(first[0]!.prev_hash), toHex(GENESIS_PREV_HASH));
    assert.equal(toHex(second[0]!.prev_hash), toHex(first[2]!.hash));
    const read = [];
    for await (const batch of store.read(STREAM, { batchSize: 2 })) {
      assert.ok(batch.length <= 2);
      read.push(...batch);
    }
    assert.deepEqual(read.map((e) => toHex(e.hash)), [...first, ...second].map((e) => toHex(e.hash)));
    assert.deepEqual(read.map((e) => toHex(e.body)), [...first, ...second].map((e) => toHex(e.body)));
    assert.deepEqual(read[4]!.payload, { i: 5, close: '42005.5' });
    const v = await store.verify(STREAM);
    assert.equal(v.head_seq, 5);
    assert.equal(toHex(v.head_hash), toHex(second[1]!.hash));
  });

  test('an append stores every event\'s exact bytes and links (multi-byte UTF-8, varied sizes) and refuses a batch over its byte limit, writing nothing', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db, { append_bytes_max: 8192 });
    const lease = await store.acquireLease(STREAM, 'writer-a', 60_000);
    const varied = Array.from({ length: 9 }, (_, k): NewEvent => ({ type: k % 2 ? 'test.tick' : 'test.other', time_ms: 1_700_000_000_000 + k, payload: { k, s: 'é€😀"\\'.repeat(k * 7) } }));
    const stored = await store.append(lease, 0, varied);
    const back: StoredEvent[] = [];
    for await (const batch of store.read(STREAM)) back.push(...batch);
    const hex = (xs: readonly StoredEvent[]) => xs.map((e) => [e.seq, e.type, e.time_ms, toHex(e.body), toHex(e.prev_hash), toHex(e.hash)]);
    assert.deepEqual(hex(back), hex(stored));
    assert.deepEqual(hex(back), hex(chainEvents(STREAM, 0, GENESIS_PREV_HASH, varied)));
    assert.equal((await store.verify(STREAM)).head_seq, 9);
    const big: NewEvent = { type: 'test.tick', time_ms: 1_700_000_000_100, payload: { s: 'x'.repeat(5000) } };
    await assert.rejects(store.append(lease, 9, [big, big]), (e: Error) => e instanceof RangeError && /^append: more than 8192 bytes of events in one call \(at event 2 of 2\); nothing was written$/.test(e.message));
    assert.equal(await countEvents(db), 9);
    assert.equal((await store.append(lease, 9, [big]))[0]!.seq, 10); // one fits
  });

  test('a stale expected seq fails with ConcurrencyError and writes nothing', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'writer-a', 60_000);
    await store.append(lease, 0, evs(1, 2));
    await assert.rejects(store.append(lease, 1, evs(3, 5)), (e: unknown) => {
      assert.ok(e instanceof ConcurrencyError);
      assert.equal(e.expectedSeq, 1);
      assert.equal(e.actualSeq, 2);
      assert.match(e.message, /expected head seq 1, actual head seq 2/);
      return true;
    });
    assert.equal(await countEvents(db), 2);
    assert.equal((await store.head(STREAM))!.seq, 2);
  });

  test('a writer whose lease was taken over (stale epoch) cannot append; nothing is written', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const a = await store.acquireLease(STREAM, 'writer-a', 60_000);
    await store.append(a, 0, evs(1, 1));
    // a's lease expires (simulated by the database clock moving past it), b takes over.
    await db.query("UPDATE streams SET lease_expires_at = now() - interval '1 second' WHERE stream = $1", [STREAM]);
    const b = await store.acquireLease(STREAM, 'writer-b', 60_000);
    assert.equal(b.epoch, a.epoch + 1);
    await assert.rejects(store.append(a, 1, evs(2, 3)), (e: unknown) => {
      assert.ok(e instanceof LeaseError);
      assert.match(e.message, new RegExp(`epoch ${a.epoch}.*epoch ${b.epoch} held by writer-b`));
      return true;
    });
    await assert.rejects(store.renewLease(a, 60_000), LeaseError);
    assert.equal(await countEvents(db), 1);
    await store.append(b, 1, evs(2, 1));
    assert.equal(await countEvents(db), 2);
  });

  test('a live lease held by another owner is refused with the holder named', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    await store.acquireLease(STREAM, 'host-1:111', 60_000);
    await assert.rejects(store.acquireLease(STREAM, 'host-2:222', 60_000), (e: unknown) => {
      assert.ok(e instanceof LeaseError);
      assert.equal(e.holder, 'host-1:111');
      assert.match(e.message, /leased to host-1:111/);
      return true;
    });
  });

  test('a released lease can be taken by the next writer at a higher epoch', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const a = await store.acquireLease(STREAM, 'a', 60_000);
    await store.releaseLease(a);
    const b = await store.acquireLease(STREAM, 'b', 60_000);
    assert.ok(b.epoch > a.epoch);
    await assert.rejects(store.append(a, 0, evs(1, 1)), LeaseError);
  });

  test('UPDATE, DELETE and TRUNCATE on events are rejected by the database, even for a superuser', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 3));
    await expectSqlError(db.query("UPDATE events SET type = 'x' WHERE seq = 2"), /UPDATE on events is forbidden/);
    await expectSqlError(db.query('DELETE FROM events WHERE seq = 3'), /DELETE on events is forbidden/);
    await expectSqlError(db.exec('TRUNCATE events'), /TRUNCATE on events is forbidden/);
    await store.inboxAppend(STREAM, 'book.pause', {}, 'alice');
    await expectSqlError(db.query("UPDATE inbox SET command = 'x'"), /UPDATE on inbox is forbidden/);
    assert.equal(await countEvents(db), 3);
    await store.verify(STREAM);
  });

  test('the warden_runtime role has no UPDATE, DELETE or TRUNCATE privilege on history', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 1));
    for (const sql of ["UPDATE events SET type = 'x'", 'DELETE FROM events', 'TRUNCATE events', 'DELETE FROM snapshots']) {
      await expectSqlError(
        db.transaction(async (tx) => {
          await tx.query('SET LOCAL ROLE warden_runtime');
          await tx.exec(sql);
        }),
        /permission denied/,
      );
    }
    // ...while it can read and append.
    const ok = await db.transaction(async (tx) => {
      await tx.query('SET LOCAL ROLE warden_runtime');
      return tx.query<{ n: number }>('SELECT count(*)::int AS n FROM events');
    });
    assert.equal(ok[0]!.n, 1);
  });

  test('verify names the exact seq of a body altered around the triggers', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 10));
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE events DISABLE TRIGGER events_no_update');
      await tx.query(`UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), '42007.5', '42007.6'), 'UTF8') WHERE seq = 7`);
      await tx.exec('ALTER TABLE events ENABLE TRIGGER events_no_update');
    });
    await assert.rejects(store.verify(STREAM), (e: unknown) => {
      assert.ok(e instanceof IntegrityError);
      assert.equal(e.seq, 7);
      return true;
    });
  });

  test('verify detects a deleted tail event through the stream head', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 4));
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE events DISABLE TRIGGER events_no_update');
      await tx.query('DELETE FROM events WHERE seq = 4');
      await tx.exec('ALTER TABLE events ENABLE TRIGGER events_no_update');
    });
    await assert.rejects(store.verify(STREAM), (e: unknown) => e instanceof IntegrityError && e.seq === 4);
  });

  test('read streams in bounded batches over a long stream', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 2500));
    let batches = 0;
    let n = 0;
    for await (const b of store.read(STREAM, { fromSeq: 101, batchSize: 1000 })) {
      batches++;
      assert.equal(b[0]!.seq, 101 + n);
      n += b.length;
    }
    assert.equal(n, 2400);
    assert.equal(batches, 3);
  });

  test('read and verify ask for seq windows no wider than a batch (no open-ended range under a LIMIT: a stale plan scanned the whole rest per batch)', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 2500));
    const windows: [number, number, number][] = [];
    // the same database, its reads of events recorded: [from seq, to seq, limit]
    const recording: Db = Object.create(db, {
      query: {
        value: async <R>(sql: string, params?: readonly unknown[]): Promise<R[]> => {
          if (/FROM events\s+WHERE stream = \$1 AND seq >= \$2 AND seq <= \$3/.test(sql)) windows.push([Number(params![1]), Number(params![2]), Number(params![3])]);
          return db.query<R>(sql, params);
        },
      },
    }) as Db;
    const watched = new EventStore(recording);
    const seqs: number[] = [];
    for await (const b of watched.read(STREAM, { fromSeq: 101, batchSize: 1000 })) for (const e of b) seqs.push(e.seq);
    assert.deepEqual(seqs, Array.from({ length: 2400 }, (_, k) => 101 + k));
    assert.deepEqual(windows, [[101, 1100, 1000], [1101, 2100, 1000], [2101, 3100, 1000], [2501, 3500, 1000]], 'the last window comes back short, one more ends the read');
    windows.length = 0;
    const v = await watched.verify(STREAM, undefined, 1000);
    assert.equal(v.head_seq, 2500);
    assert.deepEqual(windows, [[1, 1000, 1000], [1001, 2000, 1000], [2001, 3000, 1000], [2501, 3500, 1000]], 'verify: the same windows from seq 1');
  });

  test('snapshots record state, its hash and the chain head; the latest is returned and checked', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    const stored = await store.append(lease, 0, evs(1, 3));
    await store.saveSnapshot(lease, 2, { cash: '100.5', n: 2 }, 'periodic');
    await store.saveSnapshot(lease, 3, { cash: '99.25', n: 3 }, 'shutdown');
    const snap = await store.latestSnapshot(STREAM);
    assert.equal(snap!.seq, 3);
    assert.deepEqual(snap!.state, { cash: '99.25', n: 3 });
    assert.equal(toHex(snap!.head_hash), toHex(stored[2]!.hash));
    await assert.rejects(store.saveSnapshot(lease, 9, {}, 'periodic'), /beyond the head/);
    await expectSqlError(db.query("UPDATE snapshots SET kind = 'x'"), /UPDATE on snapshots is forbidden/);
  });

  test('the inbox is append-only and returns commands in order with their hashes checked', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const a = await store.inboxAppend(STREAM, 'book.pause', { reason: 'maintenance' }, 'alice');
    const b = await store.inboxAppend(STREAM, 'book.resume', {}, 'alice');
    assert.ok(b > a);
    const cmds = await store.inboxRead(STREAM, 0);
    assert.deepEqual(cmds.map((c) => c.command), ['book.pause', 'book.resume']);
    assert.deepEqual(cmds[0]!.payload, { reason: 'maintenance' });
    assert.deepEqual((await store.inboxRead(STREAM, a)).map((c) => c.id), [b]);
    await expectSqlError(db.query('DELETE FROM inbox'), /DELETE on inbox is forbidden/);
  });

  test('an append on a remembered head that went stale (another store appended under the lease) is refused; nothing written', async () => {
    const db = await ctx.freshDb();
    const a = new EventStore(db);
    const lease = await a.acquireLease(STREAM, 'writer-a', 60_000);
    await a.append(lease, 0, evs(1, 2)); // a remembers head 2
    await new EventStore(db).append(lease, 2, evs(3, 3)); // the head moves to 5 behind a's back
    await assert.rejects(a.append(lease, 2, evs(3, 1)), (e: unknown) => e instanceof ConcurrencyError && e.actualSeq === 5);
    assert.equal(await countEvents(db), 5);
    // Stated right, the append goes through (chained from the stored head, not the remembered one).
    const [sixth] = await a.append(lease, 5, evs(6, 1));
    assert.equal(sixth!.seq, 6);
    assert.equal((await a.verify(STREAM)).head_seq, 6);
  });

  test('a remembered head does not outlive the lease: a writer fenced off by another store gets LeaseError, even with a bad event', async () => {
    const db = await ctx.freshDb();
    const a = new EventStore(db);
    const lease = await a.acquireLease(STREAM, 'writer-a', 60_000);
    await a.append(lease, 0, evs(1, 1));
    await db.query("UPDATE streams SET lease_expires_at = now() - interval '1 second' WHERE stream = $1", [STREAM]);
    const b = await new EventStore(db).acquireLease(STREAM, 'writer-b', 60_000);
    // a still remembers its head under its epoch. The envelope error of an invalid event does not
    // hide the lost lease (checked first, as a locked read did)...
    await assert.rejects(a.append(lease, 1, [ev(2), { ...ev(3), type: 'Not A Type' }]), LeaseError);
    // ...nor does the remembered head let a valid append through.
    await assert.rejects(a.append(lease, 1, evs(2, 2)), (e: unknown) => e instanceof LeaseError && e.currentEpoch === b.epoch);
    assert.equal(await countEvents(db), 1);
    // With the lease, the invalid event is reported as such, and nothing is written.
    const c = new EventStore(db);
    const own = await c.acquireLease(STREAM, 'writer-b', 60_000);
    await assert.rejects(c.append(own, 1, [ev(2), { ...ev(3), type: 'Not A Type' }]), /event type "Not A Type" must match/);
    await assert.rejects(new EventStore(db).append(own, 1, [ev(2), { ...ev(3), type: 'Not A Type' }]), /event type "Not A Type" must match/);
    assert.equal(await countEvents(db), 1);
  });

  test('racing appends on one head (two connections on PostgreSQL): exactly one is written, the other gets ConcurrencyError', async () => {
    const db = await ctx.freshDb();
    const setup = new EventStore(db);
    const lease = await setup.acquireLease(STREAM, 'writer-a', 60_000);
    await setup.append(lease, 0, evs(1, 1));
    for (let round = 0; round < 5; round++) {
      const head = (await setup.head(STREAM))!.seq;
      const results = await Promise.allSettled([new EventStore(db).append(lease, head, evs(head + 1, 300)), new EventStore(db).append(lease, head, evs(head + 1, 200))]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      assert.equal(won.length, 1, `round ${round}: one append is written`);
      assert.ok(lost[0]!.reason instanceof ConcurrencyError, String(lost[0]!.reason));
      assert.equal((await setup.head(STREAM))!.seq, head + (won[0] as PromiseFulfilledResult<StoredEvent[]>).value.length);
    }
    assert.equal((await setup.verify(STREAM)).events, await countEvents(db));
  });

  test('an append whose insert fails midway moves nothing: no event and no head (one statement)', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'writer-a', 60_000);
    await store.append(lease, 0, evs(1, 2));
    // A row squatting at seq 500 (written around the store): the 1,000-event append below
    // conflicts in its middle, after 497 of its rows were inserted.
    const [squat] = chainEvents(STREAM, 499, GENESIS_PREV_HASH, [ev(500)]);
    await db.query('INSERT INTO events (stream, seq, type, time_ms, body, prev_hash, hash, writer_epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)',
      [STREAM, squat!.seq, squat!.type, squat!.time_ms, squat!.body, squat!.prev_hash, squat!.hash]);
    await assert.rejects(store.append(lease, 2, evs(3, 1000)), /duplicate key|unique/);
    assert.equal(await countEvents(db), 3);
    assert.equal((await store.head(STREAM))!.seq, 2);
  });

  test('read and verify stop cleanly mid-stream (the batch read ahead is awaited) and the store goes on', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    await store.append(lease, 0, evs(1, 50));
    for await (const batch of store.read(STREAM, { batchSize: 10 })) {
      assert.equal(batch.length, 10);
      break;
    }
    await assert.rejects(store.verify(STREAM, undefined, 10, (e) => {
      if (e.seq === 15) throw new Error('consumer stops');
    }), /consumer stops/);
    await store.append(lease, 50, evs(51, 5));
    const seen: StoredEvent[] = [];
    const batches: number[] = [];
    const v = await store.verify(STREAM, undefined, 10, (e) => seen.push(e), { onBatch: (b) => void batches.push(b.length) });
    assert.equal(v.head_seq, 55);
    assert.deepEqual(seen.map((e) => e.seq), Array.from({ length: 55 }, (_, i) => i + 1));
    assert.deepEqual(seen[54]!.payload, { i: 55, close: '42055.5' });
    assert.deepEqual(batches, [10, 10, 10, 10, 10, 5]);
  });

  test('verify checks columns against the hashed bytes without parsing them; events for a consumer are parsed', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    // A stream whose second body is not JSON but is chained and hashed consistently (as only a
    // writer that can recompute every later hash and the head could make it).
    await db.query('INSERT INTO streams (stream) VALUES ($1)', [STREAM]);
    const [first] = chainEvents(STREAM, 0, GENESIS_PREV_HASH, [ev(1)]);
    const bad = new TextEncoder().encode(`{"payload":{oops,"seq":2,"stream":"${STREAM}","time_ms":${ev(2).time_ms},"type":"test.tick"}`);
    const badHash = chainHash(first!.hash, bad);
    for (const [seq, body, prev, hash] of [[1, first!.body, first!.prev_hash, first!.hash], [2, bad, first!.hash, badHash]] as const) {
      await db.query('INSERT INTO events (stream, seq, type, time_ms, body, prev_hash, hash, writer_epoch) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)',
        [STREAM, seq, 'test.tick', ev(seq).time_ms, body, prev, hash]);
    }
    await db.query('UPDATE streams SET head_seq = 2, head_hash = $2 WHERE stream = $1', [STREAM, badHash]);
    assert.equal((await store.verify(STREAM)).head_seq, 2, 'hash, links, columns and head agree');
    await assert.rejects(store.verify(STREAM, undefined, 1000, () => undefined), (e: unknown) => {
      assert.ok(e instanceof IntegrityError);
      assert.equal(e.seq, 2);
      assert.match(e.message, /not valid canonical JSON/);
      return true;
    });
    await assert.rejects(async () => {
      for await (const _ of store.read(STREAM)) void _;
    }, (e: unknown) => e instanceof IntegrityError && e.seq === 2);
    // A column that disagrees with the bytes is caught without parsing.
    await db.transaction(async (tx) => {
      await tx.exec('ALTER TABLE events DISABLE TRIGGER events_no_update');
      await tx.query('UPDATE events SET time_ms = time_ms + 1 WHERE seq = 1');
      await tx.exec('ALTER TABLE events ENABLE TRIGGER events_no_update');
    });
    await assert.rejects(store.verify(STREAM), (e: unknown) => e instanceof IntegrityError && e.seq === 1 && /columns disagree/.test(e.message));
  });

  test('hashes are the kernel chain over the stored canonical bytes', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'a', 60_000);
    const [e1] = await store.append(lease, 0, [ev(1)]);
    const [row] = await db.query<{ body: Uint8Array; hash: Uint8Array }>('SELECT body, hash FROM events WHERE seq = 1');
    assert.equal(toHex(chainHash(GENESIS_PREV_HASH, row!.body)), toHex(row!.hash));
    assert.equal(Buffer.from(row!.body).toString('utf8'), '{"payload":{"close":"42001.5","i":1},"seq":1,"stream":"book:test","time_ms":1700003600000,"type":"test.tick"}');
    assert.equal(toHex(e1!.hash), toHex(row!.hash));
  });
});
