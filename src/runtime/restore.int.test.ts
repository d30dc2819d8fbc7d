/**
 * Restore on both engines: latest snapshot + tail replay gives the same state hash as a full
 * fold; the latest snapshot is proved from its predecessor snapshot (or genesis when there is
 * none or it cannot be decoded), so the check folds only the events between the two (bounded by
 * the snapshot interval, not by history); a wrong latest snapshot, a wrong predecessor or a
 * predecessor whose head hash is not the log's is refused with an IntegrityError before anything
 * new is written; an undecodable latest snapshot is ignored (full replay); a broken chain in the
 * tail is refused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describeEngines } from '../../test/support/engines.js';
import { EventStore, type Lease } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';
import { bookKernel, bookStateCodec, cloneState, encodeEvent, type BookState, type RuntimeCommand } from '../core/book/index.js';
import { restore, type RestoreNote } from './restore.js';

const STREAM = 'book:main';

/** A book with no market: the runtime without WARDEN_BOOK_CONFIG. */
const minimalBookKernel = bookKernel(null);

async function writeHistory(store: EventStore, lease: Lease, commands: RuntimeCommand[], from: { state: BookState; seq: number }) {
  const state = cloneState(from.state);
  let { seq } = from;
  for (const c of commands) {
    const events = minimalBookKernel.decider.step(c, state).map(encodeEvent);
    if (events.length === 0) continue;
    const stored = await store.append(lease, seq, events);
    seq = stored[stored.length - 1]!.seq;
  }
  return { state, seq };
}

const start = (n: number): RuntimeCommand => ({ kind: 'runtime.start', time_ms: 1000 * n, book_id: 'main', execution_plane: 'PAPER', owner: 'test:1', lease_epoch: 1 });
const stop = (n: number): RuntimeCommand => ({ kind: 'runtime.stop', time_ms: 1000 * n + 500, reason: 'SIGTERM' });
const pause = (id: number): RuntimeCommand => ({ kind: 'operator.command', time_ms: 5000 + id, inbox_id: id, command: 'book.pause', payload: { reason: 'r' }, issued_by: 'ops' });

