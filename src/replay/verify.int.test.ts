/** Replay verify on both engines: chain + fold + every snapshot; divergences named by seq. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeEngines } from '../../test/support/engines.js';
import { bookKernel, bookStateCodec, encodeEvent, type BookKernel, type BookState, type RuntimeCommand } from '../core/book/index.js';
import { EventStore, type Lease } from '../store/event-store.js';
import { IntegrityError } from '../store/errors.js';
import { replayVerify } from './verify.js';

const STREAM = 'book:replay';
const T0 = 1_672_531_200_000;

/** Drives the real book decider through a session: start, operator commands, stop; snapshots along the way. */
const kernel = bookKernel(null);

async function runSession(store: EventStore, lease: Lease, snapshotAt: number[]): Promise<BookState> {
  const state: BookState = kernel.decider.initialState();
  let seq = 0;
  const cmds: RuntimeCommand[] = [
    { kind: 'runtime.start', time_ms: T0, book_id: 'replay', execution_plane: 'PAPER', owner: 'test', lease_epoch: lease.epoch },
    { kind: 'operator.command', time_ms: T0 + 1000, inbox_id: 1, command: 'book.pause', payload: { reason: 'maintenance' }, issued_by: 'alice' },
    { kind: 'operator.command', time_ms: T0 + 2000, inbox_id: 2, command: 'book.pause', payload: {}, issued_by: 'alice' },
    { kind: 'operator.command', time_ms: T0 + 3000, inbox_id: 3, command: 'book.resume', payload: {}, issued_by: 'bob' },
    { kind: 'runtime.stop', time_ms: T0 + 4000, reason: 'sigterm' },
  ];
  for (const c of cmds) {
    const events = kernel.decider.step(c, state).map(encodeEvent); // in place
    await store.append(lease, seq, events);
    seq += events.length;
    if (snapshotAt.includes(seq)) await store.saveSnapshot(lease, seq, bookStateCodec.encode(state), 'periodic');
  }
  return state;
}

describeEngines('replay verify', (ctx) => {
  test('a clean stream: chain head, the folded state hash and every snapshot agree', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    // steps: start (seq 1-3), pause (4-5), pause again, rejected (6-7), resume (8-9), stop (10-11)
    const final = await runSession(store, lease, [3, 5, 7]);
    const r = await replayVerify(store, STREAM);
    assert.equal(r.events, 11);
    assert.equal(r.kernel, 'book');
    assert.equal(r.snapshots_checked, 3);
    assert.equal(r.state_hash, kernel.stateHash(final));
    assert.equal(r.chain_head, (await store.streams())[0]!.head_hash);
  });

  test('a snapshot that disagrees with the fold is named by its seq', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    const final = await runSession(store, lease, [3]);
    // A snapshot written at seq 5 with the state of seq 11: plausible bytes, wrong place.
    await store.saveSnapshot(lease, 5, bookStateCodec.encode(final), 'periodic');
    await assert.rejects(replayVerify(store, STREAM), (e: unknown) => {
      assert.ok(e instanceof IntegrityError);
      assert.equal(e.seq, 5);
      assert.match(e.message, /snapshot at seq 5 \(periodic\) differs from the state folded/);
      return true;
    });
  });

  test('a changed kernel (a decider that folds differently) is caught at the first snapshot', async () => {
    const db = await ctx.freshDb();
    const store = new EventStore(db);
    const lease = await store.acquireLease(STREAM, 'test', 60_000);
    await runSession(store, lease, [5, 7, 11]);
    const patchedKernel: BookKernel = { ...kernel, applyStored: (s, e) => (e.type === 'operator.command_rejected' ? s : kernel.applyStored(s, e)) };
    // seq 7 is the rejected duplicate pause: the patched fold diverges there; snapshot 5 still
    // agrees, snapshot 7 is the first that cannot.
    await assert.rejects(replayVerify(store, STREAM, undefined, { name: 'book-patched', kernel: patchedKernel }), (e: unknown) => e instanceof IntegrityError && e.seq === 7);
  });
});