describeEngines('runtime restore', (ctx) => {
  test('snapshot + tail replay equals a full fold; counts are reported', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const h1 = await writeHistory(store, lease, [start(1), stop(1), start(2), pause(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    const full = await restore(store, STREAM, minimalBookKernel);
    assert.equal(full.snapshot_seq, null);
    assert.equal(full.events_replayed, h1.seq);
    await store.saveSnapshot(lease, h1.seq, bookStateCodec.encode(h1.state), 'periodic:book.v2');
    const h2 = await writeHistory(store, lease, [stop(2), start(3)], h1);
    const fromSnap = await restore(store, STREAM, minimalBookKernel);
    assert.equal(fromSnap.snapshot_seq, h1.seq);
    assert.equal(fromSnap.events_replayed, h2.seq - h1.seq);
    assert.deepEqual(await fromSnap.verified, { events_folded: h1.seq, from_seq: 0 }); // no predecessor: from genesis
    assert.equal(fromSnap.seq, h2.seq);
    assert.equal(fromSnap.state.status, 'PAUSED');
    assert.equal(fromSnap.state.running, true);
    // The same store gives the same hash every time, with or without the snapshot.
    const again = await restore(store, STREAM, minimalBookKernel);
    assert.equal(again.state_hash, fromSnap.state_hash);
    assert.deepEqual(again.state, fromSnap.state);
  });

  test('a snapshot that disagrees with a fresh fold is refused before anything is written', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const h = await writeHistory(store, lease, [start(1), stop(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    // Well-formed, correctly hashed bytes, but not what the events fold to.
    await store.saveSnapshot(lease, h.seq, bookStateCodec.encode({ ...h.state, status: 'PAUSED' }), 'periodic:book.v2');
    const r = await restore(store, STREAM, minimalBookKernel);
    assert.equal(r.state.status, 'PAUSED'); // the fast path used it ...
    await assert.rejects(r.verified, (e: Error) => e instanceof IntegrityError && /does not match a fresh fold/.test(e.message)); // ... but it is refused
  });

  /** Three snapshots with history between and after them; returns their seqs. */
  async function threeSnapshots(store: EventStore, lease: Lease, wrong?: 'middle' | 'latest') {
    const kind = 'periodic:book.v2';
    const h1 = await writeHistory(store, lease, [start(1), pause(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    await store.saveSnapshot(lease, h1.seq, bookStateCodec.encode(h1.state), kind);
    const h2 = await writeHistory(store, lease, [stop(1), start(2), stop(2), start(3)], h1);
    await store.saveSnapshot(lease, h2.seq, bookStateCodec.encode(wrong === 'middle' ? { ...h2.state, last_inbox_id: h2.state.last_inbox_id + 7 } : h2.state), kind);
    const h3 = await writeHistory(store, lease, [stop(3), start(4), stop(4)], h2);
    await store.saveSnapshot(lease, h3.seq, bookStateCodec.encode(wrong === 'latest' ? { ...h3.state, last_inbox_id: h3.state.last_inbox_id + 7 } : h3.state), kind);
    const h4 = await writeHistory(store, lease, [start(5)], h3);
    return { s1: h1.seq, s2: h2.seq, s3: h3.seq, head: h4.seq };
  }

  test('the latest snapshot is proved from its predecessor: the work is bounded by the interval', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const s = await threeSnapshots(store, lease);
    const r = await restore(store, STREAM, minimalBookKernel);
    assert.equal(r.snapshot_seq, s.s3);
    assert.equal(r.events_replayed, s.head - s.s3);
    assert.deepEqual(await r.verified, { events_folded: s.s3 - s.s2, from_seq: s.s2 });
    assert.ok(s.s3 - s.s2 < s.s3, 'fewer events than a fold from genesis');
    const full = await store.verify(STREAM);
    assert.equal(full.head_seq, r.seq);
  });

  test('a corrupted latest snapshot is still refused when it has a predecessor', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const s = await threeSnapshots(store, lease, 'latest');
    const r = await restore(store, STREAM, minimalBookKernel);
    await assert.rejects(r.verified, (e: Error) => e instanceof IntegrityError && e.message.includes(`snapshot at seq ${s.s3} does not match a fresh fold of events ${s.s2 + 1}..${s.s3}`));
  });

  test('a corrupted predecessor is refused: the latest no longer follows from it', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    await threeSnapshots(store, lease, 'middle');
    const r = await restore(store, STREAM, minimalBookKernel);
    await assert.rejects(r.verified, (e: Error) => e instanceof IntegrityError && /does not match a fresh fold/.test(e.message));
  });

  test("a predecessor whose head hash is not the log's is refused", async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const s = await threeSnapshots(store, lease);
    await db.transaction(async (tx) => {
      await tx.exec('SET LOCAL session_replication_role = replica'); // superuser test connection: bypass any append-only trigger
      await tx.query(`UPDATE snapshots SET head_hash = sha256(head_hash) WHERE stream = $1 AND seq = $2`, [STREAM, s.s2]);
    });
    const r = await restore(store, STREAM, minimalBookKernel);
    await assert.rejects(r.verified, (e: Error) => e instanceof IntegrityError && e.message.includes(`snapshot at seq ${s.s2}: its head hash`) && /is not the log's/.test(e.message));
  });

  test('an undecodable predecessor (another state version): the latest is proved from genesis', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const h1 = await writeHistory(store, lease, [start(1), pause(1), stop(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    await store.saveSnapshot(lease, h1.seq, { v: 99 }, 'periodic:book.v99');
    const h2 = await writeHistory(store, lease, [start(2), stop(2)], h1);
    await store.saveSnapshot(lease, h2.seq, bookStateCodec.encode(h2.state), 'periodic:book.v2');
    const r = await restore(store, STREAM, minimalBookKernel);
    assert.equal(r.snapshot_seq, h2.seq);
    assert.deepEqual(await r.verified, { events_folded: h2.seq, from_seq: 0 });
  });

  test('an undecodable snapshot (another state version) is ignored: full replay, same hash', async () => {
    const store = new EventStore(await ctx.freshDb());
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    const h = await writeHistory(store, lease, [start(1), pause(1), stop(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    const expected = (await restore(store, STREAM, minimalBookKernel)).state_hash;
    await store.saveSnapshot(lease, h.seq, { v: 99 }, 'periodic:book.v99');
    const notes: RestoreNote[] = [];
    const r = await restore(store, STREAM, minimalBookKernel, (n) => notes.push(n));
    assert.equal(r.snapshot_seq, null);
    assert.equal(r.events_replayed, h.seq);
    assert.equal(r.state_hash, expected);
    assert.equal(notes[0]?.event, 'snapshot_ignored');
    assert.match(notes[0]!.reason, /version 99/);
  });

  test('a tampered event body in the tail breaks the chain check', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test:1', 10_000);
    await writeHistory(store, lease, [start(1), pause(1)], { state: minimalBookKernel.decider.initialState(), seq: 0 });
    await db.transaction(async (tx) => {
      await tx.exec('SET LOCAL session_replication_role = replica'); // test connections are superusers: bypass the append-only trigger
      await tx.query(`UPDATE events SET body = convert_to(replace(convert_from(body, 'UTF8'), '"r"', '"x"'), 'UTF8') WHERE stream = $1 AND seq = 5`, [STREAM]); // the pause's operator.command_applied (reason "r")
    });
    await assert.rejects(restore(store, STREAM, minimalBookKernel), (e: Error) => e instanceof IntegrityError && /seq 5: stored hash [0-9a-f]{64} != recomputed [0-9a-f]{64} \(body or hash altered\)/.test(e.message) && e.seq === 5);
  });
});
